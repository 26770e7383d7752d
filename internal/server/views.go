package server

import (
	"html/template"
	"sync"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/server/kit"
)

// lessonParts holds the parts of each lesson page that are the same for
// every learner, rendered once: a lesson never changes after load (a
// reload makes new lessons).
type lessonParts struct {
	views   *kit.Views
	lessons sync.Map // *course.Lesson → *lessonStatic
}

// lessonStatic is the learner-independent HTML of a lesson page.
type lessonStatic struct {
	Aside, Main, FormOpen, Pager template.HTML
}

// lessonStaticData is what the static lesson templates read.
type lessonStaticData struct {
	Course       *course.Course
	Lesson       *course.Lesson
	Prev, Next   *course.Lesson
	TotalLessons int
	Minutes      int
}

// of renders (once) the learner-independent parts of a lesson page.
func (p *lessonParts) of(d lessonStaticData) (*lessonStatic, error) {
	if st, ok := p.lessons.Load(d.Lesson); ok {
		return st.(*lessonStatic), nil
	}
	st := &lessonStatic{}
	for _, part := range []struct {
		name string
		out  *template.HTML
	}{{"lesson-aside", &st.Aside}, {"lesson-main", &st.Main}, {"lesson-form-open", &st.FormOpen}, {"lesson-pager", &st.Pager}} {
		h, err := p.views.Part("lesson", part.name, d)
		if err != nil {
			return nil, err
		}
		*part.out = h
	}
	p.lessons.Store(d.Lesson, st)
	return st, nil
}
