// Package kit is the small web kit every feature of the server uses: it
// renders pages and JSON, turns errors into statuses and sentences, reads
// JSON bodies, knows the signed-in user of a request and guards routes
// that need one. It holds no feature's data; server.New builds one Kit and
// hands it to each feature package.
package kit

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// Kit is what the feature packages share: the parsed pages, the logger,
// the content being served and the user lookup.
type Kit struct {
	Views *Views
	Log   *slog.Logger
	// SignupOpen shows the sign-up link on every page.
	SignupOpen bool
	// Catalog returns the content being served (never nil once the server
	// is ready).
	Catalog func() *course.Catalog
	// PublicURL is the site's address as users reach it, for absolute
	// links (see AbsURL); empty keeps links relative.
	PublicURL string
	// FindUser returns the user with the given id (from a short cache).
	FindUser func(ctx context.Context, id int64) (*opslab.User, error)
}

// FindLesson resolves the {course} and {lesson} of the route, or answers
// ENOTFOUND with a sentence naming what is missing.
func (k *Kit) FindLesson(r *http.Request) (*course.Course, *course.Lesson, error) {
	c, ok := k.Catalog().Course(chi.URLParam(r, "course"))
	if !ok {
		return nil, nil, opslab.Errorf(opslab.ENOTFOUND, "No such course.")
	}
	l, ok := c.Lesson(chi.URLParam(r, "lesson"))
	if !ok {
		return nil, nil, opslab.Errorf(opslab.ENOTFOUND, "No such lesson in %s.", c.Title)
	}
	return c, l, nil
}

// LessonTitle is the title of a lesson of the catalogue, or its slug if
// the catalogue has no such lesson (any more).
func (k *Kit) LessonTitle(courseSlug, lessonSlug string) string {
	if c, ok := k.Catalog().Course(courseSlug); ok {
		if l, ok := c.Lesson(lessonSlug); ok {
			return l.Title
		}
	}
	return lessonSlug
}

// AbsURL returns the address of path (which starts with "/") for a link
// that leaves the page, such as an invite link sent by mail or chat.
//
// With PublicURL set it returns PublicURL+path and true. Without it it
// returns path alone and false: the server never builds an absolute link
// from the request's Host header, which a client chooses (a forged Host
// would turn the link into one to another site).
func (k *Kit) AbsURL(path string) (string, bool) {
	if k.PublicURL == "" {
		return path, false
	}
	return k.PublicURL + path, true
}
