package learning

import (
	"context"
	"html/template"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
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

// viewInterval is how often one learner's views of one lesson are written:
// "last activity" is kept to the minute, and a reload costs no write.
const viewInterval = time.Minute

type viewKey struct {
	user int64
	opslab.LessonKey
}

// viewRecorder remembers when each view was last written.
type viewRecorder struct {
	mu   sync.Mutex
	last map[viewKey]time.Time
}

// recordView writes a lesson view unless the same learner's view of the
// same lesson was written less than viewInterval ago.
func (h *Handler) recordView(ctx context.Context, userID int64, k opslab.LessonKey) error {
	now := h.now()
	key := viewKey{userID, k}
	h.viewsSeen.mu.Lock()
	if h.viewsSeen.last == nil || len(h.viewsSeen.last) > 100000 {
		h.viewsSeen.last = map[viewKey]time.Time{}
	}
	last, ok := h.viewsSeen.last[key]
	fresh := ok && now.Sub(last) < viewInterval
	if !fresh {
		h.viewsSeen.last[key] = now
	}
	h.viewsSeen.mu.Unlock()
	if fresh {
		return nil
	}
	err := h.progress.RecordView(ctx, userID, k)
	h.forgetProgress(userID)
	if err != nil {
		h.viewsSeen.mu.Lock()
		delete(h.viewsSeen.last, key)
		h.viewsSeen.mu.Unlock()
		return err
	}
	h.onProgress("view")
	return nil
}
