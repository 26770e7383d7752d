package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

// runUserAdd creates a user; the password is the first line of stdin.
func runUserAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data `DIR` holding the SQLite file")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "learner", "learner, instructor, lead or admin")
	team := fs.String("team", "", "team to join (created if new); a lead leads it")
	if err := fs.Parse(args); err != nil {
		return exitError(2)
	}
	r, err := opslab.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("user add: %s", opslab.ErrorMessage(err))
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("user add: read password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	db, err := sqlite.Open(ctx, filepath.Join(*data, dbFileName))
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	defer db.Close()
	u, err := sqlite.NewUserService(db).CreateUser(ctx, opslab.NewUser{
		Email: *email, Name: *name, Password: password, Role: r, Team: *team,
	})
	if err != nil {
		if code := opslab.ErrorCode(err); code != opslab.EINTERNAL {
			return fmt.Errorf("user add: %s", opslab.ErrorMessage(err))
		}
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "created %s user %s (id %d)", u.Role, u.Email, u.ID)
	if *team != "" {
		fmt.Fprintf(stdout, " in team %s", *team)
	}
	fmt.Fprintln(stdout)
	return nil
}
