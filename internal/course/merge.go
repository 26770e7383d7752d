package course

import "sort"

// KeepLastGood returns the catalog to serve after a reload: next, except
// that a lesson whose file now has problems, and that prev served, stays
// served in its prev version, in the same module and place among its
// neighbours. Every problem of next stays in Problems, so the author still
// sees why the new version is not served.
//
// A lesson is matched by its file (Lesson.Path) inside a course of the same
// slug. A kept lesson is a copy of the prev one (same fields, new pointer),
// so that anything cached per lesson, such as the pager naming its
// neighbours, is made again for the new catalog. A lesson whose file is
// gone, or whose slug a valid lesson of next now uses, is not kept.
//
// KeepLastGood changes neither catalog. With a nil prev it returns next.
func KeepLastGood(prev, next *Catalog) *Catalog {
	if prev == nil || next == nil {
		return next
	}
	broken := map[string]bool{}
	for _, p := range next.Problems {
		broken[p.Path] = true
	}
	out := &Catalog{
		Courses:  make([]*Course, 0, len(next.Courses)),
		Problems: append(Problems(nil), next.Problems...),
		Warnings: append(Problems(nil), next.Warnings...),
		bySlug:   make(map[string]*Course, len(next.Courses)),
	}
	for _, c := range next.Courses {
		if old, ok := prev.Course(c.Slug); ok {
			c = keepLessons(old, c, broken)
		}
		out.Courses = append(out.Courses, c)
		out.bySlug[c.Slug] = c
	}
	return out
}

// keepLessons returns next with the lessons of prev whose files are broken
// put back, or next itself when there is none to put back.
func keepLessons(prev, next *Course, broken map[string]bool) *Course {
	served := map[string]bool{}
	for _, l := range next.Lessons {
		served[l.Path] = true
	}
	var keep []*Lesson
	for _, l := range prev.Lessons {
		if !broken[l.Path] || served[l.Path] {
			continue
		}
		if _, taken := next.bySlug[l.Slug]; taken {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) == 0 {
		return next
	}

	c := *next
	c.bySlug = make(map[string]*Lesson, len(next.bySlug)+len(keep))
	for slug, l := range next.bySlug {
		c.bySlug[slug] = l
	}
	c.Lessons = append([]*Lesson(nil), next.Lessons...)
	c.Modules = make([]*Module, len(next.Modules))
	for i, m := range next.Modules {
		c.Modules[i] = &Module{Title: m.Title, Lessons: append([]*Lesson(nil), m.Lessons...)}
	}
	for _, old := range keep {
		l := new(Lesson)
		*l = *old
		c.bySlug[l.Slug] = l
		c.Lessons = append(c.Lessons, l)
		c.Modules = placeInModule(c.Modules, prev.Modules, old, l)
	}
	sort.SliceStable(c.Lessons, func(i, j int) bool { return c.Lessons[i].Number < c.Lessons[j].Number })
	return &c
}

// placeInModule puts kept (the copy of old) into the module of mods titled
// like the prev module that held old: after the nearest lesson that came
// before old there, or else before the nearest that came after it. Without
// such a module it adds one with that title at the end.
func placeInModule(mods, prevMods []*Module, old, kept *Lesson) []*Module {
	var pm *Module
	at := -1
	for _, m := range prevMods {
		for i, l := range m.Lessons {
			if l == old {
				pm, at = m, i
			}
		}
	}
	if pm == nil {
		// Load puts every lesson in a module; a hand-made catalog may not.
		pm = &Module{Title: "Lessons", Lessons: []*Lesson{old}}
		at = 0
	}
	var m *Module
	for _, x := range mods {
		if x.Title == pm.Title {
			m = x
			break
		}
	}
	if m == nil {
		m = &Module{Title: pm.Title}
		mods = append(mods, m)
	}
	m.Lessons = insertLesson(m.Lessons, kept, slugsOf(pm.Lessons[:at]), slugsOf(pm.Lessons[at+1:]))
	return mods
}

// insertLesson inserts l into list after the last of before found there,
// or else before the first of after found there, or else at the end.
func insertLesson(list []*Lesson, l *Lesson, before, after []string) []*Lesson {
	pos := len(list)
	if i := lastIndexOfAny(list, before); i >= 0 {
		pos = i + 1
	} else if i := firstIndexOfAny(list, after); i >= 0 {
		pos = i
	}
	list = append(list, nil)
	copy(list[pos+1:], list[pos:])
	list[pos] = l
	return list
}

func slugsOf(ls []*Lesson) []string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Slug
	}
	return s
}

// lastIndexOfAny returns the index in list of the lesson with the latest
// slug of slugs (in the order of slugs) that is there, or -1.
func lastIndexOfAny(list []*Lesson, slugs []string) int {
	for j := len(slugs) - 1; j >= 0; j-- {
		if i := indexOfSlug(list, slugs[j]); i >= 0 {
			return i
		}
	}
	return -1
}

// firstIndexOfAny returns the index in list of the lesson with the first
// slug of slugs that is there, or -1.
func firstIndexOfAny(list []*Lesson, slugs []string) int {
	for _, s := range slugs {
		if i := indexOfSlug(list, s); i >= 0 {
			return i
		}
	}
	return -1
}

func indexOfSlug(list []*Lesson, slug string) int {
	for i, l := range list {
		if l.Slug == slug {
			return i
		}
	}
	return -1
}
