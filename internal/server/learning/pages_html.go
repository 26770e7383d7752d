package learning

import (
	"net/http"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/team"
)

type catalogueCourse struct {
	Slug, Title, Summary string
	Lessons, Exercises   int
	Progress             *courseProgress
}

type cataloguePage struct {
	Courses []catalogueCourse
}

func (h *Handler) handleCatalogue(w http.ResponseWriter, r *http.Request) {
	u := kit.CurrentUser(r)
	var page cataloguePage
	for _, c := range h.kit.Catalog().Courses {
		cc := catalogueCourse{Slug: c.Slug, Title: c.Title, Summary: c.Summary, Lessons: len(c.Lessons), Exercises: c.ExerciseCount()}
		if u != nil {
			p, err := h.progressFor(r.Context(), u.ID, c)
			if err != nil {
				h.kit.PageError(w, r, err)
				return
			}
			cc.Progress = p
		}
		page.Courses = append(page.Courses, cc)
	}
	h.kit.Render(w, r, http.StatusOK, "catalogue", "", page)
}

type courseRow struct {
	Slug, Title       string
	Number, Minutes   int
	Exercises, Passed int
	// Status is the lesson's team.Status, the one the learner's team leads
	// see; StatusText is its label and Class the row's CSS class.
	Status, StatusText, Class string
}

type courseModule struct {
	Title   string
	Lessons []courseRow
}

type coursePage struct {
	Course   *course.Course
	Modules  []courseModule
	Progress *courseProgress
}

// statusClass is the CSS class of a lesson row per status: a done lesson
// is styled "completed", a stuck one as in progress, and marked stuck too.
var statusClass = map[team.Status]string{team.Done: "status-completed", team.InProgress: "status-in-progress",
	team.Stuck: "status-in-progress status-stuck", team.NotStarted: "status-not-started"}

func (h *Handler) handleCoursePage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.kit.Catalog().Course(chiParam(r, "course"))
	if !ok {
		h.kit.PageError(w, r, opslab.Errorf(opslab.ENOTFOUND, "There is no such course."))
		return
	}
	p, err := h.progressFor(r.Context(), kit.CurrentUser(r).ID, c)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	page := coursePage{Course: c, Progress: p}
	for _, m := range c.Modules {
		cm := courseModule{Title: m.Title}
		for _, l := range m.Lessons {
			st := p.standing(l.Slug)
			cm.Lessons = append(cm.Lessons, courseRow{Slug: l.Slug, Title: l.Title, Number: l.Number, Minutes: minutes(l),
				Exercises: st.Exercises, Passed: st.Passed, Status: string(st.Status), StatusText: st.Status.Label(),
				Class: statusClass[st.Status]})
		}
		page.Modules = append(page.Modules, cm)
	}
	h.kit.Render(w, r, http.StatusOK, "course", c.Title, page)
}

type lessonPage struct {
	Course    *course.Course
	Lesson    *course.Lesson
	Static    *lessonStatic
	Progress  *courseProgress
	Done      bool
	StateText string
}

func (h *Handler) handleLessonPage(w http.ResponseWriter, r *http.Request) {
	kit.SetTerminalPagePolicy(w) // the cards' terminals (xterm.js) style inline
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	u := kit.CurrentUser(r)
	if err := h.recordView(r.Context(), u.ID, opslab.LessonKey{Course: c.Slug, Lesson: l.Slug}); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	p, err := h.progressFor(r.Context(), u.ID, c)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	prev, next := c.Neighbours(l)
	static, err := h.parts.of(lessonStaticData{Course: c, Lesson: l, Prev: prev, Next: next,
		TotalLessons: totalLessons(c), Minutes: minutes(l)})
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	st := p.standing(l.Slug)
	h.kit.RenderSplice(w, r, http.StatusOK, "lesson", l.Title, lessonPage{
		Course: c, Lesson: l, Static: static, Progress: p, Done: st.Done, StateText: st.StateText(),
	}, static.Main)
}

// totalLessons is the length of the path the lesson belongs to: the
// highest lesson number, so "Lesson 11 of 30" reads right while later
// lessons are still being written.
func totalLessons(c *course.Course) int {
	n := len(c.Lessons)
	for _, x := range c.Lessons {
		n = max(n, x.Number)
	}
	return n
}

func (h *Handler) handleLessonDoneForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	if _, err := h.markDone(r, r.PostForm.Get("done") != "false"); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, r.URL.Path[:len(r.URL.Path)-len("/done")]+"#lesson-done", http.StatusSeeOther)
}
