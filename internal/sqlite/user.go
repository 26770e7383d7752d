package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
)

// UserService stores accounts with bcrypt password hashes. It implements
// opslab.UserService.
type UserService struct {
	db *DB

	// BcryptCost is the bcrypt cost of new password hashes; 0 means
	// bcrypt.DefaultCost. Set it before first use; tests lower it to
	// bcrypt.MinCost for speed.
	BcryptCost int

	dummyOnce sync.Once
	dummyHash []byte
	dummyErr  error
}

var _ opslab.UserService = (*UserService)(nil)

// NewUserService returns a UserService over db with the default bcrypt cost.
func NewUserService(db *DB) *UserService {
	return &UserService{db: db}
}

func (s *UserService) cost() int {
	if s.BcryptCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.BcryptCost
}

// CreateUser normalizes and validates n, then stores the user with a bcrypt
// hash of the password. It returns EINVALID for bad input and ECONFLICT if
// another account has the email, in any letter case. With n.Team set, the
// team is created if it does not exist and the user joins it, as a lead for
// RoleLead, in the same transaction: either all of it is stored or nothing.
func (s *UserService) CreateUser(ctx context.Context, n opslab.NewUser) (*opslab.User, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	// Hash before the transaction begins: bcrypt is slow on purpose and the
	// transaction holds the database's write lock.
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost())
	if err != nil {
		return nil, fmt.Errorf("create user: hash password: %w", err)
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	defer tx.Rollback()

	u := &opslab.User{Email: n.Email, Name: n.Name, Role: n.Role, CreatedAt: tx.now}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO users (email, name, role, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?)`,
		u.Email, u.Name, string(u.Role), string(hash), formatTime(u.CreatedAt))
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		return nil, opslab.Errorf(opslab.ECONFLICT, "An account with the email %s already exists.", u.Email)
	} else if err != nil {
		return nil, fmt.Errorf("create user: insert: %w", err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}

	if n.Team != "" {
		team, err := findTeamBySlug(ctx, tx, n.Team)
		if opslab.ErrorCode(err) == opslab.ENOTFOUND {
			team, err = createTeam(ctx, tx, n.Team, n.Team)
		}
		if err != nil {
			return nil, wrap("create user: team", err)
		}
		if err := addMember(ctx, tx, team.ID, u.ID, n.Role == opslab.RoleLead); err != nil {
			return nil, wrap("create user: join team", err)
		}
	}
	if err := tx.commit("create user"); err != nil {
		return nil, err
	}
	return u, nil
}

// FindUserByID returns the user with the id, or ENOTFOUND.
func (s *UserService) FindUserByID(ctx context.Context, id int64) (*opslab.User, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	defer tx.Rollback()
	u, err := findUserByID(ctx, tx, id)
	if err != nil {
		return nil, wrap("find user", err)
	}
	return u, nil
}

// Authenticate returns the user with the email (in any letter case) and
// password, or EUNAUTHORIZED for an unknown email or a wrong password. An
// unknown email is checked against a dummy hash of the same cost, so the
// answer takes about as long either way.
func (s *UserService) Authenticate(ctx context.Context, email, password string) (*opslab.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))

	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	u, hash, err := findUserByEmail(ctx, tx, email)
	// The lock is released before bcrypt runs; nothing is written.
	tx.Rollback()

	unknown := opslab.ErrorCode(err) == opslab.ENOTFOUND
	if err != nil && !unknown {
		return nil, wrap("authenticate", err)
	}
	if unknown {
		if hash, err = s.dummy(); err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
	}
	err = bcrypt.CompareHashAndPassword(hash, []byte(password))
	if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) && !errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return nil, fmt.Errorf("authenticate: compare password: %w", err)
	}
	if err != nil || unknown {
		return nil, opslab.Errorf(opslab.EUNAUTHORIZED, "Wrong email or password.")
	}
	return u, nil
}

// dummy returns a hash of a random-looking password at the service's cost,
// made once.
func (s *UserService) dummy() ([]byte, error) {
	s.dummyOnce.Do(func() {
		s.dummyHash, s.dummyErr = bcrypt.GenerateFromPassword([]byte("opslab-no-such-user-password"), s.cost())
	})
	return s.dummyHash, s.dummyErr
}

// SetPassword replaces the user's password. It returns EINVALID for a
// password that ValidatePassword refuses and ENOTFOUND for an unknown user.
func (s *UserService) SetPassword(ctx context.Context, userID int64, password string) error {
	if err := opslab.ValidatePassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return fmt.Errorf("set password: hash: %w", err)
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set password: %w", err)
	} else if n == 0 {
		return errUnknownUser(userID)
	}
	return tx.commit("set password")
}

// ListUsers returns every user, ordered by email.
func (s *UserService) ListUsers(ctx context.Context) ([]*opslab.User, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer tx.Rollback()
	users, err := findUsers(ctx, tx, `ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CountUsers returns how many accounts exist.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// userColumns are the columns scanUser reads, in order.
const userColumns = `users.id, users.email, users.name, users.role, users.created_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner, extra ...any) (*opslab.User, error) {
	var u opslab.User
	var role, created string
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &role, &created}, extra...)...); err != nil {
		return nil, err
	}
	u.Role = opslab.Role(role)
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &u, nil
}

// findUserByID returns the user with the id, or ENOTFOUND.
func findUserByID(ctx context.Context, tx *tx, id int64) (*opslab.User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUnknownUser(id)
	} else if err != nil {
		return nil, fmt.Errorf("query user %d: %w", id, err)
	}
	return u, nil
}

// findUserByEmail returns the user with the email and their password hash,
// or ENOTFOUND.
func findUserByEmail(ctx context.Context, tx *tx, email string) (*opslab.User, []byte, error) {
	var hash string
	u, err := scanUser(tx.QueryRowContext(ctx,
		`SELECT `+userColumns+`, users.password_hash FROM users WHERE email = ?`, email), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, opslab.Errorf(opslab.ENOTFOUND, "There is no user with this email.")
	} else if err != nil {
		return nil, nil, fmt.Errorf("query user by email: %w", err)
	}
	return u, []byte(hash), nil
}

// findUsers returns the users selected by the SQL that follows FROM users
// (joins, WHERE, ORDER BY) with its arguments; never nil.
func findUsers(ctx context.Context, tx *tx, tail string, args ...any) ([]*opslab.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	defer rows.Close()
	users := []*opslab.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	return users, nil
}
