// Package devreload reloads a content folder while an author edits it:
// "opslab serve --dev". A Watcher sees changes to the folder and every
// folder below it; Reload loads the content again and serves it, keeping
// the last good version of each lesson that broke.
package devreload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultQuiet is how long a folder must stay unchanged before a burst of
// changes counts as over: saving a file is often several writes, or a
// write to a temporary file and a rename.
const DefaultQuiet = 150 * time.Millisecond

// Watcher watches a folder and every folder below it, including folders
// made after it started. Only content changes count: Markdown and YAML
// files, and folders; hidden files and folders (a leading dot) do not.
type Watcher struct {
	root  string
	quiet time.Duration
	log   *slog.Logger
	fsw   *fsnotify.Watcher

	// dirs are the folders being watched. New fills it; then only Run's
	// goroutine uses it.
	dirs map[string]bool

	closeOnce sync.Once
	closeErr  error
}

// NewWatcher starts watching root and every folder below it: a change made
// after NewWatcher returns is seen by Run. quiet is the pause that ends a
// burst of changes (DefaultQuiet when zero or less). Close releases the
// watcher; Run closes it when it returns.
func NewWatcher(root string, quiet time.Duration, log *slog.Logger) (*Watcher, error) {
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("watch %s: not a folder", root)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	w := &Watcher{root: filepath.Clean(root), quiet: quiet, log: log, fsw: fsw, dirs: map[string]bool{}}
	if err := w.addTree(w.root); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	return w, nil
}

// Run calls onChange once per burst of changes, when quiet has passed
// since the last one, until ctx ends or the watcher is closed; then it
// closes the watcher and returns nil. onChange runs in Run's goroutine, so
// two calls never overlap; changes made during a call make the next burst.
// A failure of the watcher that ends it is returned.
func (w *Watcher) Run(ctx context.Context, onChange func()) error {
	defer w.Close()
	var timer *time.Timer
	var due <-chan time.Time
	changed := func() {
		if timer == nil {
			timer = time.NewTimer(w.quiet)
		} else {
			timer.Reset(w.quiet)
		}
		due = timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return nil
			}
			if w.handle(ev) {
				changed()
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Changes were lost: reload to be sure.
				changed()
				continue
			}
			if errors.Is(err, fsnotify.ErrClosed) {
				return nil
			}
			w.log.Warn("watch content", "dir", w.root, "err", err)
		case <-due:
			due = nil
			onChange()
		}
	}
}

// Close stops watching. It is safe to call more than once.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		if err := w.fsw.Close(); err != nil {
			w.closeErr = fmt.Errorf("stop watching %s: %w", w.root, err)
		}
	})
	return w.closeErr
}

// handle keeps the watch list up to date with folders made and removed,
// and reports whether the event is a content change.
func (w *Watcher) handle(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod || hidden(filepath.Base(ev.Name)) {
		return false
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if w.dirs[ev.Name] {
			w.forgetTree(ev.Name)
			return true
		}
	}
	if ev.Has(fsnotify.Create) {
		if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
			// Files may already be in it: they make no event of their own.
			if err := w.addTree(ev.Name); err != nil {
				w.log.Warn("watch new folder", "dir", ev.Name, "err", err)
			}
			return true
		}
	}
	switch strings.ToLower(filepath.Ext(ev.Name)) {
	case ".md", ".yaml", ".yml":
		return true
	}
	return false
}

// addTree watches dir and the folders below it, hidden ones left out. A
// folder removed while it is walked is skipped.
func (w *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != w.root {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != w.root && hidden(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.fsw.Add(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != w.root {
				return filepath.SkipDir
			}
			return fmt.Errorf("add %s: %w", p, err)
		}
		w.dirs[p] = true
		return nil
	})
}

// forgetTree drops dir and the folders below it from the watch list;
// fsnotify has already dropped their watches.
func (w *Watcher) forgetTree(dir string) {
	prefix := dir + string(filepath.Separator)
	for p := range w.dirs {
		if p == dir || strings.HasPrefix(p, prefix) {
			delete(w.dirs, p)
			_ = w.fsw.Remove(p)
		}
	}
}

// hidden reports whether a file or folder name is hidden, or an editor's
// backup or lock file (name~, .#name).
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~")
}
