package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestUserService_CreateUser(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		clk := NewClock()
		db.Now = clk.Now
		s := NewUserService(db)

		u, err := s.CreateUser(ctx, opslab.NewUser{
			Email: "  Ann@Example.COM ", Name: " Ann ", Password: "correct horse battery",
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.Email != "ann@example.com" || u.Name != "Ann" || u.Role != opslab.RoleLearner {
			t.Fatalf("user = %+v", u)
		}
		if !u.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("CreatedAt = %v, want %v", u.CreatedAt, clk.Now())
		}

		got, err := s.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *u {
			t.Fatalf("found %+v, want %+v", got, u)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 1 {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
		// Not in any team.
		if teams, err := sqlite.NewTeamService(db).TeamsOfUser(ctx, u.ID); err != nil || len(teams) != 0 {
			t.Fatalf("TeamsOfUser = %v, %v", teams, err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		s := NewUserService(db)
		MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
		_, err := s.CreateUser(ctx, opslab.NewUser{Email: "ANN@example.com", Name: "Other", Password: "another password"})
		AssertCode(t, err, opslab.ECONFLICT)
		if n, _ := s.CountUsers(ctx); n != 1 {
			t.Fatalf("CountUsers = %d, want 1", n)
		}
	})

	t.Run("ErrConflictRollsBackTeam", func(t *testing.T) {
		db := MustOpenDB(t)
		MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
		_, err := NewUserService(db).CreateUser(ctx, opslab.NewUser{
			Email: "ann@example.com", Name: "Ann", Password: "correct horse battery", Team: "brand-new",
		})
		AssertCode(t, err, opslab.ECONFLICT)
		_, err = sqlite.NewTeamService(db).FindTeamBySlug(ctx, "brand-new")
		AssertCode(t, err, opslab.ENOTFOUND)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		db := MustOpenDB(t)
		s := NewUserService(db)
		for name, n := range map[string]opslab.NewUser{
			"email":    {Email: "not an email", Name: "A", Password: "correct horse battery"},
			"name":     {Email: "a@example.com", Name: "  ", Password: "correct horse battery"},
			"short":    {Email: "a@example.com", Name: "A", Password: "short"},
			"long":     {Email: "a@example.com", Name: "A", Password: strings.Repeat("x", 73)},
			"role":     {Email: "a@example.com", Name: "A", Password: "correct horse battery", Role: "root"},
			"teamSlug": {Email: "a@example.com", Name: "A", Password: "correct horse battery", Team: "Bad Team"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.CreateUser(ctx, n)
				AssertCode(t, err, opslab.EINVALID)
			})
		}
		if n, _ := s.CountUsers(ctx); n != 0 {
			t.Fatalf("CountUsers = %d, want 0", n)
		}
	})

	t.Run("TeamCreatedAndJoined", func(t *testing.T) {
		db := MustOpenDB(t)
		teams := sqlite.NewTeamService(db)
		ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "platform")
		bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "platform")

		team, err := teams.FindTeamBySlug(ctx, "platform")
		if err != nil {
			t.Fatal(err)
		}
		members, err := teams.TeamMembers(ctx, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 2 || members[0].ID != ann.ID || members[1].ID != bob.ID {
			t.Fatalf("members = %+v", members)
		}
		for _, u := range []*opslab.User{ann, bob} {
			if lead, err := teams.IsLead(ctx, team.ID, u.ID); err != nil || lead {
				t.Fatalf("IsLead(%s) = %v, %v; want false", u.Email, lead, err)
			}
		}
		got, err := teams.TeamsOfUser(ctx, bob.ID)
		if err != nil || len(got) != 1 || *got[0] != *team {
			t.Fatalf("TeamsOfUser = %v, %v", got, err)
		}
	})

	t.Run("Lead", func(t *testing.T) {
		db := MustOpenDB(t)
		teams := sqlite.NewTeamService(db)
		lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "sre")
		team, err := teams.FindTeamBySlug(ctx, "sre")
		if err != nil {
			t.Fatal(err)
		}
		if lead, err := teams.IsLead(ctx, team.ID, lea.ID); err != nil || !lead {
			t.Fatalf("IsLead = %v, %v; want true", lead, err)
		}
	})
}

func TestUserService_FindUserByID(t *testing.T) {
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := NewUserService(MustOpenDB(t)).FindUserByID(context.Background(), 42)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestUserService_Authenticate(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := NewUserService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleAdmin, "")

	t.Run("OK", func(t *testing.T) {
		u, err := s.Authenticate(ctx, " ANN@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if *u != *ann {
			t.Fatalf("user = %+v, want %+v", u, ann)
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		_, err := s.Authenticate(ctx, "ann@example.com", "correct horse battery!")
		AssertCode(t, err, opslab.EUNAUTHORIZED)
	})

	t.Run("ErrTooLongPassword", func(t *testing.T) {
		_, err := s.Authenticate(ctx, "ann@example.com", "correct horse battery"+strings.Repeat("x", 80))
		AssertCode(t, err, opslab.EUNAUTHORIZED)
	})

	t.Run("ErrUnknownEmail", func(t *testing.T) {
		_, err := s.Authenticate(ctx, "nobody@example.com", "correct horse battery")
		AssertCode(t, err, opslab.EUNAUTHORIZED)
	})

	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := s.Authenticate(ctx, "", "")
		AssertCode(t, err, opslab.EUNAUTHORIZED)
	})

	// Same message for both failures, so the page cannot tell them apart.
	t.Run("SameMessage", func(t *testing.T) {
		_, e1 := s.Authenticate(ctx, "ann@example.com", "wrong password!")
		_, e2 := s.Authenticate(ctx, "nobody@example.com", "wrong password!")
		if opslab.ErrorMessage(e1) != opslab.ErrorMessage(e2) {
			t.Fatalf("messages differ: %q vs %q", opslab.ErrorMessage(e1), opslab.ErrorMessage(e2))
		}
	})
}

// TestUserService_AuthenticateTiming checks that an unknown email pays for
// a bcrypt comparison at the service's cost, like a known one. Cost 7 makes
// a comparison far slower than the lookup, yet quick under -race.
func TestUserService_AuthenticateTiming(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewUserService(db)
	s.BcryptCost = 7
	if _, err := s.CreateUser(ctx, opslab.NewUser{Email: "ann@example.com", Name: "Ann", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	// Interleaved, best of five each: other load on the machine slows single
	// runs. Without the dummy comparison the gap is about a hundredfold, so a
	// tenfold margin tells the two apart without flaking.
	known, unknown := time.Hour, time.Hour
	for range 5 {
		for _, email := range []string{"ann@example.com", "nobody@example.com"} {
			start := time.Now()
			_, err := s.Authenticate(ctx, email, "wrong password!")
			AssertCode(t, err, opslab.EUNAUTHORIZED)
			if d := time.Since(start); email == "ann@example.com" {
				known = min(known, d)
			} else {
				unknown = min(unknown, d)
			}
		}
	}
	if unknown < known/10 || known < unknown/10 {
		t.Fatalf("known email took %v, unknown %v: too different", known, unknown)
	}
}

func TestUserService_SetPassword(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := NewUserService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")

	t.Run("OK", func(t *testing.T) {
		if err := s.SetPassword(ctx, ann.ID, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann@example.com", "a brand new password"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Authenticate(ctx, "ann@example.com", "correct horse battery")
		AssertCode(t, err, opslab.EUNAUTHORIZED)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		AssertCode(t, s.SetPassword(ctx, ann.ID, "short"), opslab.EINVALID)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		AssertCode(t, s.SetPassword(ctx, 999, "a brand new password"), opslab.ENOTFOUND)
	})
	t.Run("Cost", func(t *testing.T) {
		s := sqlite.NewUserService(db)
		s.BcryptCost = bcrypt.MinCost + 1
		if err := s.SetPassword(ctx, ann.ID, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := rawDB(t, db.Path()).QueryRow(`SELECT password_hash FROM users WHERE id = ?`, ann.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if c, err := bcrypt.Cost([]byte(hash)); err != nil || c != bcrypt.MinCost+1 {
			t.Fatalf("cost = %d, %v", c, err)
		}
	})
}

func TestUserService_ListUsers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := NewUserService(db)

	t.Run("Empty", func(t *testing.T) {
		users, err := s.ListUsers(ctx)
		if err != nil || users == nil || len(users) != 0 {
			t.Fatalf("ListUsers = %v, %v; want empty non-nil", users, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		MustCreateUser(t, db, "cid@example.com", opslab.RoleLearner, "")
		MustCreateUser(t, db, "ann@example.com", opslab.RoleInstructor, "")
		MustCreateUser(t, db, "bob@example.com", opslab.RoleLead, "ops")
		users, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var emails []string
		for _, u := range users {
			emails = append(emails, u.Email)
		}
		if got := strings.Join(emails, ","); got != "ann@example.com,bob@example.com,cid@example.com" {
			t.Fatalf("emails = %s", got)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 3 {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
	})
}
