// Package course holds the domain of lessons: courses, modules, lessons,
// exercises and their checks, and the problems an author can make. It loads
// a content tree through a LessonParser so that it never depends on a
// Markdown library.
package course

import (
	"html/template"
	"io/fs"
	"time"
)

// Course is a path of lessons, grouped into modules.
type Course struct {
	Slug    string
	Title   string
	Summary string
	Path    string // folder of the course inside the content tree
	// Files is the course folder, for the images its lessons show.
	Files   fs.FS
	Modules []*Module
	Lessons []*Lesson // every lesson in reading order

	bySlug map[string]*Lesson
}

// Module is a titled group of lessons in order.
type Module struct {
	Title   string
	Lessons []*Lesson
}

// Lesson finds a lesson by slug; ok is false if there is none.
func (c *Course) Lesson(slug string) (l *Lesson, ok bool) {
	l, ok = c.bySlug[slug]
	return l, ok
}

// Neighbours returns the lessons before and after l in reading order; each
// is nil at the ends.
func (c *Course) Neighbours(l *Lesson) (prev, next *Lesson) {
	for i, x := range c.Lessons {
		if x == l {
			if i > 0 {
				prev = c.Lessons[i-1]
			}
			if i+1 < len(c.Lessons) {
				next = c.Lessons[i+1]
			}
		}
	}
	return prev, next
}

// ExerciseCount returns the number of exercises over all lessons.
func (c *Course) ExerciseCount() int {
	n := 0
	for _, l := range c.Lessons {
		n += len(l.Exercises)
	}
	return n
}

// Lesson is one Markdown file, rendered once at load.
type Lesson struct {
	Course     string // the course slug
	Slug       string
	Number     int // the NN of the file name
	Title      string
	Summary    string
	Duration   time.Duration // as the author wrote it; zero if absent
	Objectives []string
	Path       string // path of the file inside the content tree

	HTML        template.HTML // the rendered body: safe, built by the parser
	TOC         []Heading
	Words       int
	Exercises   []*Exercise
	ContentHash string // sha256 of the file, hex
}

// ReadingTime is the author's duration, or the time to read the words at
// 200 words a minute, rounded up to a whole minute.
func (l *Lesson) ReadingTime() time.Duration {
	if l.Duration > 0 {
		return l.Duration
	}
	m := (l.Words + 199) / 200
	if m < 1 {
		m = 1
	}
	return time.Duration(m) * time.Minute
}

// Exercise finds an exercise by id; ok is false if there is none.
func (l *Lesson) Exercise(id string) (e *Exercise, ok bool) {
	for _, e := range l.Exercises {
		if e.ID == id {
			return e, true
		}
	}
	return nil, false
}

// Heading is an entry of a lesson's table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}
