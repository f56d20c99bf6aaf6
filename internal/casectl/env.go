// Package casectl is the Casebridge command-line client: the commands a
// caseworker, supervisor, lawyer, coordinator or auditor types to work with
// casebridged. cmd/casectl only wires it to the process; everything else
// lives here and in the sub-packages, each with one responsibility.
package casectl

import (
	"io"
	"os"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/prompt"
)

// Env is the outside world a casectl run talks to, so that tests can give
// it buffers instead of the process's files.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StdinTerminal enables prompts; StderrTerminal the progress bar.
	StdinTerminal, StderrTerminal bool
	Now                           func() time.Time
}

// OSEnv is the process's standard streams and environment.
func OSEnv() Env {
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:         os.Getenv,
		StdinTerminal:  prompt.IsTerminal(os.Stdin),
		StderrTerminal: prompt.IsTerminal(os.Stderr),
		Now:            time.Now,
	}
}
