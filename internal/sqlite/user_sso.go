package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

// UserByEmail returns the account with the email, in any letter case, or
// ENOTFOUND. Single sign-on uses it to match a person whose email the
// identity provider has verified; it never reveals anything about the
// password.
func (s *UserService) UserByEmail(ctx context.Context, email string) (*opslab.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", err)
	}
	defer tx.Rollback()
	u, _, err := findUserByEmail(ctx, tx, email)
	if err != nil {
		return nil, wrap("user by email", err)
	}
	return u, nil
}
