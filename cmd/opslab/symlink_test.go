package main

// Course folders never lead out of themselves (issue 13): a symlink in a
// course folder to a file outside it (a temp file standing in for
// /etc/passwd) is a lint error, is not served, and a symlinked lesson that
// points outside is not loaded; a link that stays inside is fine.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyPNG is the smallest file the file route serves as an image.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n")

func TestCourseSymlinksStayInside(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "outside")
	content := filepath.Join(root, "content")
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.MkdirAll(filepath.Join(content, "c", "img"), 0o755))
	must(t, os.MkdirAll(filepath.Join(content, "d"), 0o755))
	const secret = "root:x:0:0:SECRET-OUTSIDE-THE-COURSE"
	must(t, os.WriteFile(filepath.Join(outside, "passwd"), []byte(secret), 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "leak.md"), []byte("---\ntitle: Leaked lesson\n---\n\n"+secret+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(content, "d", "course.yaml"), []byte("title: D\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(content, "d", "other.png"), append(tinyPNG, "OTHER-COURSE"...), 0o644))
	c := filepath.Join(content, "c")
	must(t, os.WriteFile(filepath.Join(c, "course.yaml"), []byte("title: C\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(c, "01-intro.md"), []byte("---\ntitle: Intro\n---\n\nHello.\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(c, "img", "box.png"), tinyPNG, 0o644))
	for link, target := range map[string]string{
		"leak.png":     filepath.Join(outside, "passwd"), // absolute, out
		"rel.png":      "../../outside/passwd",           // relative, out
		"img/up.png":   "../../../outside/passwd",        // from a subfolder, out
		"cross.png":    "../d/other.png",                 // into another course
		"02-leak.md":   filepath.Join(outside, "leak.md"),
		"alias.png":    "img/box.png", // stays inside: fine
		"img/same.png": "box.png",     // stays inside: fine
	} {
		must(t, os.Symlink(target, filepath.Join(c, link)))
	}

	out, _, st := runCLI(t, "lint", "--content", content)
	if st != 1 {
		t.Fatalf("lint: status %d, want 1:\n%s", st, out)
	}
	for _, want := range []string{
		`c/leak.png: symlink to "` + filepath.Join(outside, "passwd") + `" leaves the course folder`,
		`c/rel.png: symlink to "../../outside/passwd" leaves the course folder`,
		`c/img/up.png: symlink to "../../../outside/passwd" leaves the course folder`,
		`c/cross.png: symlink to "../d/other.png" leaves the course folder`,
		`c/02-leak.md: symlink to "` + filepath.Join(outside, "leak.md") + `" leaves the course folder`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "alias.png") || strings.Contains(out, "same.png") {
		t.Errorf("lint reports a link that stays inside:\n%s", out)
	}

	srv := startServer(t, "--content", content)
	cl := newAPIClient(t, srv.URL())
	cl.register("ada@example.com", "Ada", "a-long-password")
	get := func(p string) (int, string) {
		t.Helper()
		resp, err := cl.hc.Get(srv.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"leak.png", "rel.png", "img/up.png", "cross.png"} {
		st, body := get("/courses/c/files/" + p)
		if st != http.StatusNotFound || strings.Contains(body, "SECRET") || strings.Contains(body, "OTHER-COURSE") {
			t.Errorf("GET /courses/c/files/%s: %d, want 404 without the file's content", p, st)
		}
	}
	for _, p := range []string{"img/box.png", "alias.png", "img/same.png"} {
		if st, body := get("/courses/c/files/" + p); st != http.StatusOK || body != string(tinyPNG) {
			t.Errorf("GET /courses/c/files/%s: %d, want the image (a link inside the folder)", p, st)
		}
	}
	if st, body := get("/courses/c/lessons/leak"); st != http.StatusNotFound || strings.Contains(body, "SECRET") {
		t.Errorf("the symlinked lesson that leaves the folder answered %d", st)
	}
	if st, body := get("/courses/c"); st != http.StatusOK || strings.Contains(body, "Leaked lesson") || !strings.Contains(body, "Intro") {
		t.Errorf("course page: %d, or it lists the leaked lesson", st)
	}
	if !strings.Contains(srv.stderr.String(), "links in invites and resets are relative; set --public-url") {
		t.Errorf("serve without --public-url does not warn at start:\n%s", srv.stderr.String())
	}
}
