package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

var runbookLesson = opslab.LessonKey{Course: "redis", Lesson: "data-structures"}

// runbookFixture is a team "ops" with a lead and two learners, a learner
// of another team with its own lead, and an admin.
type runbookFixture struct {
	db                    *sqlite.DB
	clock                 *Clock
	s                     *sqlite.RunbookService
	lead, ann, bob        *opslab.User
	otherLead, eve, admin *opslab.User
}

func newRunbookFixture(t *testing.T) *runbookFixture {
	t.Helper()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	return &runbookFixture{
		db: db, clock: clk, s: sqlite.NewRunbookService(db),
		lead:      MustCreateUser(t, db, "lead@example.com", opslab.RoleLead, "ops"),
		ann:       MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "ops"),
		bob:       MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "ops"),
		otherLead: MustCreateUser(t, db, "olga@example.com", opslab.RoleLead, "dev"),
		eve:       MustCreateUser(t, db, "eve@example.com", opslab.RoleLearner, "dev"),
		admin:     MustCreateUser(t, db, "root@example.com", opslab.RoleAdmin, ""),
	}
}

// submitted saves body as u's draft and submits it; it returns the runbook.
func (f *runbookFixture) submitted(t *testing.T, u *opslab.User, k opslab.LessonKey, body string) *opslab.Runbook {
	t.Helper()
	ctx := context.Background()
	rev := int64(0)
	if rb, err := f.s.FindRunbook(ctx, u.ID, k); err == nil {
		rev = rb.Revision
	}
	if _, err := f.s.SaveDraft(ctx, u.ID, k, body, rev); err != nil {
		t.Fatal(err)
	}
	rb, err := f.s.Submit(ctx, u.ID, k, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func TestRunbookService_SaveDraft(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)

	t.Run("OK", func(t *testing.T) {
		rb, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "## Prerequisites\n", 0)
		if err != nil {
			t.Fatal(err)
		}
		if rb.Revision != 1 || rb.Status != opslab.RunbookDraft || rb.SubmittedAt != nil || !rb.DraftUpdatedAt.Equal(f.clock.Now()) {
			t.Fatalf("first save = %+v", rb)
		}
		f.clock.Add(time.Minute)
		rb, err = f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "## Prerequisites\n\n- backup\n", 1)
		if err != nil || rb.Revision != 2 {
			t.Fatalf("second save = %+v, %v", rb, err)
		}
		got, err := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
		if err != nil {
			t.Fatal(err)
		}
		if got.Draft != "## Prerequisites\n\n- backup\n" || got.Revision != 2 || !got.DraftUpdatedAt.Equal(f.clock.Now()) ||
			len(got.Versions) != 0 || len(got.Reviews) != 0 || got.Versions == nil {
			t.Fatalf("FindRunbook = %+v", got)
		}
	})
	t.Run("SameTextKeepsRevision", func(t *testing.T) {
		rb, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "## Prerequisites\n\n- backup\n", 2)
		if err != nil || rb.Revision != 2 {
			t.Fatalf("saving the same text = %+v, %v; want revision 2 kept", rb, err)
		}
	})
	t.Run("ErrConflictStaleRevision", func(t *testing.T) {
		// Two tabs loaded revision 2; the first saves, the second is stale.
		if _, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "tab one", 2); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "tab two", 2)
		AssertCode(t, err, opslab.ECONFLICT)
		if msg := opslab.ErrorMessage(err); !strings.Contains(msg, "another tab") || !strings.Contains(msg, "revision 2") {
			t.Errorf("message %q does not explain the conflict", msg)
		}
		// The same text from a stale copy overwrites nothing: it is saved.
		if rb, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "tab one", 2); err != nil || rb.Revision != 3 {
			t.Fatalf("the stored text again from a stale copy = %+v, %v", rb, err)
		}
		got, _ := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
		if got.Draft != "tab one" {
			t.Fatalf("the stale save overwrote the draft: %q", got.Draft)
		}
		// A client that thinks there is no runbook yet is stale too.
		_, err = f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "fresh tab", 0)
		AssertCode(t, err, opslab.ECONFLICT)
		// And so is one that claims a runbook that does not exist.
		_, err = f.s.SaveDraft(ctx, f.bob.ID, runbookLesson, "x", 7)
		AssertCode(t, err, opslab.ECONFLICT)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		_, err := f.s.SaveDraft(ctx, f.bob.ID, runbookLesson, strings.Repeat("a", opslab.MaxRunbookBytes+1), 0)
		AssertCode(t, err, opslab.ETOOLARGE)
		if _, err := f.s.SaveDraft(ctx, f.bob.ID, runbookLesson, strings.Repeat("a", opslab.MaxRunbookBytes), 0); err != nil {
			t.Fatalf("a body of exactly the cap: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.s.SaveDraft(ctx, f.ann.ID, opslab.LessonKey{Course: "redis"}, "x", 0)
		AssertCode(t, err, opslab.EINVALID)
		_, err = f.s.SaveDraft(ctx, f.ann.ID, opslab.LessonKey{Course: "redis", Lesson: "other"}, "bad \xff byte", 0)
		AssertCode(t, err, opslab.EINVALID)
	})
	t.Run("ErrNotFoundUser", func(t *testing.T) {
		_, err := f.s.SaveDraft(ctx, 9999, runbookLesson, "x", 0)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.s.FindRunbook(ctx, f.eve.ID, runbookLesson)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("OnePerLessonAndUser", func(t *testing.T) {
		other := opslab.LessonKey{Course: "redis", Lesson: "persistence"}
		if _, err := f.s.SaveDraft(ctx, f.ann.ID, other, "another lesson", 0); err != nil {
			t.Fatal(err)
		}
		a, _ := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
		b, _ := f.s.FindRunbook(ctx, f.ann.ID, other)
		if a.ID == b.ID || a.Draft == b.Draft {
			t.Fatalf("two lessons share a runbook: %+v %+v", a, b)
		}
	})
}

func TestRunbookService_Submit(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 0)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("ErrInvalidEmpty", func(t *testing.T) {
		if _, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "  \n\t", 0); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 0)
		AssertCode(t, err, opslab.EINVALID)
	})
	t.Run("OK", func(t *testing.T) {
		if _, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "v1 text", 1); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
		rb, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rb.Status != opslab.RunbookSubmitted || rb.SubmittedAt == nil || !rb.SubmittedAt.Equal(f.clock.Now()) {
			t.Fatalf("after submit: status %s, submitted at %v", rb.Status, rb.SubmittedAt)
		}
		if len(rb.Versions) != 1 || rb.Versions[0].Number != 1 || rb.Versions[0].Body != "v1 text" || rb.Latest() != rb.Versions[0] {
			t.Fatalf("versions = %+v", rb.Versions)
		}
		// The draft stays for further editing; a submit is not a save.
		if rb.Draft != "v1 text" || rb.Revision != 2 {
			t.Fatalf("draft after submit: %q at revision %d", rb.Draft, rb.Revision)
		}
	})
	t.Run("ErrConflictUnchanged", func(t *testing.T) {
		_, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 0)
		AssertCode(t, err, opslab.ECONFLICT)
	})
	t.Run("ErrConflictStaleRevision", func(t *testing.T) {
		if _, err := f.s.SaveDraft(ctx, f.ann.ID, runbookLesson, "v2 text", 2); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 2)
		AssertCode(t, err, opslab.ECONFLICT)
	})
	t.Run("ResubmitWhileWaitingKeepsPlace", func(t *testing.T) {
		first, _ := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
		f.clock.Add(time.Hour)
		rb, err := f.s.Submit(ctx, f.ann.ID, runbookLesson, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(rb.Versions) != 2 || rb.Versions[1].Number != 2 || rb.Versions[1].Body != "v2 text" || rb.Versions[0].Body != "v1 text" {
			t.Fatalf("versions = %+v", rb.Versions)
		}
		if !rb.SubmittedAt.Equal(*first.SubmittedAt) {
			t.Fatalf("resubmitting moved the runbook in the queue: %v, was %v", rb.SubmittedAt, first.SubmittedAt)
		}
	})
}

func TestRunbookService_Reviews(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)
	annRB := f.submitted(t, f.ann, runbookLesson, "## Commands\n\nredis-cli INFO")

	t.Run("WhoMayReview", func(t *testing.T) {
		for _, c := range []struct {
			who  *opslab.User
			code string
		}{
			{f.lead, ""}, {f.admin, ""},
			{f.ann, opslab.ENOTFOUND},       // the author
			{f.bob, opslab.ENOTFOUND},       // a teammate who leads nothing
			{f.otherLead, opslab.ENOTFOUND}, // a lead of another team
			{nil, opslab.ENOTFOUND},
		} {
			rb, err := f.s.FindRunbookForReview(ctx, c.who, annRB.ID)
			if c.code == "" {
				if err != nil || rb.ID != annRB.ID || len(rb.Versions) != 1 {
					t.Errorf("%v: FindRunbookForReview = %+v, %v", c.who, rb, err)
				}
				continue
			}
			AssertCode(t, err, c.code)
			_, err = f.s.AddReview(ctx, c.who, annRB.ID, opslab.NewReview{Decision: opslab.DecisionComment, Comment: "hi"})
			AssertCode(t, err, c.code)
		}
		_, err := f.s.FindRunbookForReview(ctx, f.lead, 9999)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("DraftIsNotReviewable", func(t *testing.T) {
		rb, err := f.s.SaveDraft(ctx, f.bob.ID, runbookLesson, "bob's draft", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.FindRunbookForReview(ctx, f.lead, rb.ID)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, n := range []opslab.NewReview{
			{Decision: "maybe", Comment: "x"},
			{Decision: opslab.DecisionChangesRequested, Comment: "  "},
			{Decision: opslab.DecisionComment},
		} {
			_, err := f.s.AddReview(ctx, f.lead, annRB.ID, n)
			AssertCode(t, err, opslab.EINVALID)
		}
		_, err := f.s.AddReview(ctx, f.lead, annRB.ID, opslab.NewReview{Decision: opslab.DecisionComment,
			Comment: strings.Repeat("x", opslab.MaxReviewCommentBytes+1)})
		AssertCode(t, err, opslab.ETOOLARGE)
	})
	t.Run("Decisions", func(t *testing.T) {
		f.clock.Add(time.Minute)
		rv, err := f.s.AddReview(ctx, f.lead, annRB.ID, opslab.NewReview{Decision: opslab.DecisionComment, Comment: " Nice start. ", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rv.Comment != "Nice start." || rv.Version != 1 || rv.ReviewerName != f.lead.Name || !rv.CreatedAt.Equal(f.clock.Now()) {
			t.Fatalf("review = %+v", rv)
		}
		status := func() opslab.RunbookStatus {
			rb, err := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
			if err != nil {
				t.Fatal(err)
			}
			return rb.Status
		}
		if st := status(); st != opslab.RunbookSubmitted {
			t.Fatalf("a comment changed the status to %s", st)
		}
		if _, err := f.s.AddReview(ctx, f.lead, annRB.ID, opslab.NewReview{Decision: opslab.DecisionChangesRequested, Comment: "Add a rollback."}); err != nil {
			t.Fatal(err)
		}
		if st := status(); st != opslab.RunbookChangesRequested {
			t.Fatalf("status after changes requested = %s", st)
		}
		// Ann writes version 2; a reviewer still reading version 1 is refused.
		f.submitted(t, f.ann, runbookLesson, "## Commands\n\nredis-cli INFO\n\n## Rollback\n")
		if st := status(); st != opslab.RunbookSubmitted {
			t.Fatalf("status after resubmit = %s", st)
		}
		_, err = f.s.AddReview(ctx, f.admin, annRB.ID, opslab.NewReview{Decision: opslab.DecisionApprove, Version: 1})
		AssertCode(t, err, opslab.ECONFLICT)
		if _, err := f.s.AddReview(ctx, f.admin, annRB.ID, opslab.NewReview{Decision: opslab.DecisionApprove, Version: 2}); err != nil {
			t.Fatalf("approve without a comment: %v", err)
		}
		if st := status(); st != opslab.RunbookApproved {
			t.Fatalf("status after approve = %s", st)
		}
		rb, err := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rb.Reviews {
			got = append(got, fmt.Sprintf("%s@v%d by %s", r.Decision, r.Version, r.ReviewerName))
		}
		want := []string{"comment@v1 by " + f.lead.Name, "changes_requested@v1 by " + f.lead.Name, "approve@v2 by " + f.admin.Name}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("reviews = %q, want %q", got, want)
		}
	})
}

func TestRunbookService_Queue(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)
	first := f.submitted(t, f.bob, runbookLesson, "bob's runbook")
	f.clock.Add(time.Minute)
	second := f.submitted(t, f.ann, runbookLesson, "ann's runbook")
	f.clock.Add(time.Minute)
	eves := f.submitted(t, f.eve, runbookLesson, "eve's runbook")
	if _, err := f.s.SaveDraft(ctx, f.ann.ID, opslab.LessonKey{Course: "redis", Lesson: "draft-only"}, "draft", 0); err != nil {
		t.Fatal(err)
	}
	ids := func(u *opslab.User) []int64 {
		t.Helper()
		q, err := f.s.ReviewQueue(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, s := range q {
			out = append(out, s.RunbookID)
		}
		return out
	}
	same := equalInts

	t.Run("LeadSeesTheirTeamOldestFirst", func(t *testing.T) {
		q, err := f.s.ReviewQueue(ctx, f.lead)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 2 || q[0].RunbookID != first.ID || q[1].RunbookID != second.ID {
			t.Fatalf("queue = %+v", q)
		}
		if q[0].Author.Email != "bob@example.com" || q[0].Version != 1 || q[0].Status != opslab.RunbookSubmitted ||
			q[0].Course != runbookLesson.Course || q[0].Lesson != runbookLesson.Lesson || !q[0].SubmittedAt.Equal(*first.SubmittedAt) {
			t.Fatalf("queue entry = %+v", q[0])
		}
	})
	t.Run("OthersSeeTheirsOrNothing", func(t *testing.T) {
		if got := ids(f.otherLead); !same(got, []int64{eves.ID}) {
			t.Errorf("other lead's queue = %v", got)
		}
		if got := ids(f.admin); !same(got, []int64{first.ID, second.ID, eves.ID}) {
			t.Errorf("admin's queue = %v", got)
		}
		for _, u := range []*opslab.User{f.ann, f.bob, nil} {
			if got := ids(u); len(got) != 0 {
				t.Errorf("%v's queue = %v, want empty", u, got)
			}
		}
	})
	t.Run("DecidedLeavesQueueCommentDoesNot", func(t *testing.T) {
		if _, err := f.s.AddReview(ctx, f.lead, first.ID, opslab.NewReview{Decision: opslab.DecisionComment, Comment: "hm"}); err != nil {
			t.Fatal(err)
		}
		if got := ids(f.lead); !same(got, []int64{first.ID, second.ID}) {
			t.Errorf("after a comment: %v", got)
		}
		if _, err := f.s.AddReview(ctx, f.lead, first.ID, opslab.NewReview{Decision: opslab.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
		if got := ids(f.lead); !same(got, []int64{second.ID}) {
			t.Errorf("after approval: %v", got)
		}
	})
	t.Run("LeadOfSeveralTeams", func(t *testing.T) {
		dev, err := sqlite.NewTeamService(f.db).FindTeamBySlug(ctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		if err := sqlite.NewTeamService(f.db).AddMember(ctx, dev.ID, f.lead.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := ids(f.lead); !same(got, []int64{second.ID, eves.ID}) {
			t.Errorf("lead of two teams: %v", got)
		}
	})
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunbookService_Badges(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)
	badges := func(u *opslab.User) *opslab.RunbookBadges {
		t.Helper()
		b, err := f.s.Badges(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("Empty", func(t *testing.T) {
		if b := badges(f.ann); b.Reviewer || b.ReviewsWaiting != 0 || b.RunbookUpdates != 0 || b.Updates == nil {
			t.Errorf("learner = %+v", b)
		}
		if b := badges(f.lead); !b.Reviewer || b.ReviewsWaiting != 0 {
			t.Errorf("lead = %+v", b)
		}
		if b := badges(f.admin); !b.Reviewer {
			t.Errorf("admin = %+v", b)
		}
		if b := badges(nil); b.Reviewer || b.Updates == nil {
			t.Errorf("nobody = %+v", b)
		}
	})

	rb := f.submitted(t, f.ann, runbookLesson, "runbook")
	t.Run("ReviewerSeesWaiting", func(t *testing.T) {
		if b := badges(f.lead); b.ReviewsWaiting != 1 {
			t.Errorf("lead = %+v", b)
		}
		if b := badges(f.otherLead); b.ReviewsWaiting != 0 {
			t.Errorf("other lead = %+v", b)
		}
	})
	t.Run("AuthorSeesUnseenReviews", func(t *testing.T) {
		if _, err := f.s.AddReview(ctx, f.lead, rb.ID, opslab.NewReview{Decision: opslab.DecisionComment, Comment: "one"}); err != nil {
			t.Fatal(err)
		}
		second, err := f.s.AddReview(ctx, f.lead, rb.ID, opslab.NewReview{Decision: opslab.DecisionChangesRequested, Comment: "two"})
		if err != nil {
			t.Fatal(err)
		}
		b := badges(f.ann)
		if b.RunbookUpdates != 2 || len(b.Updates) != 1 || b.Updates[0].RunbookID != rb.ID || b.Updates[0].Unseen != 2 ||
			b.Updates[0].Status != opslab.RunbookChangesRequested || b.Updates[0].Lesson != runbookLesson.Lesson {
			t.Fatalf("author = %+v", b)
		}
		if b := badges(f.lead); b.ReviewsWaiting != 0 {
			t.Errorf("lead after deciding = %+v", b)
		}
		// Seeing the first review leaves one; seeing past the newest
		// stops at the newest, so a later review still counts.
		if err := f.s.MarkSeen(ctx, f.ann.ID, runbookLesson, second.ID-1); err != nil {
			t.Fatal(err)
		}
		if b := badges(f.ann); b.RunbookUpdates != 1 {
			t.Fatalf("after seeing the first: %+v", b)
		}
		if err := f.s.MarkSeen(ctx, f.ann.ID, runbookLesson, second.ID+100); err != nil {
			t.Fatal(err)
		}
		if b := badges(f.ann); b.RunbookUpdates != 0 || len(b.Updates) != 0 {
			t.Fatalf("after seeing all: %+v", b)
		}
		// Never backwards.
		if err := f.s.MarkSeen(ctx, f.ann.ID, runbookLesson, 0); err != nil {
			t.Fatal(err)
		}
		if b := badges(f.ann); b.RunbookUpdates != 0 {
			t.Fatalf("MarkSeen moved backwards: %+v", b)
		}
		f.submitted(t, f.ann, runbookLesson, "runbook v2")
		if _, err := f.s.AddReview(ctx, f.lead, rb.ID, opslab.NewReview{Decision: opslab.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
		if b := badges(f.ann); b.RunbookUpdates != 1 || b.Updates[0].Status != opslab.RunbookApproved {
			t.Fatalf("after a newer review: %+v", b)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := f.s.MarkSeen(ctx, f.bob.ID, runbookLesson, 1)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestRunbookService_DeletedReviewerKeepsReview(t *testing.T) {
	ctx := context.Background()
	f := newRunbookFixture(t)
	rb := f.submitted(t, f.ann, runbookLesson, "runbook")
	if _, err := f.s.AddReview(ctx, f.lead, rb.ID, opslab.NewReview{Decision: opslab.DecisionChangesRequested, Comment: "more"}); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, f.db.Path())
	if _, err := raw.Exec(`PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = ?`, f.lead.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.FindRunbook(ctx, f.ann.ID, runbookLesson)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Reviews) != 1 || got.Reviews[0].ReviewerID != 0 || got.Reviews[0].ReviewerName != "" || got.Reviews[0].Comment != "more" {
		t.Fatalf("reviews after the reviewer left = %+v", got.Reviews)
	}
}
