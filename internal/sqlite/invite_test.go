package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

// inviteFixture is a database on a settable clock with team "ops" led by
// lea, and a few learners in no team.
type inviteFixture struct {
	db      *sqlite.DB
	clk     *Clock
	invites *sqlite.InviteService
	admin   *sqlite.TeamAdminService
	team    *opslab.TeamSummary
	lea     *opslab.User
}

func newInviteFixture(t *testing.T) *inviteFixture {
	t.Helper()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	f := &inviteFixture{db: db, clk: clk, invites: sqlite.NewInviteService(db), admin: sqlite.NewTeamAdminService(db)}
	f.lea = MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	team, err := f.admin.FindTeamSummary(context.Background(), "ops")
	if err != nil {
		t.Fatal(err)
	}
	f.team = team
	return f
}

// create makes a link for the team, failing the test on error.
func (f *inviteFixture) create(t *testing.T, ttl time.Duration, uses int) (*opslab.Invite, string) {
	t.Helper()
	inv, token, err := f.invites.CreateInvite(context.Background(), opslab.NewInvite{TeamID: f.team.ID, CreatedBy: f.lea.ID, TTL: ttl, MaxUses: uses})
	if err != nil {
		t.Fatal(err)
	}
	return inv, token
}

// member reports whether the user is in the fixture's team.
func (f *inviteFixture) member(t *testing.T, u *opslab.User) *opslab.Membership {
	t.Helper()
	m, err := f.admin.Membership(context.Background(), f.team.ID, u.ID)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInviteService_CreateInvite(t *testing.T) {
	ctx := context.Background()
	f := newInviteFixture(t)

	t.Run("OK", func(t *testing.T) {
		inv, token := f.create(t, 48*time.Hour, 0)
		if len(token) != 43 || strings.ContainsAny(token, "+/=") {
			t.Fatalf("token %q: want 43 characters of unpadded base64url", token)
		}
		if inv.ID == 0 || inv.TeamID != f.team.ID || inv.TeamSlug != "ops" || inv.TeamName != "ops" || inv.CreatedBy != f.lea.ID {
			t.Fatalf("invite = %+v", inv)
		}
		if !inv.CreatedAt.Equal(f.clk.Now()) || !inv.ExpiresAt.Equal(f.clk.Now().Add(48*time.Hour)) {
			t.Fatalf("created %v expires %v, want now and now+48h", inv.CreatedAt, inv.ExpiresAt)
		}
		if inv.MaxUses != 1 || inv.Uses != 0 || inv.State(f.clk.Now()) != opslab.InviteActive {
			t.Fatalf("a new link with MaxUses 0: %+v, want single use and active", inv)
		}
		got, err := f.invites.FindInvite(ctx, token)
		if err != nil || got.ID != inv.ID || !got.ExpiresAt.Equal(inv.ExpiresAt) {
			t.Fatalf("FindInvite = %+v, %v", got, err)
		}
	})
	t.Run("OnlyTheHashIsStored", func(t *testing.T) {
		_, token := f.create(t, time.Hour, 1)
		raw := rawDB(t, f.db.Path())
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM team_invites WHERE token_hash = ?`, token).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the token itself is stored (%d rows, %v)", n, err)
		}
		sum := sha256.Sum256([]byte(token))
		if err := raw.QueryRow(`SELECT COUNT(*) FROM team_invites WHERE token_hash = ?`, hex.EncodeToString(sum[:])).Scan(&n); err != nil || n != 1 {
			t.Fatalf("no row holds the token's SHA-256 (%d rows, %v)", n, err)
		}
		rows, err := raw.Query(`SELECT * FROM team_invites`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if s, ok := v.(string); ok && strings.Contains(s, token) {
					t.Fatalf("column %s holds the token", cols[i])
				}
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, n := range []opslab.NewInvite{
			{TeamID: f.team.ID, TTL: 31 * 24 * time.Hour},
			{TeamID: f.team.ID, TTL: time.Minute},
			{TeamID: f.team.ID, TTL: -time.Hour},
			{TeamID: f.team.ID, MaxUses: -1},
			{TeamID: f.team.ID, MaxUses: opslab.MaxInviteUses + 1},
		} {
			_, _, err := f.invites.CreateInvite(ctx, n)
			AssertCode(t, err, opslab.EINVALID)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := f.invites.CreateInvite(ctx, opslab.NewInvite{TeamID: 999})
		AssertCode(t, err, opslab.ENOTFOUND)
		_, _, err = f.invites.CreateInvite(ctx, opslab.NewInvite{TeamID: f.team.ID, CreatedBy: 999})
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestInviteService_AcceptInvite(t *testing.T) {
	ctx := context.Background()

	t.Run("SingleUse", func(t *testing.T) {
		f := newInviteFixture(t)
		ann := MustCreateUser(t, f.db, "ann@example.com", opslab.RoleLearner, "")
		bob := MustCreateUser(t, f.db, "bob@example.com", opslab.RoleLearner, "")
		_, token := f.create(t, time.Hour, 1)

		inv, joined, err := f.invites.AcceptInvite(ctx, token, ann.ID)
		if err != nil || !joined || inv.Uses != 1 || inv.TeamSlug != "ops" {
			t.Fatalf("first accept = %+v, %v, %v", inv, joined, err)
		}
		if m := f.member(t, ann); m == nil || m.Lead || !m.JoinedAt.Equal(f.clk.Now()) {
			t.Fatalf("ann's membership = %+v, want a learner who joined now", m)
		}
		_, _, err = f.invites.AcceptInvite(ctx, token, bob.ID)
		AssertCode(t, err, opslab.ENOTFOUND)
		if !strings.Contains(opslab.ErrorMessage(err), "already been used") {
			t.Errorf("used-up message = %q", opslab.ErrorMessage(err))
		}
		if f.member(t, bob) != nil {
			t.Fatal("bob joined with a used-up link")
		}
		// Ann opening the link again is no error and uses nothing.
		inv, joined, err = f.invites.AcceptInvite(ctx, token, ann.ID)
		if err != nil || joined || inv.Uses != 1 {
			t.Fatalf("member accepting again = %+v, %v, %v; want no change", inv, joined, err)
		}
	})
	t.Run("MultiUse", func(t *testing.T) {
		f := newInviteFixture(t)
		_, token := f.create(t, time.Hour, 2)
		for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			u := MustCreateUser(t, f.db, email, opslab.RoleLearner, "")
			_, joined, err := f.invites.AcceptInvite(ctx, token, u.ID)
			if i < 2 && (err != nil || !joined) {
				t.Fatalf("user %d: %v, %v", i, joined, err)
			}
			if i == 2 {
				AssertCode(t, err, opslab.ENOTFOUND)
			}
		}
	})
	t.Run("ExpiryByTheClock", func(t *testing.T) {
		f := newInviteFixture(t)
		ann := MustCreateUser(t, f.db, "ann@example.com", opslab.RoleLearner, "")
		bob := MustCreateUser(t, f.db, "bob@example.com", opslab.RoleLearner, "")
		_, token := f.create(t, 2*time.Hour, 5)

		f.clk.Add(2*time.Hour - time.Nanosecond)
		if _, joined, err := f.invites.AcceptInvite(ctx, token, ann.ID); err != nil || !joined {
			t.Fatalf("accept just before expiry: %v, %v", joined, err)
		}
		f.clk.Add(time.Nanosecond)
		_, _, err := f.invites.AcceptInvite(ctx, token, bob.ID)
		AssertCode(t, err, opslab.ENOTFOUND)
		if !strings.Contains(opslab.ErrorMessage(err), "expired") {
			t.Errorf("expired message = %q", opslab.ErrorMessage(err))
		}
		inv, err := f.invites.FindInvite(ctx, token)
		if err != nil || inv.State(f.clk.Now()) != opslab.InviteExpired {
			t.Fatalf("FindInvite after expiry = %+v, %v; want found and expired", inv, err)
		}
	})
	t.Run("LeadStaysLead", func(t *testing.T) {
		f := newInviteFixture(t)
		_, token := f.create(t, time.Hour, 1)
		inv, joined, err := f.invites.AcceptInvite(ctx, token, f.lea.ID)
		if err != nil || joined || inv.Uses != 0 {
			t.Fatalf("lead accepting = %+v, %v, %v", inv, joined, err)
		}
		if m := f.member(t, f.lea); m == nil || !m.Lead {
			t.Fatalf("lea after accepting her own link: %+v, want still lead", m)
		}
	})
	t.Run("SeveralTeams", func(t *testing.T) {
		f := newInviteFixture(t)
		ann := MustCreateUser(t, f.db, "ann@example.com", opslab.RoleLearner, "dev")
		_, token := f.create(t, time.Hour, 1)
		if _, joined, err := f.invites.AcceptInvite(ctx, token, ann.ID); err != nil || !joined {
			t.Fatalf("accept: %v, %v", joined, err)
		}
		teams, err := f.admin.TeamsJoinedBy(ctx, ann.ID)
		if err != nil || len(teams) != 2 || teams[0].Slug != "dev" || teams[1].Slug != "ops" {
			t.Fatalf("ann's teams = %+v, %v; want dev and ops", teams, err)
		}
	})
	t.Run("WrongToken", func(t *testing.T) {
		f := newInviteFixture(t)
		ann := MustCreateUser(t, f.db, "ann@example.com", opslab.RoleLearner, "")
		_, token := f.create(t, time.Hour, 1)
		other := strings.Repeat("A", 43) // well formed, matches nothing
		for _, tok := range []string{"", "nope", token[:42], token + "A", other, strings.ToUpper(token), "../../" + token[6:]} {
			if tok == token {
				continue
			}
			_, _, err := f.invites.AcceptInvite(ctx, tok, ann.ID)
			AssertCode(t, err, opslab.ENOTFOUND)
			if !strings.Contains(opslab.ErrorMessage(err), "not valid") {
				t.Errorf("%q: message %q", tok, opslab.ErrorMessage(err))
			}
			_, err = f.invites.FindInvite(ctx, tok)
			AssertCode(t, err, opslab.ENOTFOUND)
		}
		if f.member(t, ann) != nil {
			t.Fatal("a wrong token let ann in")
		}
		_, _, err := f.invites.AcceptInvite(ctx, token, 999)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("RaceForTheLastUse", func(t *testing.T) {
		f := newInviteFixture(t)
		_, token := f.create(t, time.Hour, 1)
		const n = 8
		users := make([]*opslab.User, n)
		for i := range users {
			users[i] = MustCreateUser(t, f.db, "racer"+string(rune('a'+i))+"@example.com", opslab.RoleLearner, "")
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		joined := 0
		for _, u := range users {
			wg.Go(func() {
				_, ok, err := f.invites.AcceptInvite(ctx, token, u.ID)
				if err != nil && opslab.ErrorCode(err) != opslab.ENOTFOUND {
					t.Errorf("accept: %v", err)
				}
				if ok {
					mu.Lock()
					joined++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if joined != 1 {
			t.Fatalf("%d users joined with a single-use link", joined)
		}
	})
}

func TestInviteService_RevokeInvite(t *testing.T) {
	ctx := context.Background()
	f := newInviteFixture(t)
	ann := MustCreateUser(t, f.db, "ann@example.com", opslab.RoleLearner, "")
	inv, token := f.create(t, time.Hour, 3)

	t.Run("OK", func(t *testing.T) {
		if err := f.invites.RevokeInvite(ctx, f.team.ID, inv.ID); err != nil {
			t.Fatal(err)
		}
		first := f.clk.Now()
		f.clk.Add(time.Minute)
		if err := f.invites.RevokeInvite(ctx, f.team.ID, inv.ID); err != nil {
			t.Fatalf("revoking again: %v", err)
		}
		_, _, err := f.invites.AcceptInvite(ctx, token, ann.ID)
		AssertCode(t, err, opslab.ENOTFOUND)
		if !strings.Contains(opslab.ErrorMessage(err), "revoked") {
			t.Errorf("revoked message = %q", opslab.ErrorMessage(err))
		}
		got, err := f.invites.FindInvite(ctx, token)
		if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(first) || got.State(f.clk.Now()) != opslab.InviteRevoked {
			t.Fatalf("after revoke: %+v, %v; want revoked at the first revocation", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		other, err := sqlite.NewTeamService(f.db).CreateTeam(ctx, "other", "")
		if err != nil {
			t.Fatal(err)
		}
		AssertCode(t, f.invites.RevokeInvite(ctx, other.ID, inv.ID), opslab.ENOTFOUND)
		AssertCode(t, f.invites.RevokeInvite(ctx, f.team.ID, 999), opslab.ENOTFOUND)
	})
}

func TestInviteService_TeamInvites(t *testing.T) {
	ctx := context.Background()
	f := newInviteFixture(t)
	if list, err := f.invites.TeamInvites(ctx, f.team.ID); err != nil || len(list) != 0 {
		t.Fatalf("no links yet: %v, %v", list, err)
	}
	old, _ := f.create(t, time.Hour, 1)
	f.clk.Add(2 * time.Hour)
	cur, _ := f.create(t, time.Hour, 1)
	list, err := f.invites.TeamInvites(ctx, f.team.ID)
	if err != nil || len(list) != 2 || list[0].ID != cur.ID || list[1].ID != old.ID {
		t.Fatalf("TeamInvites = %+v, %v; want newest first", list, err)
	}
	if list[0].State(f.clk.Now()) != opslab.InviteActive || list[1].State(f.clk.Now()) != opslab.InviteExpired {
		t.Fatalf("states: %s, %s", list[0].State(f.clk.Now()), list[1].State(f.clk.Now()))
	}
	_, err = f.invites.TeamInvites(ctx, 999)
	AssertCode(t, err, opslab.ENOTFOUND)

	// Deleting the maker keeps the link, without a maker.
	conn, err := rawDB(t, f.db.Path()).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, f.lea.ID); err != nil {
		t.Fatal(err)
	}
	list, err = f.invites.TeamInvites(ctx, f.team.ID)
	if err != nil || len(list) != 2 || list[0].CreatedBy != 0 {
		t.Fatalf("after deleting the maker: %+v, %v", list, err)
	}
}
