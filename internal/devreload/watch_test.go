package devreload_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/devreload"
)

// Generous bounds: they catch a missing call, not a slow one.
const (
	callTimeout = 10 * time.Second
	// calmPeriod is how long a test waits to be sure no further call comes.
	calmPeriod = 600 * time.Millisecond
	testQuiet  = 100 * time.Millisecond
)

// watching runs a Watcher on dir and returns a channel that receives one
// value per onChange call. The watcher stops when the test ends.
func watching(t *testing.T, dir string) <-chan struct{} {
	t.Helper()
	return watchingQuiet(t, dir, testQuiet)
}

// watchingQuiet is watching with a quiet time of its own.
func watchingQuiet(t *testing.T, dir string, quiet time.Duration) <-chan struct{} {
	t.Helper()
	w, err := devreload.NewWatcher(dir, quiet, nil)
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	calls := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, func() { calls <- struct{}{} }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after the context ended, want nil", err)
			}
		case <-time.After(callTimeout):
			t.Errorf("Run did not return within %s of the context's end", callTimeout)
		}
	})
	return calls
}

func waitCall(t *testing.T, calls <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-calls:
	case <-time.After(callTimeout):
		t.Fatalf("no reload within %s after %s", callTimeout, what)
	}
}

func expectNoCall(t *testing.T, calls <-chan struct{}, what string) {
	t.Helper()
	expectNoCallFor(t, calls, what, calmPeriod)
}

// expectNoCallFor is expectNoCall waiting for calm.
func expectNoCallFor(t *testing.T, calls <-chan struct{}, what string, calm time.Duration) {
	t.Helper()
	select {
	case <-calls:
		t.Fatalf("a reload after %s, want none", what)
	case <-time.After(calm):
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatchDebouncesBurst(t *testing.T) {
	dir := t.TempDir()
	lesson := filepath.Join(dir, "demo", "01-one.md")
	writeFile(t, lesson, "v0")
	// A quiet time of a second, and saves 50 ms apart: a loaded machine
	// that stalls the test for most of a second between two saves is
	// what it would take to split the burst.
	const burstQuiet = time.Second
	calls := watchingQuiet(t, dir, burstQuiet)

	// Ten saves, each well within the quiet time of the one before: one
	// burst, one reload.
	for i := range 10 {
		writeFile(t, lesson, "version "+string(rune('a'+i)))
		time.Sleep(burstQuiet / 20)
	}
	waitCall(t, calls, "a burst of ten writes")
	expectNoCallFor(t, calls, "the burst had been reloaded", 2*burstQuiet)

	// An editor's atomic save: write a temporary file, rename it over.
	tmp := filepath.Join(dir, "demo", ".01-one.md.swp")
	writeFile(t, tmp, "saved atomically")
	if err := os.Rename(tmp, lesson); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls, "a rename over the lesson")
	expectNoCallFor(t, calls, "the rename had been reloaded", 2*burstQuiet)
}

func TestWatchNewFolders(t *testing.T) {
	dir := t.TempDir()
	calls := watching(t, dir)

	// A new course folder, with a nested folder made in the same breath.
	writeFile(t, filepath.Join(dir, "kafka", "deep", "course.yaml"), "title: K\n")
	waitCall(t, calls, "making kafka/deep/course.yaml")
	expectNoCall(t, calls, "the new folders had been reloaded")

	// The new folders are watched: a later change inside them counts.
	writeFile(t, filepath.Join(dir, "kafka", "deep", "01-a.md"), "a")
	waitCall(t, calls, "a write in a folder made after the start")
	writeFile(t, filepath.Join(dir, "kafka", "01-b.md"), "b")
	waitCall(t, calls, "a write in the other new folder")

	// Removing a folder counts too.
	if err := os.RemoveAll(filepath.Join(dir, "kafka")); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls, "removing a folder")
	expectNoCall(t, calls, "the removal had been reloaded")

	// A folder made again at the same path is watched again.
	writeFile(t, filepath.Join(dir, "kafka", "course.yaml"), "title: K\n")
	waitCall(t, calls, "making kafka again")
	expectNoCall(t, calls, "the folder made again had been reloaded")
	writeFile(t, filepath.Join(dir, "kafka", "01-c.md"), "c")
	waitCall(t, calls, "a write in the folder made again")
}

func TestWatchIgnoresNonContent(t *testing.T) {
	dir := t.TempDir()
	lesson := filepath.Join(dir, "demo", "01-one.md")
	writeFile(t, lesson, "v0")
	calls := watching(t, dir)

	writeFile(t, filepath.Join(dir, "demo", "notes.txt"), "scratch")
	writeFile(t, filepath.Join(dir, "demo", ".01-one.md.swp"), "swap")
	writeFile(t, filepath.Join(dir, "demo", "01-one.md~"), "backup")
	writeFile(t, filepath.Join(dir, ".git", "index"), "git")
	if err := os.Chmod(lesson, 0o600); err != nil {
		t.Fatal(err)
	}
	expectNoCall(t, calls, "changes to files that are not content")

	writeFile(t, filepath.Join(dir, "demo", "course.yml"), "title: D\n")
	waitCall(t, calls, "a write to a YAML file")
}

func TestNewWatcherErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := devreload.NewWatcher(filepath.Join(dir, "missing"), 0, nil); err == nil {
		t.Errorf("NewWatcher on a missing folder: no error")
	}
	file := filepath.Join(dir, "file.md")
	writeFile(t, file, "x")
	if _, err := devreload.NewWatcher(file, 0, nil); err == nil {
		t.Errorf("NewWatcher on a file: no error")
	}
}

func TestWatcherClose(t *testing.T) {
	w, err := devreload.NewWatcher(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background(), func() {}) }()
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close returned %v, want nil", err)
		}
	case <-time.After(callTimeout):
		t.Fatalf("Run did not return after Close")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
