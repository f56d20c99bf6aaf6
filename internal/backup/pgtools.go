package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// minPGMajor is the oldest PostgreSQL client accepted, as for the server.
const minPGMajor = 15

// Tools runs the PostgreSQL client programs of one installation.
type Tools struct {
	// Dir is the directory the programs were found in.
	Dir string
}

// FindTools locates the PostgreSQL client programs: in dir when it is not
// empty, else on PATH, else in the newest /usr/lib/postgresql/*/bin, then
// /usr/local/pgsql/bin and /opt/homebrew/bin (the places deploy/postgres.sh
// looks). pg_dump must be version 15 or newer.
func FindTools(dir string) (*Tools, error) {
	var candidates []string
	if dir != "" {
		candidates = []string{dir}
	} else {
		if p, err := exec.LookPath("pg_dump"); err == nil {
			candidates = append(candidates, filepath.Dir(p))
		}
		versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		slices.SortFunc(versioned, func(a, b string) int { return versionOf(b) - versionOf(a) })
		candidates = append(candidates, versioned...)
		candidates = append(candidates, "/usr/local/pgsql/bin", "/opt/homebrew/bin")
	}
	for _, d := range candidates {
		if fi, err := os.Stat(filepath.Join(d, "pg_dump")); err == nil && !fi.IsDir() {
			t := &Tools{Dir: d}
			major, err := t.major()
			if err != nil {
				return nil, err
			}
			if major < minPGMajor {
				return nil, fmt.Errorf("pg_dump in %s is PostgreSQL %d; %d or newer is needed (--pg-bin chooses another installation)", d, major, minPGMajor)
			}
			return t, nil
		}
	}
	return nil, errors.New("no PostgreSQL client programs (pg_dump, pg_restore) found: install PostgreSQL 15 or newer " +
		"(Debian: apt-get install postgresql-client-15) or name their directory with --pg-bin")
}

// versionOf is the major version in a path such as /usr/lib/postgresql/15/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

var majorPattern = regexp.MustCompile(`\) (\d+)`)

func (t *Tools) major() (int, error) {
	out, err := exec.Command(filepath.Join(t.Dir, "pg_dump"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("pg_dump --version: %w", err)
	}
	m := majorPattern.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pg_dump --version: unexpected output %q", strings.TrimSpace(string(out)))
	}
	return strconv.Atoi(string(m[1]))
}

// Conn is how the client programs reach one database: a connection string
// without its password, which goes in the environment (never on a command
// line, where other users of the machine can read it).
type Conn struct {
	url      string
	password string
}

// ConnFor turns a DATABASE_URL into what the client programs take:
// libpq rejects the pool settings pgx accepts in the URL (pool_max_conns,
// ...), and the password moves to PGPASSWORD.
func ConnFor(databaseURL string) (Conn, error) {
	if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
		return Conn{url: databaseURL}, nil // a keyword=value string: libpq's own syntax
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return Conn{}, errors.New("database url: invalid connection string") // it may hold a password: never echo it
	}
	var c Conn
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			c.password = p
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	c.url = u.String()
	return c, nil
}

// connURL is databaseURL without pgxpool's settings, for a single pgx
// connection (pgx.Connect would send them to the server as parameters).
func connURL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Scheme == "" {
		return databaseURL
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// WithDatabase returns the same connection to another database.
func (c Conn) WithDatabase(name string) (Conn, error) {
	u, err := url.Parse(c.url)
	if err != nil || u.Scheme == "" {
		return Conn{}, errors.New("a postgres:// URL is needed to name another database")
	}
	u.Path = "/" + name
	c.url = u.String()
	return c, nil
}

// Database is the database the connection names.
func (c Conn) Database() string {
	u, err := url.Parse(c.url)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// run runs program with args against c and returns its combined output.
func (t *Tools) run(ctx context.Context, c Conn, program string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(t.Dir, program), args...)
	cmd.Env = os.Environ()
	if c.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+c.password)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil {
		if text == "" {
			return "", fmt.Errorf("%s: %w", program, err)
		}
		return text, fmt.Errorf("%s: %w:\n%s", program, err, text)
	}
	return text, nil
}
