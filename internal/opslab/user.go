package opslab

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do on the platform.
type Role string

// The roles. Admin may do everything; a lead sees the teams they lead; an
// instructor gets the authoring tools; a learner sees their own data.
const (
	RoleLearner    Role = "learner"
	RoleInstructor Role = "instructor"
	RoleLead       Role = "lead"
	RoleAdmin      Role = "admin"
)

// ParseRole returns the Role named s, or EINVALID.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleLearner, RoleInstructor, RoleLead, RoleAdmin:
		return r, nil
	}
	return "", Errorf(EINVALID, "Unknown role %q: use learner, instructor, lead or admin.", s)
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// MaxPasswordLength bounds the work of hashing (bcrypt reads 72 bytes).
const MaxPasswordLength = 72

// User is a person with an account.
type User struct {
	ID        int64
	Email     string
	Name      string
	Role      Role
	CreatedAt time.Time
}

// IsAdmin reports whether u may do everything.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// NewUser is the input to create a user.
type NewUser struct {
	Email    string
	Name     string
	Password string
	Role     Role
	Team     string // optional: a team to join (a lead leads it)
}

// Normalize trims the fields and lower-cases the email.
func (n *NewUser) Normalize() {
	n.Email = strings.ToLower(strings.TrimSpace(n.Email))
	n.Name = strings.TrimSpace(n.Name)
	n.Team = strings.TrimSpace(n.Team)
	if n.Role == "" {
		n.Role = RoleLearner
	}
}

// Validate returns EINVALID with a sentence naming the first bad field.
func (n *NewUser) Validate() error {
	if err := ValidateEmail(n.Email); err != nil {
		return err
	}
	if n.Name == "" {
		return Errorf(EINVALID, "A name is required.")
	}
	if utf8.RuneCountInString(n.Name) > 100 {
		return Errorf(EINVALID, "The name is longer than 100 characters.")
	}
	if err := ValidatePassword(n.Password); err != nil {
		return err
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	if n.Team != "" {
		if err := ValidateTeamSlug(n.Team); err != nil {
			return err
		}
	}
	return nil
}

// ValidateEmail returns EINVALID unless s is a plain address.
func ValidateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if s == "" || err != nil || a.Address != s || len(s) > 254 {
		return Errorf(EINVALID, "Enter a valid email address.")
	}
	return nil
}

// ValidatePassword returns EINVALID for a password that is too short or long.
func ValidatePassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLength {
		return Errorf(EINVALID, "The password must be at least %d characters long.", MinPasswordLength)
	}
	if len(p) > MaxPasswordLength {
		return Errorf(EINVALID, "The password must be at most %d bytes long.", MaxPasswordLength)
	}
	return nil
}

// UserService manages accounts.
type UserService interface {
	// CreateUser stores a user with a hashed password. It returns ECONFLICT
	// if the email is taken and EINVALID for bad input. With Team set it
	// creates the team when new and joins it (as its lead for RoleLead).
	CreateUser(ctx context.Context, n NewUser) (*User, error)
	// FindUserByID returns ENOTFOUND if there is no such user.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// Authenticate returns the user whose email and password match, or
	// EUNAUTHORIZED. It takes the same time whether or not the email exists.
	Authenticate(ctx context.Context, email, password string) (*User, error)
}
