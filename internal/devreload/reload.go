package devreload

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opslab/opslab/internal/course"
)

// Target serves reloaded content; *server.Server is one.
type Target interface {
	// Catalog returns the content being served.
	Catalog() *course.Catalog
	// SetCatalog serves c from now on.
	SetCatalog(c *course.Catalog)
	// AnnounceReload tells the open pages that the content changed and
	// returns the new content version.
	AnnounceReload() uint64
}

// LoadFunc loads the whole content folder again.
type LoadFunc func() (*course.Catalog, error)

// Reload loads the content with load, keeps the last good version of every
// lesson that broke since (course.KeepLastGood), serves the result on t,
// logs each problem (log may be nil), and announces the reload. When load fails (the folder
// cannot be read), the content served stays as it was, nothing is
// announced, and the error is returned.
func Reload(t Target, load LoadFunc, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	next, err := load()
	if err != nil {
		return fmt.Errorf("reload content: %w", err)
	}
	cat := course.KeepLastGood(t.Catalog(), next)
	t.SetCatalog(cat)
	for _, p := range cat.Problems {
		log.Warn("content problem", "problem", p.String())
	}
	for _, p := range cat.Warnings {
		log.Warn("content warning", "warning", p.String())
	}
	version := t.AnnounceReload()
	log.Info("content reloaded", "version", version, "courses", len(cat.Courses), "problems", len(cat.Problems), "warnings", len(cat.Warnings))
	return nil
}

// Start watches dir and calls Reload after each burst of changes, until
// stop is called; stop waits for a reload under way to finish. Start fails
// if dir cannot be watched.
func Start(dir string, quiet time.Duration, t Target, load LoadFunc, log *slog.Logger) (stop func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := NewWatcher(dir, quiet, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := w.Run(ctx, func() {
			if err := Reload(t, load, log); err != nil {
				log.Error("reload content", "dir", dir, "err", err)
			}
		})
		if err != nil {
			log.Error("watch content", "dir", dir, "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
