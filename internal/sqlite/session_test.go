package sqlite_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func newSessions(db *sqlite.DB) *sqlite.SessionService {
	return sqlite.NewSessionService(db, NewUserService(db))
}

func mustSession(t *testing.T, s *sqlite.SessionService, uid int64, ttl time.Duration, now time.Time) (string, *opslab.Session) {
	t.Helper()
	token := opslab.NewToken()
	sess, err := s.CreateSession(context.Background(), opslab.NewSession{UserID: uid, Token: token,
		ExpiresAt: now.Add(ttl), UserAgent: "test-agent", ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return token, sess
}

func TestSessionService_Sessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opslab.db")
	db := MustOpenDBAt(t, path)
	clk := NewClock()
	db.Now = clk.Now
	s := newSessions(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "")

	tokA, a := mustSession(t, s, ann.ID, time.Hour, clk.Now())
	tokB, b := mustSession(t, s, ann.ID, 24*time.Hour, clk.Now())
	tokC, c := mustSession(t, s, bob.ID, time.Hour, clk.Now())

	got, err := s.FindSession(ctx, tokA)
	if err != nil || got.ID != a.ID || got.UserID != ann.ID || got.UserAgent != "test-agent" || got.ClientAddr != "192.0.2.1" {
		t.Fatalf("FindSession = %+v, %v", got, err)
	}
	_, err = s.FindSession(ctx, "not-a-token")
	AssertCode(t, err, opslab.ENOTFOUND)

	// Only the hash of the token is stored.
	raw := rawDB(t, path)
	var hash []byte
	if err := raw.QueryRow(`SELECT token_hash FROM sessions WHERE id = ?`, a.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(hash, []byte(tokA)) || !bytes.Equal(hash, opslab.HashToken(tokA)) {
		t.Fatalf("stored %x, want the SHA-256 of the token", hash)
	}

	clk.Add(2 * time.Minute)
	if err := s.TouchSession(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindSession(ctx, tokA); !got.LastSeenAt.Equal(clk.Now()) {
		t.Fatalf("LastSeenAt = %v, want %v", got.LastSeenAt, clk.Now())
	}

	// Bob cannot end Ann's session.
	AssertCode(t, s.DeleteSession(ctx, bob.ID, a.ID), opslab.ENOTFOUND)
	if _, err := s.FindSession(ctx, tokA); err != nil {
		t.Fatalf("after bob's attempt: %v", err)
	}

	list, err := s.ListSessions(ctx, ann.ID)
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("ListSessions = %+v, %v", list, err)
	}

	// An expired session is not found and its row goes.
	clk.Add(time.Hour)
	_, err = s.FindSession(ctx, tokA)
	AssertCode(t, err, opslab.ENOTFOUND)
	var n int
	raw.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id = ?`, a.ID).Scan(&n)
	if n != 0 {
		t.Fatal("expired session row is still there after lookup")
	}
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 { // bob's
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
	_, err = s.FindSession(ctx, tokC)
	AssertCode(t, err, opslab.ENOTFOUND)
	_ = c

	// A session survives closing and reopening the file.
	MustClose(t, db)
	db2 := MustOpenDBAt(t, path)
	db2.Now = clk.Now
	s2 := newSessions(db2)
	if got, err := s2.FindSession(ctx, tokB); err != nil || got.ID != b.ID {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if err := s2.DeleteSession(ctx, ann.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s2.FindSession(ctx, tokB)
	AssertCode(t, err, opslab.ENOTFOUND)
}

func TestSessionService_ChangePassword(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := newSessions(db)
	users := NewUserService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "")
	tokKeep, keep := mustSession(t, s, ann.ID, time.Hour, time.Now())
	tokOther, _ := mustSession(t, s, ann.ID, time.Hour, time.Now())
	tokBob, _ := mustSession(t, s, bob.ID, time.Hour, time.Now())

	AssertCode(t, s.ChangePassword(ctx, ann.ID, "short", keep.ID), opslab.EINVALID)
	if _, err := s.FindSession(ctx, tokOther); err != nil {
		t.Fatal("a refused change ended a session")
	}
	if err := s.ChangePassword(ctx, ann.ID, "a brand new password", keep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate(ctx, "ann@example.com", "a brand new password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := users.Authenticate(ctx, "ann@example.com", "correct horse battery"); opslab.ErrorCode(err) != opslab.EUNAUTHORIZED {
		t.Fatalf("old password: %v", err)
	}
	if _, err := s.FindSession(ctx, tokKeep); err != nil {
		t.Fatalf("kept session: %v", err)
	}
	_, err := s.FindSession(ctx, tokOther)
	AssertCode(t, err, opslab.ENOTFOUND)
	if _, err := s.FindSession(ctx, tokBob); err != nil {
		t.Fatalf("another account's session: %v", err)
	}
	if n, err := s.DeleteUserSessions(ctx, ann.ID, 0); err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions = %d, %v", n, err)
	}
}

func TestSessionService_ResetLink(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	s := newSessions(db)
	users := NewUserService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	tokSess, _ := mustSession(t, s, ann.ID, time.Hour, clk.Now())

	old := opslab.NewToken()
	if err := s.CreateResetLink(ctx, ann.ID, old, clk.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok := opslab.NewToken()
	if err := s.CreateResetLink(ctx, ann.ID, tok, clk.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	invalid := opslab.ErrResetLinkInvalid().Error()
	// The newer link voids the older.
	if _, err := s.CheckResetLink(ctx, old); err == nil || err.Error() != invalid {
		t.Fatalf("older link: %v", err)
	}
	if uid, err := s.CheckResetLink(ctx, tok); err != nil || uid != ann.ID {
		t.Fatalf("CheckResetLink = %d, %v", uid, err)
	}
	// A refused password leaves the link usable.
	_, err := s.UseResetLink(ctx, tok, "short")
	AssertCode(t, err, opslab.EINVALID)
	if uid, err := s.UseResetLink(ctx, tok, "reset password 1"); err != nil || uid != ann.ID {
		t.Fatalf("UseResetLink = %d, %v", uid, err)
	}
	if _, err := users.Authenticate(ctx, "ann@example.com", "reset password 1"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	_, err = s.FindSession(ctx, tokSess)
	AssertCode(t, err, opslab.ENOTFOUND)
	// Single use.
	if _, err := s.UseResetLink(ctx, tok, "reset password 2"); err == nil || err.Error() != invalid {
		t.Fatalf("second use: %v", err)
	}
	// Expiry, and an unknown token: the same answer.
	exp := opslab.NewToken()
	if err := s.CreateResetLink(ctx, ann.ID, exp, clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	for _, bad := range []string{exp, "unknown"} {
		if _, err := s.UseResetLink(ctx, bad, "reset password 3"); err == nil || err.Error() != invalid {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
	AssertCode(t, s.CreateResetLink(ctx, 9999, opslab.NewToken(), clk.Now()), opslab.ENOTFOUND)
}
