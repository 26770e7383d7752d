package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeWarmPool serves with one warm Redis sandbox: /metrics shows it
// ready, a learner's start claims it (fresh, and the pool refills), and
// the learner's console works in it.
func TestServeWarmPool(t *testing.T) {
	srv := startLabServer(t, "--content", unseenContent, "--sandbox-warm-redis", "1")
	warm := func() string {
		resp, err := http.Get(srv.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "opslab_sandboxes_warm{") && strings.Contains(line, `kind="redis"`) {
				return line[strings.LastIndex(line, " ")+1:]
			}
		}
		return ""
	}
	waitWarm := func() {
		t.Helper()
		deadline := time.Now().Add(labTimeout)
		for warm() != "1" {
			if time.Now().After(deadline) {
				t.Fatalf("opslab_sandboxes_warm{kind=\"redis\"} = %q, want 1", warm())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitWarm()
	c := newAPIClient(t, srv.URL())
	c.register("warm@example.com", "Warm", "correct horse battery")
	ex := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)
	if s := c.labStart(ex); !s.Fresh {
		t.Errorf("the first start claimed a sandbox that was not fresh")
	}
	if out := strings.TrimSpace(c.labOutput(ex, "PING")); out != "PONG" {
		t.Errorf("PING in the claimed sandbox = %q", out)
	}
	waitWarm() // refilled
}
