package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Secret reads a secret (a token): without echo when in is a terminal, as
// the first line of in otherwise (a pipe: "get-token | casectl login --token -").
func Secret(in io.Reader, out io.Writer, question string) (string, error) {
	if f, ok := in.(*os.File); ok && IsTerminal(f) {
		fmt.Fprint(out, question)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no token on standard input")
	}
	return strings.TrimSpace(line), nil
}
