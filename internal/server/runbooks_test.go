package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

const runbookPassword = "correct-horse-1"

// runbookContent is a course whose lesson ends with a Practice section,
// as the real ones do.
var runbookContent = fstest.MapFS{
	"ops/course.yaml": {Data: []byte("title: Ops\nsummary: Ops.\nmodules:\n  - title: One\n    lessons: [memory, plain]\n")},
	"ops/01-memory.md": {Data: []byte("---\ntitle: Memory\n---\n\n## Eviction\n\nText.\n\n" +
		"## Practice: a mini runbook\n\nFill in.\n\n### Prerequisites\n\n### Commands\n\n### Rollback\n")},
	"ops/02-plain.md": {Data: []byte("---\ntitle: Plain\n---\n\n## Only prose\n\nNothing here.\n")},
}

const (
	runbookAPI  = "/api/courses/ops/lessons/memory/runbook"
	runbookPage = "/courses/ops/lessons/memory"
)

// runbookSite is a site with runbooks, and people in two teams: team t
// has lead Lou and learners Ann and Bob; team u has lead Uma and learner
// Una. Ivy is an instructor, Ada an admin.
type runbookSite struct {
	*httptest.Server
	users map[string]*opslab.User
}

func newRunbookSite(t *testing.T, withRunbooks bool) *runbookSite {
	t.Helper()
	ctx := context.Background()
	db := dbkit.Open(t)
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	cfg := server.Config{
		Users: users, Teams: sqlite.NewTeamService(db), Progress: sqlite.NewProgressService(db),
		SessionKey: bytes.Repeat([]byte("k"), 32),
	}
	if withRunbooks {
		cfg.Runbooks, cfg.SafeMarkdown = sqlite.NewRunbookService(db), markdown.NewSafe()
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(runbookContent, markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	site := &runbookSite{Server: ts, users: map[string]*opslab.User{}}
	for _, p := range []struct {
		name string
		role opslab.Role
		team string
	}{
		{"lou", opslab.RoleLead, "t"}, {"ann", opslab.RoleLearner, "t"}, {"bob", opslab.RoleLearner, "t"},
		{"uma", opslab.RoleLead, "u"}, {"una", opslab.RoleLearner, "u"},
		{"ivy", opslab.RoleInstructor, ""}, {"ada", opslab.RoleAdmin, ""},
	} {
		u, err := users.CreateUser(ctx, opslab.NewUser{Email: p.name + "@example.com", Name: strings.ToUpper(p.name[:1]) + p.name[1:],
			Password: runbookPassword, Role: p.role, Team: p.team})
		if err != nil {
			t.Fatal(err)
		}
		site.users[p.name] = u
	}
	return site
}

// as returns a client signed in as the named person ("" for nobody).
func (s *runbookSite) as(t *testing.T, name string) *client {
	t.Helper()
	c := (&testSite{Server: s.Server}).client(t)
	if name == "" {
		return c
	}
	st, _, body := c.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, name+"@example.com", runbookPassword))
	if st != 200 {
		t.Fatalf("sign in as %s: %d %s", name, st, body)
	}
	return c
}

// runbookJSON is the part of the API's answers the tests read.
type runbookJSON struct {
	ID           int64  `json:"id"`
	AuthorID     int64  `json:"author_id"`
	Draft        string `json:"draft"`
	Revision     int64  `json:"revision"`
	Status       string `json:"status"`
	DraftChanged bool   `json:"draft_changed"`
	Template     string `json:"template"`
	MaxBytes     int    `json:"max_bytes"`
	SeenReview   int64  `json:"seen_review"`
	Versions     []struct {
		Number int `json:"number"`
	} `json:"versions"`
	Reviews []struct {
		ID           int64  `json:"id"`
		Version      int    `json:"version"`
		ReviewerName string `json:"reviewer_name"`
		Decision     string `json:"decision"`
		Comment      string `json:"comment"`
		CommentHTML  string `json:"comment_html"`
		Unseen       bool   `json:"unseen"`
	} `json:"reviews"`
	Author struct {
		Email string `json:"email"`
	} `json:"author"`
	Version struct {
		Number int    `json:"number"`
		Body   string `json:"body"`
		HTML   string `json:"html"`
	} `json:"version"`
}

func decodeAs[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// expect fails unless the call answers want; it returns the body. A 4xx
// or 5xx answer must be a JSON error.
func expect(t *testing.T, c *client, want int, method, path, body string, header ...string) string {
	t.Helper()
	st, _, out := c.do(method, path, body, header...)
	if st != want {
		t.Fatalf("%s %s %.60q = %d %s, want %d", method, path, body, st, out, want)
	}
	if st >= 400 && strings.HasPrefix(path, "/api/") {
		errorOf(t, out)
	}
	return out
}

func saveBody(body string, revision int64) string {
	b, _ := json.Marshal(map[string]any{"body": body, "revision": revision})
	return string(b)
}

// submitRunbook saves body as name's runbook and submits it; it returns
// the runbook's id.
func (s *runbookSite) submitRunbook(t *testing.T, name, body string) int64 {
	t.Helper()
	c := s.as(t, name)
	rb := decodeAs[runbookJSON](t, expect(t, c, 200, "GET", runbookAPI, ""))
	expect(t, c, 200, "PUT", runbookAPI, saveBody(body, rb.Revision))
	rb = decodeAs[runbookJSON](t, expect(t, c, 200, "POST", runbookAPI+"/submit", ""))
	return rb.ID
}

func TestRunbookAPI_Draft(t *testing.T) {
	site := newRunbookSite(t, true)
	ann := site.as(t, "ann")

	t.Run("Unauthorized", func(t *testing.T) {
		nobody := site.as(t, "")
		for _, c := range [][2]string{{"GET", ""}, {"PUT", `{"body":"x","revision":0}`}, {"POST", `{"body":"x"}`}} {
			path := runbookAPI
			if c[0] == "POST" {
				path += "/preview"
			}
			expect(t, nobody, 401, c[0], path, c[1])
		}
		expect(t, nobody, 401, "POST", runbookAPI+"/submit", "")
		expect(t, nobody, 401, "POST", runbookAPI+"/seen", `{"review":1}`)
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		expect(t, ann, 405, "DELETE", runbookAPI, "")
	})
	t.Run("NotFound", func(t *testing.T) {
		expect(t, ann, 404, "GET", "/api/courses/ops/lessons/nope/runbook", "")
		expect(t, ann, 404, "GET", "/api/courses/nope/lessons/memory/runbook", "")
		expect(t, ann, 404, "PUT", "/api/courses/ops/lessons/nope/runbook", saveBody("x", 0))
	})
	t.Run("Fresh", func(t *testing.T) {
		rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", runbookAPI, ""))
		if rb.ID != 0 || rb.Revision != 0 || rb.Status != "draft" || rb.Draft != "" || rb.MaxBytes != opslab.MaxRunbookBytes ||
			rb.AuthorID != site.users["ann"].ID || rb.Versions == nil || rb.Reviews == nil {
			t.Fatalf("fresh runbook = %+v", rb)
		}
		want := "# Runbook: Memory\n\n## Prerequisites\n\n\n## Commands\n\n\n## Rollback\n\n"
		if rb.Template != want {
			t.Errorf("template = %q, want the Practice section's headings %q", rb.Template, want)
		}
		plain := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", "/api/courses/ops/lessons/plain/runbook", ""))
		if !strings.Contains(plain.Template, "## Verification checks") || !strings.Contains(plain.Template, "## Escalation contacts") {
			t.Errorf("a lesson without a Practice section starts from %q", plain.Template)
		}
	})
	t.Run("SaveAndReload", func(t *testing.T) {
		out := decodeAs[struct {
			Revision int64 `json:"revision"`
		}](t, expect(t, ann, 200, "PUT", runbookAPI, saveBody("## Commands\n\nredis-cli INFO", 0)))
		if out.Revision != 1 {
			t.Fatalf("first save: revision %d", out.Revision)
		}
		expect(t, ann, 200, "PUT", runbookAPI, saveBody("## Commands\n\nredis-cli INFO memory", 1))
		rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", runbookAPI, ""))
		if rb.Draft != "## Commands\n\nredis-cli INFO memory" || rb.Revision != 2 || !rb.DraftChanged {
			t.Fatalf("after two saves = %+v", rb)
		}
	})
	t.Run("ErrStaleRevision", func(t *testing.T) {
		msg := errorOf(t, expect(t, ann, 409, "PUT", runbookAPI, saveBody("from an old tab", 1)))
		if !strings.Contains(msg, "another tab") {
			t.Errorf("409 sentence %q does not say what happened", msg)
		}
		rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", runbookAPI, ""))
		if rb.Draft != "## Commands\n\nredis-cli INFO memory" {
			t.Fatalf("the stale save overwrote the draft: %q", rb.Draft)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		expect(t, ann, 413, "PUT", runbookAPI, saveBody(strings.Repeat("x", opslab.MaxRunbookBytes+1), 2))
		expect(t, ann, 413, "POST", runbookAPI+"/preview", `{"body":"`+strings.Repeat("x", opslab.MaxRunbookBytes+1)+`"}`)
		expect(t, ann, 413, "PUT", runbookAPI, `{"body":"`+strings.Repeat("x", server.MaxBodyBytes)+`","revision":2}`)
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, body := range []string{"", "{", `{"body":"x","revision":2}{}`, `{"revision":2}`, `{"body":7,"revision":2}`,
			`{"body":"x","revision":-1}`, `["x"]`} {
			expect(t, ann, 400, "PUT", runbookAPI, body)
		}
		expect(t, ann, 400, "POST", runbookAPI+"/preview", "{")
		expect(t, ann, 400, "POST", runbookAPI+"/submit", `{"revision":"two"}`)
		expect(t, ann, 400, "POST", runbookAPI+"/seen", `{"review":0}`)
		expect(t, ann, 400, "POST", runbookAPI+"/seen", `nope`)
	})
	t.Run("Preview", func(t *testing.T) {
		out := decodeAs[map[string]string](t, expect(t, ann, 200, "POST", runbookAPI+"/preview",
			`{"body":"## Rollback\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **now** <img src=x onerror=alert(1)>"}`))
		html := out["html"]
		if !strings.Contains(html, `<h2 id="rb-rollback">Rollback</h2>`) || !strings.Contains(html, "<strong>now</strong>") {
			t.Errorf("preview = %q", html)
		}
		for _, bad := range []string{"<script", "javascript:", "onerror", "<img"} {
			if strings.Contains(html, bad) {
				t.Errorf("preview holds %q: %s", bad, html)
			}
		}
	})
	t.Run("OthersSeeTheirOwn", func(t *testing.T) {
		rb := decodeAs[runbookJSON](t, expect(t, site.as(t, "bob"), 200, "GET", runbookAPI, ""))
		if rb.Revision != 0 || rb.Draft != "" {
			t.Fatalf("bob sees %+v", rb)
		}
	})
	t.Run("Submit", func(t *testing.T) {
		bob := site.as(t, "bob")
		expect(t, bob, 404, "POST", runbookAPI+"/submit", "")
		expect(t, bob, 404, "POST", runbookAPI+"/seen", `{"review":1}`)
		expect(t, ann, 409, "POST", runbookAPI+"/submit", `{"revision":1}`)
		rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "POST", runbookAPI+"/submit", `{"revision":2}`))
		if rb.Status != "submitted" || len(rb.Versions) != 1 || rb.Versions[0].Number != 1 || rb.DraftChanged {
			t.Fatalf("after submit = %+v", rb)
		}
		msg := errorOf(t, expect(t, ann, 409, "POST", runbookAPI+"/submit", ""))
		if !strings.Contains(msg, "Version 1") {
			t.Errorf("resubmitting the same text: %q", msg)
		}
		expect(t, bob, 200, "PUT", runbookAPI, saveBody(" \n ", 0))
		expect(t, bob, 400, "POST", runbookAPI+"/submit", "")
	})
}

func TestRunbookAPI_Reviews(t *testing.T) {
	site := newRunbookSite(t, true)
	id := site.submitRunbook(t, "ann", "## Commands\n\n```bash\nredis-cli INFO\n```\n\n<script>alert(1)</script>")
	rbPath := fmt.Sprintf("/api/runbooks/%d", id)

	t.Run("Queue", func(t *testing.T) {
		type queue struct {
			Queue []struct {
				ID          int64  `json:"id"`
				LessonTitle string `json:"lesson_title"`
				Version     int    `json:"version"`
				URL         string `json:"url"`
				Author      struct {
					Email string `json:"email"`
				} `json:"author"`
			} `json:"queue"`
		}
		for _, who := range []string{"lou", "ada"} {
			q := decodeAs[queue](t, expect(t, site.as(t, who), 200, "GET", "/api/reviews", ""))
			if len(q.Queue) != 1 || q.Queue[0].ID != id || q.Queue[0].Author.Email != "ann@example.com" ||
				q.Queue[0].LessonTitle != "Memory" || q.Queue[0].Version != 1 || q.Queue[0].URL != fmt.Sprintf("/reviews/%d", id) {
				t.Errorf("%s's queue = %+v", who, q)
			}
		}
		if q := decodeAs[queue](t, expect(t, site.as(t, "uma"), 200, "GET", "/api/reviews", "")); len(q.Queue) != 0 {
			t.Errorf("the other team's lead sees %+v", q)
		}
		for _, who := range []string{"ann", "bob", "ivy"} {
			expect(t, site.as(t, who), 403, "GET", "/api/reviews", "")
		}
		expect(t, site.as(t, ""), 401, "GET", "/api/reviews", "")
	})
	t.Run("Show", func(t *testing.T) {
		rb := decodeAs[runbookJSON](t, expect(t, site.as(t, "lou"), 200, "GET", rbPath, ""))
		if rb.Author.Email != "ann@example.com" || rb.Status != "submitted" || rb.Version.Number != 1 ||
			!strings.Contains(rb.Version.HTML, `<pre class="chroma">`) || strings.Contains(rb.Version.HTML, "<script") ||
			!strings.Contains(rb.Version.Body, "<script>") {
			t.Fatalf("lead's view = %+v", rb)
		}
		expect(t, site.as(t, "ada"), 200, "GET", rbPath, "")
		for _, who := range []string{"ann", "bob", "uma", "una", "ivy"} {
			expect(t, site.as(t, who), 404, "GET", rbPath, "")
		}
		lou := site.as(t, "lou")
		expect(t, lou, 404, "GET", rbPath+"?version=2", "")
		expect(t, lou, 404, "GET", "/api/runbooks/abc", "")
		expect(t, lou, 404, "GET", "/api/runbooks/9999", "")
		expect(t, site.as(t, ""), 401, "GET", rbPath, "")
	})
	t.Run("ReviewRefused", func(t *testing.T) {
		lou := site.as(t, "lou")
		for _, body := range []string{"{", `{"decision":"maybe","comment":"x"}`, `{"decision":"changes_requested"}`, `{"decision":"comment","comment":"  "}`} {
			expect(t, lou, 400, "POST", rbPath+"/reviews", body)
		}
		expect(t, lou, 413, "POST", rbPath+"/reviews", `{"decision":"comment","comment":"`+strings.Repeat("x", opslab.MaxReviewCommentBytes+1)+`"}`)
		expect(t, lou, 409, "POST", rbPath+"/reviews", `{"decision":"approve","version":7}`)
		for _, who := range []string{"ann", "bob", "uma", "ivy"} {
			expect(t, site.as(t, who), 404, "POST", rbPath+"/reviews", `{"decision":"approve"}`)
		}
		expect(t, site.as(t, ""), 401, "POST", rbPath+"/reviews", `{"decision":"approve"}`)
		// A browser on another site cannot post with the lead's cookie.
		expect(t, lou, 403, "POST", rbPath+"/reviews", `{"decision":"approve"}`, "Sec-Fetch-Site", "cross-site")
	})
	t.Run("BadgesBeforeReview", func(t *testing.T) {
		if b := badges(t, site.as(t, "lou")); !b.Reviewer || b.ReviewsWaiting != 1 {
			t.Errorf("lead's badges = %+v", b)
		}
		if b := badges(t, site.as(t, "ann")); b.Reviewer || b.RunbookUpdates != 0 {
			t.Errorf("author's badges = %+v", b)
		}
		expect(t, site.as(t, ""), 401, "GET", "/api/me/badges", "")
	})
	t.Run("AskForChanges", func(t *testing.T) {
		rb := decodeAs[runbookJSON](t, expect(t, site.as(t, "lou"), 201, "POST", rbPath+"/reviews",
			`{"decision":"changes_requested","comment":"Add a **rollback** step.","version":1}`))
		if rb.Status != "changes_requested" || len(rb.Reviews) != 1 || rb.Reviews[0].ReviewerName != "Lou" || !rb.Reviews[0].Unseen {
			t.Fatalf("after asking for changes = %+v", rb)
		}
		if b := badges(t, site.as(t, "lou")); b.ReviewsWaiting != 0 {
			t.Errorf("lead's badges after deciding = %+v", b)
		}
	})
	t.Run("AuthorReads", func(t *testing.T) {
		ann := site.as(t, "ann")
		b := badges(t, ann)
		if b.RunbookUpdates != 1 || len(b.Updates) != 1 || b.Updates[0].URL != "/courses/ops/lessons/memory#runbook" ||
			b.Updates[0].LessonTitle != "Memory" || b.Updates[0].Status != "changes_requested" {
			t.Fatalf("author's badges = %+v", b)
		}
		rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", runbookAPI, ""))
		if rb.Status != "changes_requested" || len(rb.Reviews) != 1 {
			t.Fatalf("author's runbook = %+v", rb)
		}
		r := rb.Reviews[0]
		if r.ReviewerName != "Lou" || r.Decision != "changes_requested" || r.Comment != "Add a **rollback** step." ||
			!strings.Contains(r.CommentHTML, "<strong>rollback</strong>") || !r.Unseen || r.Version != 1 {
			t.Fatalf("review = %+v", r)
		}
		expect(t, ann, 204, "POST", runbookAPI+"/seen", fmt.Sprintf(`{"review":%d}`, r.ID))
		if b := badges(t, ann); b.RunbookUpdates != 0 || len(b.Updates) != 0 {
			t.Errorf("badges after reading = %+v", b)
		}
		if rb := decodeAs[runbookJSON](t, expect(t, ann, 200, "GET", runbookAPI, "")); rb.Reviews[0].Unseen || rb.SeenReview != r.ID {
			t.Errorf("after reading: %+v", rb)
		}
	})
}

type badgesJSON struct {
	Reviewer       bool `json:"reviewer"`
	ReviewsWaiting int  `json:"reviews_waiting"`
	RunbookUpdates int  `json:"runbook_updates"`
	Updates        []struct {
		LessonTitle string `json:"lesson_title"`
		Status      string `json:"status"`
		Unseen      int    `json:"unseen"`
		URL         string `json:"url"`
	} `json:"updates"`
}

func badges(t *testing.T, c *client) badgesJSON {
	t.Helper()
	return decodeAs[badgesJSON](t, expect(t, c, 200, "GET", "/api/me/badges", ""))
}

func TestReviewPages(t *testing.T) {
	site := newRunbookSite(t, true)
	id := site.submitRunbook(t, "ann", "## Rollback\n\n[docs](javascript:alert(1)) and <script>alert(1)</script> [redis](https://redis.io)")
	page := fmt.Sprintf("/reviews/%d", id)

	t.Run("Queue", func(t *testing.T) {
		body := expect(t, site.as(t, "lou"), 200, "GET", "/reviews", "")
		if !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Ann") || !strings.Contains(body, "Memory") {
			t.Errorf("queue page lacks the runbook:\n%s", body)
		}
		if body := expect(t, site.as(t, "uma"), 200, "GET", "/reviews", ""); !strings.Contains(body, "Nothing waits for your review") {
			t.Errorf("the other lead's queue is not empty")
		}
		expect(t, site.as(t, "ann"), 403, "GET", "/reviews", "")
		st, h, _ := site.as(t, "").do("GET", "/reviews", "")
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
			t.Errorf("signed out: %d to %q", st, h.Get("Location"))
		}
	})
	t.Run("Show", func(t *testing.T) {
		body := expect(t, site.as(t, "lou"), 200, "GET", page, "")
		for _, want := range []string{`<h2 id="rb-rollback">Rollback</h2>`, `rel="nofollow noopener noreferrer ugc"`, `name="decision" value="changes_requested"`,
			`<input type="hidden" name="version" value="1">`, "Version 1"} {
			if !strings.Contains(body, want) {
				t.Errorf("review page lacks %q", want)
			}
		}
		if strings.Contains(body, "alert(1)</script>") || strings.Contains(body, "javascript:") {
			t.Errorf("review page holds the learner's script or link")
		}
		for _, who := range []string{"ann", "bob", "uma", "ivy"} {
			expect(t, site.as(t, who), 404, "GET", page, "")
		}
		expect(t, site.as(t, "lou"), 404, "GET", page+"?version=3", "")
		expect(t, site.as(t, "lou"), 404, "GET", "/reviews/x", "")
	})
	form := func(decision, comment string, version int) string {
		return url.Values{"decision": {decision}, "comment": {comment}, "version": {fmt.Sprint(version)}}.Encode()
	}
	formHeader := []string{"Content-Type", "application/x-www-form-urlencoded"}
	t.Run("FormRefused", func(t *testing.T) {
		lou := site.as(t, "lou")
		body := expect(t, lou, 400, "POST", page, form("changes_requested", "", 1), formHeader...)
		if !strings.Contains(body, `data-role="review-error"`) || !strings.Contains(body, "Write a comment") {
			t.Errorf("refused form page lacks the reason:\n%s", body)
		}
		body = expect(t, lou, 409, "POST", page, form("comment", "kept text", 5), formHeader...)
		if !strings.Contains(body, "kept text") {
			t.Errorf("the comment was not kept on a refused form")
		}
		expect(t, site.as(t, "uma"), 404, "POST", page, form("approve", "", 1), formHeader...)
		expect(t, lou, 403, "POST", page, form("approve", "", 1), append(formHeader, "Sec-Fetch-Site", "cross-site")...)
	})
	t.Run("FormAsksForChanges", func(t *testing.T) {
		lou := site.as(t, "lou")
		st, h, body := lou.do("POST", page, form("changes_requested", "Say who to call at night.", 1), formHeader...)
		if st != 303 || h.Get("Location") != page+"?done=changes_requested" {
			t.Fatalf("form post: %d to %q %s", st, h.Get("Location"), body)
		}
		body = expect(t, lou, 200, "GET", h.Get("Location"), "")
		for _, want := range []string{"Say who to call at night.", "Asked for changes", `data-role="review-done"`, "Changes requested", "not read by the learner yet"} {
			if !strings.Contains(body, want) {
				t.Errorf("page after the review lacks %q", want)
			}
		}
	})
}

func TestRunbookPages_Layout(t *testing.T) {
	site := newRunbookSite(t, true)
	lesson := expect(t, site.as(t, "ann"), 200, "GET", runbookPage, "")
	for _, want := range []string{`<section class="runbook" id="runbook" data-role="runbook"`, `/runbook.js"`,
		`data-role="badge-reviews" hidden`, `data-role="badge-runbooks" hidden`} {
		if !strings.Contains(lesson, want) {
			t.Errorf("the learner's lesson page lacks %q", want)
		}
	}
	if i, j := strings.Index(lesson, `data-role="runbook"`), strings.Index(lesson, `id="lesson-done"`); i < 0 || j < i {
		t.Errorf("the runbook section is not before the lesson-done section")
	}
	for _, who := range []string{"lou", "ada"} {
		if body := expect(t, site.as(t, who), 200, "GET", "/", ""); !strings.Contains(body, `<a href="/reviews" class="nav-badge" data-role="badge-reviews">`) {
			t.Errorf("%s's header has no visible Reviews link", who)
		}
	}
}

func TestRunbooks_Unavailable(t *testing.T) {
	site := newRunbookSite(t, false)
	ann := site.as(t, "ann")
	expect(t, ann, 503, "GET", runbookAPI, "")
	expect(t, ann, 503, "PUT", runbookAPI, saveBody("x", 0))
	expect(t, site.as(t, "lou"), 503, "GET", "/api/reviews", "")
	if b := badges(t, ann); b.Reviewer || b.RunbookUpdates != 0 || b.Updates == nil {
		t.Errorf("badges without runbooks = %+v", b)
	}
}
