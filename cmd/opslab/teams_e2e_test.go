package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTeamLeadFromUserAdd: a lead and learners made with "opslab user add
// --team" work on the real server: the lead reads the team's progress as
// JSON and CSV, invites a newcomer who signs up and joins, and sees nothing
// of another team.
func TestTeamLeadFromUserAdd(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const password = "a-long-password"
	userAdd := func(email, name, role, team string) {
		t.Helper()
		var out, errb bytes.Buffer
		args := []string{"user", "add", "--data", dir, "--email", email, "--name", name, "--role", role, "--team", team}
		if err := Run(ctx, args, strings.NewReader(password+"\n"), &out, &errb); err != nil {
			t.Fatalf("opslab %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
	}
	userAdd("lena@example.com", "Lena Lead", "lead", "platform")
	userAdd("ann@example.com", "Ann, the \"first\"", "learner", "platform")
	userAdd("otto@example.com", "Otto", "learner", "other")

	srv := startServerOn(t, dir)
	lead := newAPIClient(t, srv.URL())
	lead.login("lena@example.com", password)
	ann := newAPIClient(t, srv.URL())
	ann.login("ann@example.com", password)
	var done apiCompleteResult
	if st := ann.postJSON("/api"+lessonPath(e2eCourse, e2eLesson)+"/complete", map[string]bool{"done": true}, &done); st != http.StatusOK {
		t.Fatalf("ann marks a lesson done: %d %s", st, done.Error)
	}
	own := ann.progress().course(t, e2eCourse)

	type report struct {
		Team     string `json:"team"`
		Learners []struct {
			Email            string     `json:"email"`
			Name             string     `json:"name"`
			PassedExercises  int        `json:"passed_exercises"`
			CompletedLessons int        `json:"completed_lessons"`
			LastActivity     *time.Time `json:"last_activity"`
		} `json:"learners"`
		Error string `json:"error"`
	}
	var rep report
	if st := lead.getJSON("/api/teams/platform/progress", &rep); st != http.StatusOK {
		t.Fatalf("GET /api/teams/platform/progress as the lead: %d %s", st, rep.Error)
	}
	if len(rep.Learners) != 1 || rep.Learners[0].Email != "ann@example.com" || rep.Learners[0].LastActivity == nil ||
		rep.Learners[0].CompletedLessons != own.CompletedLessons || rep.Learners[0].PassedExercises != own.PassedExercises {
		t.Fatalf("team report %+v; ann's own progress %+v", rep, own)
	}
	if st := lead.getJSON("/api/teams/other/progress", &rep); st != http.StatusForbidden {
		t.Errorf("the lead reads another team: %d, want 403", st)
	}

	// The CSV: one row per lesson of the built-in course for ann.
	st, body := lead.do(http.MethodGet, "/teams/platform/progress.csv", nil)
	if st != http.StatusOK {
		t.Fatalf("GET progress.csv: %d %s", st, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "email" || rows[1][1] != `Ann, the "first"` {
		t.Fatalf("progress.csv (%v): %q", err, rows)
	}

	// An invite link brings a newcomer in.
	// The server runs without --public-url: the link is its path alone.
	var inv struct {
		Path  string `json:"path"`
		URL   string `json:"url"`
		Error string `json:"error"`
	}
	if st := lead.postJSON("/api/teams/platform/invites", map[string]int{"expires_in_hours": 24}, &inv); st != http.StatusCreated {
		t.Fatalf("create invite: %d %s", st, inv.Error)
	}
	if !strings.HasPrefix(inv.Path, "/invite/") || inv.URL != "" {
		t.Fatalf("invite path %q, url %q: want a path and no url without --public-url", inv.Path, inv.URL)
	}
	newcomer := newAPIClient(t, srv.URL())
	newcomer.register("nina@example.com", "Nina", password)
	resp, err := newcomer.hc.Get(srv.URL() + inv.Path)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`data-state="join"`)) {
		t.Fatalf("invite page for a signed-in newcomer: %d", resp.StatusCode)
	}
	token := strings.TrimPrefix(inv.Path, "/invite/")
	var joined struct {
		Joined bool   `json:"joined"`
		Error  string `json:"error"`
	}
	if st := newcomer.postJSON("/api/invites/"+token+"/accept", nil, &joined); st != http.StatusOK || !joined.Joined {
		t.Fatalf("accept: %d %+v", st, joined)
	}
	if st := lead.getJSON("/api/teams/platform/progress", &rep); st != http.StatusOK || len(rep.Learners) != 2 {
		t.Fatalf("after the newcomer joined: %d %+v", st, rep)
	}
}
