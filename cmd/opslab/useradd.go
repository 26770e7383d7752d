package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

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

// runUserResetLink makes a password reset link for an account and prints
// it: absolute with --public-url, else a path and the advice to prefix the
// site's address. Making a link voids the account's older ones.
func runUserResetLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user reset-link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data `DIR` holding the SQLite file")
	email := fs.String("email", "", "email address of the account (required)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the link works")
	publicURL := fs.String("public-url", "", "the site's `URL` as people reach it, to print an absolute link")
	if err := fs.Parse(args); err != nil {
		return exitError(2)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("user reset-link: unexpected argument %q", fs.Arg(0))
	}
	if *email == "" {
		return fmt.Errorf("user reset-link: --email is required")
	}
	if *ttl <= 0 {
		return fmt.Errorf("user reset-link: --ttl must be positive, got %s", *ttl)
	}
	base := strings.TrimRight(*publicURL, "/")
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("user reset-link: --public-url %q is not an http(s) address like https://opslab.example.com", *publicURL)
		}
	}
	db, err := sqlite.Open(ctx, filepath.Join(*data, dbFileName))
	if err != nil {
		return fmt.Errorf("user reset-link: %w", err)
	}
	defer db.Close()
	users, err := sqlite.NewUserService(db).ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("user reset-link: %w", err)
	}
	want := strings.ToLower(strings.TrimSpace(*email))
	var user *opslab.User
	for _, u := range users {
		if u.Email == want {
			user = u
		}
	}
	if user == nil {
		return fmt.Errorf("user reset-link: there is no account with the email %s", want)
	}
	token := opslab.NewToken()
	expires := db.Now().Add(*ttl)
	if err := sqlite.NewSessionService(db, nil).CreateResetLink(ctx, user.ID, token, expires); err != nil {
		return fmt.Errorf("user reset-link: %w", err)
	}
	path := "/reset/" + token
	if base != "" {
		fmt.Fprintln(stdout, base+path)
	} else {
		fmt.Fprintln(stdout, path)
		fmt.Fprintln(stdout, "Prefix the site's address as people reach it (for example https://opslab.example.com), or pass --public-url.")
	}
	fmt.Fprintf(stdout, "The link sets a new password for %s once, until %s; older links of the account no longer work.\n",
		user.Email, expires.UTC().Format("2006-01-02 15:04 MST"))
	return nil
}
