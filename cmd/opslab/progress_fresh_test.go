package main

import (
	"net/http"
	"regexp"
	"testing"
)

// TestOwnProgressFollowsHints checks that the learner's own course page
// is never stale: a hint or the solution revealed through the API puts
// the lesson in progress on the next view, though the page was shown
// (and its progress cached) just before.
func TestOwnProgressFollowsHints(t *testing.T) {
	srv := startServer(t)
	c := newAPIClient(t, srv.URL())
	c.register("hana@example.com", "Hana Hint", "correct-horse-battery")
	status := func() string {
		t.Helper()
		st, body := getPage(t, c, "/courses/"+e2eCourse)
		if st != http.StatusOK {
			t.Fatalf("GET the course page: status %d", st)
		}
		m := regexp.MustCompile(`data-lesson="` + e2eLesson + `" data-status="([a-z-]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the course page has no row for %s", e2eLesson)
		}
		return m[1]
	}
	if got := status(); got != "not-started" {
		t.Fatalf("a new learner's lesson 11 is %q, want not-started", got)
	}
	if st, body := c.do(http.MethodPost, exercisePath(e2eCourse, e2eLesson, builtinRedisEx)+"/hints/1", nil); st != http.StatusNoContent {
		t.Fatalf("POST hints/1: status %d: %s", st, body)
	}
	if got := status(); got != "in-progress" {
		t.Errorf("after a hint lesson 11 is %q on the learner's own page, want in-progress", got)
	}
}
