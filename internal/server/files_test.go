package server_test

import (
	"strings"
	"testing"
)

func TestCourseFiles(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	if st, _, _ := c.do("GET", "/courses/demo/files/img/box.svg", ""); st != 303 {
		t.Fatalf("signed out: %d", st)
	}
	c.register("ada@example.com")
	_, _, page := c.do("GET", "/courses/demo/lessons/second", "")
	if !strings.Contains(page, `src="/courses/demo/files/img/box.svg"`) {
		t.Fatalf("the image is not pointed at the file route:\n%s", page)
	}
	st, h, body := c.do("GET", "/courses/demo/files/img/box.svg", "")
	if st != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(body, "<svg") {
		t.Fatalf("image: %d %v %q", st, h, body)
	}
	for _, p := range []string{
		"/courses/demo/files/course.yaml",
		"/courses/demo/files/01-first.md",
		"/courses/demo/files/img/..%2f..%2fcourse.yaml",
		"/courses/demo/files/..%2f..%2f..%2fgo.mod",
		"/courses/demo/files/img/nope.svg",
		"/courses/nope/files/img/box.svg",
	} {
		if st, _, _ := c.do("GET", p, ""); st != 404 {
			t.Errorf("%s: %d", p, st)
		}
	}
}
