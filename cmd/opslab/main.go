// Command opslab runs the opslab course platform and its authoring tools.
//
//	opslab serve     run the site
//	opslab user add  create a user (password on standard input)
//	opslab user reset-link  print a password reset link for an account
//	opslab lint      report every problem in the content (of DIR ...)
//	opslab test      test every exercise on real sandboxes (of DIR ...)
//	opslab version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/opslab/opslab/internal/markdown"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var exit exitError
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case err != nil:
		fmt.Fprintln(os.Stderr, "opslab:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a status and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `opslab: learn to operate Redis and Kafka by doing it.

Usage:
  opslab serve [--addr HOST:PORT] [--data DIR] [--content DIR] [--sandbox process|container] [--signup open|closed]
  opslab user add [--data DIR] --email E --name N --role learner|instructor|lead|admin [--team T]
  opslab user reset-link [--data DIR] --email E [--ttl 24h] [--public-url URL]
  opslab lint [--strict] [DIR ...]
  opslab test [--lesson SLUG] [--sandbox process|container] [--kafka kfake|apache] [-j N] [--runs N] [--junit FILE] [DIR ...]
  opslab version

Run "opslab COMMAND --help" for a command's flags.
`

// Run executes one command line; main wires it to the process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError(2)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) >= 2 && args[1] == "reset-link" {
			return runUserResetLink(ctx, args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "add" {
			fmt.Fprint(stderr, "usage: opslab user add [--data DIR] --email E --name N --role ROLE [--team T]\n"+
				"       opslab user reset-link [--data DIR] --email E [--ttl 24h] [--public-url URL]\n")
			return exitError(2)
		}
		return runUserAdd(ctx, args[2:], stdin, stdout, stderr)
	case "lint":
		return runLint(ctx, args[1:], stdout, stderr)
	case "test":
		return runTest(ctx, args[1:], stdout, stderr)
	case "course-table":
		cat, err := loadContent("", markdown.New())
		if err != nil {
			return err
		}
		writeCourseTable(stdout, cat)
		return nil
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "opslab", versionString())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "opslab: unknown command %q\n\n%s", args[0], usage)
	return exitError(2)
}
