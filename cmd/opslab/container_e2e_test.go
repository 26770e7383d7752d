package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox/container"
	"github.com/opslab/opslab/internal/testkit"
)

// requireContainerEngine returns an engine client and the static relay
// binary for `serve --sandbox container`, or skips the test without an
// engine (fails under CI, where `make test` sets one up first).
func requireContainerEngine(t *testing.T) (*client.Client, string) {
	t.Helper()
	testkit.Slow(t, "container sandboxes (a container engine)")
	testkit.RequireEnv(t, "no container engine: run `eval \"$(scripts/engine.sh)\"` (make engine) first",
		"DOCKER_HOST", "OPSLAB_REDIS_IMAGE")
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	relay := filepath.Join(t.TempDir(), "opslab-relay")
	build := exec.Command("go", "build", "-o", relay, "github.com/opslab/opslab/cmd/opslab-relay")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build opslab-relay: %v: %s", err, out)
	}
	return cli, relay
}

// scopeContainers returns the ids of the containers of the server whose
// data directory is data.
func scopeContainers(t *testing.T, cli *client.Client, data string) []string {
	t.Helper()
	scratch, err := sandboxScratchDir(data)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list.Items {
		if c.Labels[container.LabelScope] == container.ScopeOf(scratch) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// TestServeContainerRestartKeepsLab runs the site with the container
// driver, has a learner work in a Redis sandbox, restarts the server (a
// deploy) and finds the learner's container adopted, their data intact.
func TestServeContainerRestartKeepsLab(t *testing.T) {
	cli, relay := requireContainerEngine(t)
	data := t.TempDir()
	t.Cleanup(func() {
		for _, id := range scopeContainers(t, cli, data) {
			_, _ = cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
		}
		if scratch, err := sandboxScratchDir(data); err == nil {
			_ = os.RemoveAll(scratch)
		}
	})
	args := []string{"--sandbox", "container", "--container-relay", relay, "--content", unseenContent, "--sandbox-warm-kafka", "0"}
	ex := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)

	srv := startServerOn(t, data, args...)
	c := newAPIClient(t, srv.URL())
	c.register("deploy@example.com", "Deploy", "correct horse battery")
	if s := c.labStart(ex); !s.Fresh {
		t.Errorf("first start: fresh = false")
	}
	if out := strings.TrimSpace(c.labOutput(ex, "SET deploy:kept yes")); out != "OK" {
		t.Fatalf("SET = %q", out)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(scopeContainers(t, cli, data)); n != 1 {
		t.Fatalf("%d containers after a graceful stop, want the learner's one left running", n)
	}

	srv2 := startServerOn(t, data, args...)
	c2 := newAPIClient(t, srv2.URL())
	c2.login("deploy@example.com", "correct horse battery")
	if out := strings.TrimSpace(c2.labOutput(ex, "GET deploy:kept")); out != `"yes"` {
		t.Errorf("after the restart GET = %q, want the learner's value kept", out)
	}
	if !strings.Contains(srv2.stderr.String(), "adopted sandbox") {
		t.Errorf("the new server did not log an adoption:\n%s", srv2.stderr)
	}
	if n := len(scopeContainers(t, cli, data)); n != 1 {
		t.Errorf("%d containers after the restart, want 1", n)
	}
}

// TestTestCommandContainerLeavesNothing runs `opslab test --sandbox
// container` over a course and checks that it passes and that no
// container of its scope is left.
func TestTestCommandContainerLeavesNothing(t *testing.T) {
	cli, relay := requireContainerEngine(t)
	before := countOpslabContainers(t, cli, unseenCourse+"/")
	out, errOut, status := runCLI(t, "test", "--sandbox", "container", "--container-relay", relay, "--content", unseenContent, "--runs", "1", "--sandbox-warm-kafka", "0")
	if status != 0 {
		t.Fatalf("opslab test --sandbox container: status %d\n%s\n%s", status, out, errOut)
	}
	if !strings.Contains(out, " 0 failed") {
		t.Errorf("opslab test output:\n%s", out)
	}
	if after := countOpslabContainers(t, cli, unseenCourse+"/"); after != before {
		t.Errorf("%d containers of the course's lessons after opslab test, %d before", after, before)
	}
}

// countOpslabContainers counts the containers whose lesson label starts
// with prefix.
func countOpslabContainers(t *testing.T, cli *client.Client, prefix string) int {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list.Items {
		if strings.HasPrefix(c.Labels[container.LabelLesson], prefix) {
			n++
		}
	}
	return n
}
