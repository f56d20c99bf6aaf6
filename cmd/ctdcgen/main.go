// Command ctdcgen writes a synthetic CTDC-layout file (see internal/ctdc/synth)
// to standard output, for demos and imports without the published dataset:
//
//	go run ./cmd/ctdcgen --rows 500 --seed 7 > demo.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/casebridge/casebridge/internal/ctdc/synth"
)

func main() {
	rows := flag.Int("rows", synth.DefaultRows, "data rows to write")
	seed := flag.Uint64("seed", synth.DefaultSeed, "random seed; the same seed writes the same file")
	flag.Parse()
	if err := synth.Write(os.Stdout, *rows, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "ctdcgen:", err)
		os.Exit(1)
	}
}
