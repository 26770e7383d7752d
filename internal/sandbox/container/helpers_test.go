package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/testkit"
)

// relayBinary is the opslab-relay built once for this package's tests.
var relayBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opslab-relay-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	relayBinary = filepath.Join(dir, "opslab-relay")
	build := exec.Command("go", "build", "-o", relayBinary, "github.com/opslab/opslab/cmd/opslab-relay")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build opslab-relay: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireEngine returns the engine client, or skips the test when no
// engine is configured. Under CI (CI set) a missing engine fails the test:
// `make test` runs scripts/engine.sh first, so CI must never skip.
func requireEngine(t testing.TB) *client.Client {
	t.Helper()
	testkit.Slow(t, "container sandboxes (a container engine)")
	testkit.RequireEnv(t, "run `eval \"$(scripts/engine.sh)\"` (or `make engine`) first",
		"DOCKER_HOST", "OPSLAB_REDIS_IMAGE", "OPSLAB_KAFKA_IMAGE")
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// shortDir returns a fresh short directory (unix socket paths must fit in
// 107 bytes), removed at the end of the test.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ct-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// newDriver returns a Driver on a fresh scratch directory with the
// configured images and test-sized limits. At the end of the test every
// container of its scope is removed, and the test fails if one was left.
func newDriver(t testing.TB, dir string) *Driver {
	t.Helper()
	cli := requireEngine(t)
	d, err := New(context.Background(), Options{
		Dir:              dir,
		RedisImage:       os.Getenv("OPSLAB_REDIS_IMAGE"),
		KafkaImage:       os.Getenv("OPSLAB_KAFKA_IMAGE"),
		PostgresImage:    os.Getenv("OPSLAB_POSTGRES_IMAGE"), // "" is the default; postgresDriver requires it
		RelayBinary:      relayBinary,
		KafkaMemoryBytes: 768 << 20,
		AliveEvery:       -1, // tests kill containers and expect Alive to see it at once
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		left := containersOf(t, cli, d.opts.Scope)
		for _, id := range left {
			_, _ = cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
		}
		d.Close()
		if len(left) > 0 && !t.Failed() {
			t.Errorf("%d sandbox containers left behind: %v", len(left), left)
		}
	})
	return d
}

// containersOf returns the id of every container, running or not, labelled
// with scope.
func containersOf(t testing.TB, cli *client.Client, scope string) []string {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list.Items {
		if c.Labels[LabelScope] == scope {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// spec returns a Spec of kind for learner 7 and a test lesson.
func spec(kind sandbox.Kind) sandbox.Spec {
	return sandbox.Spec{ID: sandbox.NewID(kind, 7), Kind: kind, Owner: 7, Lesson: lessonKey("test/lesson"), MaxMemoryBytes: 16 << 20}
}

// start starts a sandbox of kind and stops it at the end of the test.
func start(t testing.TB, d *Driver, kind sandbox.Kind) sandbox.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	inst, err := d.Start(ctx, spec(kind))
	if err != nil {
		t.Fatalf("start %s sandbox: %v", kind, err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background(), inst.Spec.ID) })
	return inst
}

// execIn runs argv inside the sandbox id's container as its user and
// returns its combined output and exit code.
func execIn(t testing.TB, d *Driver, id string, argv ...string) (string, int) {
	t.Helper()
	out, code, err := d.Exec(context.Background(), id, argv)
	if err != nil {
		t.Fatalf("exec %s in %s: %v", strings.Join(argv, " "), id, err)
	}
	return out, code
}

// lessonKey returns the lesson key written as "course/lesson", or as a lesson
// slug alone (of course "course"); "" gives the zero key.
func lessonKey(s string) opslab.LessonKey {
	if s == "" {
		return opslab.LessonKey{}
	}
	if c, l, ok := strings.Cut(s, "/"); ok {
		return opslab.LessonKey{Course: c, Lesson: l}
	}
	return opslab.LessonKey{Course: "course", Lesson: s}
}
