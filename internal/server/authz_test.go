package server_test

// The authorization matrix: every route the router holds, requested by
// every role, must answer the status its row says. A route with no row
// fails the test, so a new route cannot ship unclassified.
//
// Requests use real URL parameters (the demo course's "first" lesson and
// its "board" exercise, teams alpha and beta, real users, invite links and
// runbooks) so that what is tested is authorization, not a 404. The labs
// are not wired: an exercise call that passes authorization answers 503,
// which counts as allowed. State-changing calls get fresh targets on every
// request (a new team slug, a new member to remove, a new invite link), so
// one role's request never changes what the next one sees.

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
)

// matrixRole is one column of the matrix.
type matrixRole int

const (
	anon       matrixRole = iota // signed out
	learnerA                     // a learner in team alpha
	learnerB                     // a learner in team beta
	leadA                        // the lead of alpha
	leadB                        // the lead of beta
	instructor                   // an instructor in no team
	admin                        // an admin in no team
	nRoles
)

var roleNames = [nRoles]string{"signed-out", "learner of alpha", "learner of beta", "lead of alpha", "lead of beta", "instructor", "admin"}

// statuses holds the status each role must get, indexed by matrixRole.
type statuses [nRoles]int

// st lists the statuses in the column order: signed-out, learner of alpha,
// learner of beta, lead of alpha, lead of beta, instructor, admin.
func st(anon, learnerA, learnerB, leadA, leadB, instructor, admin int) statuses {
	return statuses{anon, learnerA, learnerB, leadA, leadB, instructor, admin}
}

// everyone answers s to every role, signed out included.
func everyone(s int) statuses { return st(s, s, s, s, s, s, s) }

// signedIn answers s to every signed-in role and out to the signed-out.
func signedIn(s, out int) statuses { return st(out, s, s, s, s, s, s) }

// alphaLeads answers ok to alpha's lead and admins, 403 to every other
// signed-in role and out to the signed-out.
func alphaLeads(ok, out int) statuses { return st(out, 403, 403, ok, 403, 403, ok) }

// admins answers ok to admins only.
func admins(ok, out int) statuses { return st(out, 403, 403, 403, 403, 403, ok) }

// instructors answers ok to instructors and admins.
func instructors(ok, out int) statuses { return st(out, 403, 403, 403, 403, ok, ok) }

// Statuses of the signed-out: API calls answer 401, page GETs redirect to
// the sign-in page, page POSTs answer 401.
const (
	apiOut  = http.StatusUnauthorized
	pageOut = http.StatusSeeOther
	formOut = http.StatusUnauthorized
)

// matrixRequest is one request of a matrix row.
type matrixRequest struct {
	path, body, contentType string
}

// matrixRow says how to request a route and what each role must get.
type matrixRow struct {
	// req builds the request for one role; it may create fresh targets.
	req  func(t *testing.T, fx *matrixFixture, r matrixRole) matrixRequest
	want statuses
}

// get, jsonReq and formReq build requests with fixed paths; the path may
// hold {placeholders} that matrixFixture.fill replaces.
func get(path string) func(*testing.T, *matrixFixture, matrixRole) matrixRequest {
	return func(t *testing.T, fx *matrixFixture, _ matrixRole) matrixRequest {
		return matrixRequest{path: fx.fill(t, path)}
	}
}

func jsonReq(path, body string) func(*testing.T, *matrixFixture, matrixRole) matrixRequest {
	return func(t *testing.T, fx *matrixFixture, _ matrixRole) matrixRequest {
		return matrixRequest{path: fx.fill(t, path), body: fx.fill(t, body), contentType: "application/json"}
	}
}

func formReq(path string, v url.Values) func(*testing.T, *matrixFixture, matrixRole) matrixRequest {
	return func(t *testing.T, fx *matrixFixture, _ matrixRole) matrixRequest {
		filled := url.Values{}
		for k, vs := range v {
			for _, x := range vs {
				filled.Add(k, fx.fill(t, x))
			}
		}
		return matrixRequest{path: fx.fill(t, path), body: filled.Encode(), contentType: "application/x-www-form-urlencoded"}
	}
}

const (
	mLesson   = "/courses/demo/lessons/first"
	mExercise = "/api" + mLesson + "/exercises/board"
)

// matrixRoutes is the matrix, keyed by "METHOD pattern" as chi reports the
// route ("* pattern" stands for every method of a route registered with
// Handle). Placeholders in paths and bodies:
//
//	{asset}         the current URL of app.css
//	{fresh}         a new unique word
//	{newLearnerA}   the id of a new learner put in alpha for this request
//	{newAccount}    the email of a new account in no team
//	{inviteA}       the token of a new invite link to alpha
//	{inviteIDA}     the id of a new invite link to alpha
//	{learnerA}      the id of alpha's learner
//	{runbookA}      the id of alpha's learner's submitted runbook
var matrixRoutes = map[string]matrixRow{
	// Operations and static files: open to everyone.
	"GET /healthz": {get("/healthz"), everyone(200)},
	"GET /readyz":  {get("/readyz"), everyone(200)},
	// /metrics: admins, a scraper on this machine or one with the token;
	// the matrix's requests come from another address.
	"* /metrics":                    {get("/metrics"), st(404, 404, 404, 404, 404, 404, 200)},
	"GET /static/{hash}/{name}":     {get("{asset}"), everyone(200)},
	"GET /favicon.ico":              {get("/favicon.ico"), everyone(200)},
	"GET /courses/{course}/files/*": {get("/courses/demo/files/board.png"), signedIn(200, pageOut)},

	// Sessions and public pages.
	"GET /":              {get("/"), everyone(200)},
	"GET /login":         {get("/login"), st(200, 303, 303, 303, 303, 303, 303)},
	"POST /login":        {formReq("/login", url.Values{"email": {"extra@example.com"}, "password": {teamsPassword}}), everyone(303)},
	"GET /register":      {get("/register"), everyone(200)},
	"POST /register":     {formReq("/register", url.Values{"email": {"{fresh}@example.com"}, "name": {"New"}, "password": {teamsPassword}}), everyone(303)},
	"POST /logout":       {formReq("/logout", nil), everyone(303)},
	"POST /api/login":    {jsonReq("/api/login", `{"email":"extra@example.com","password":"`+teamsPassword+`"}`), everyone(200)},
	"POST /api/logout":   {jsonReq("/api/logout", ``), everyone(204)},
	"POST /api/register": {jsonReq("/api/register", `{"email":"{fresh}@example.com","name":"New","password":"`+teamsPassword+`"}`), everyone(201)},

	// The account: each user's own; another's session (or none) is a 404.
	// Reset links: open to everyone, and an unknown token is a 404.
	"GET /account":                         {get("/account"), signedIn(200, pageOut)},
	"POST /account/password":               {formReq("/account/password", url.Values{"current_password": {"wrong-password"}}), signedIn(400, formOut)},
	"POST /account/sessions/{id}/end":      {formReq("/account/sessions/999999/end", nil), signedIn(404, formOut)},
	"POST /account/sessions/revoke-others": {formReq("/account/sessions/revoke-others", nil), signedIn(303, formOut)},
	"GET /api/me/sessions":                 {get("/api/me/sessions"), signedIn(200, apiOut)},
	"DELETE /api/me/sessions/{id}":         {jsonReq("/api/me/sessions/999999", ``), signedIn(404, apiOut)},
	"POST /api/me/sessions/revoke-others":  {jsonReq("/api/me/sessions/revoke-others", ``), signedIn(200, apiOut)},
	"POST /api/me/password":                {jsonReq("/api/me/password", `{"current_password":"","new_password":""}`), signedIn(400, apiOut)},
	"GET /reset/{token}":                   {get("/reset/{fresh}"), everyone(404)},
	"POST /reset/{token}":                  {formReq("/reset/{fresh}", url.Values{"password": {teamsPassword}, "password_again": {teamsPassword}}), everyone(404)},

	// Learning: every signed-in user, on their own data.
	"GET /courses/{course}":                                {get("/courses/demo"), signedIn(200, pageOut)},
	"GET /courses/{course}/lessons/{lesson}":               {get(mLesson), signedIn(200, pageOut)},
	"POST /courses/{course}/lessons/{lesson}/done":         {formReq(mLesson+"/done", url.Values{"done": {"true"}}), signedIn(303, formOut)},
	"GET /api/courses":                                     {get("/api/courses"), signedIn(200, apiOut)},
	"GET /api/courses/{course}/lessons/{lesson}":           {get("/api" + mLesson), signedIn(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/complete": {jsonReq("/api"+mLesson+"/complete", `{"done":true}`), signedIn(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/activity": {jsonReq("/api"+mLesson+"/activity", `{"seconds":30}`), signedIn(204, apiOut)},
	"GET /api/me/progress":                                 {get("/api/me/progress"), signedIn(200, apiOut)},
	"GET /api/me":                                          {get("/api/me"), signedIn(200, apiOut)},

	// Labs (not wired here: 503 once authorized).
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/start":     {jsonReq(mExercise+"/start", ``), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/reset":     {jsonReq(mExercise+"/reset", ``), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/stop":      {jsonReq(mExercise+"/stop", ``), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/exec":      {jsonReq(mExercise+"/exec", `{"command":"PING"}`), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/check":     {jsonReq(mExercise+"/check", ``), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/hints/{n}": {jsonReq(mExercise+"/hints/1", ``), signedIn(503, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/solution":  {jsonReq(mExercise+"/solution", ``), signedIn(503, apiOut)},
	"GET /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/terminal":   {get(mExercise + "/terminal"), signedIn(503, apiOut)},

	// Instructors: the content tools and anonymous statistics.
	"GET /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/instructor":    {get(mExercise + "/instructor"), instructors(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/exercises/{exercise}/run-solution": {jsonReq(mExercise+"/run-solution", ``), instructors(503, apiOut)},

	// Teams: lists for everyone signed in (their own teams), the rest for
	// the team's leads and admins; creation, renaming and adding an
	// account directly for admins (leads use invite links).
	"GET /teams":                                 {get("/teams"), signedIn(200, pageOut)},
	"POST /teams":                                {formReq("/teams", url.Values{"slug": {"{fresh}"}}), admins(303, formOut)},
	"GET /teams/{team}/members":                  {get("/teams/alpha/members"), alphaLeads(200, pageOut)},
	"POST /teams/{team}/members":                 {formReq("/teams/alpha/members", url.Values{"email": {"{newAccount}"}}), admins(303, formOut)},
	"POST /teams/{team}/members/{userID}/remove": {formReq("/teams/alpha/members/{newLearnerA}/remove", nil), alphaLeads(303, formOut)},
	"POST /teams/{team}/invites":                 {formReq("/teams/alpha/invites", url.Values{"expires_in_hours": {"24"}}), alphaLeads(200, formOut)},
	"POST /teams/{team}/invites/{id}/revoke":     {formReq("/teams/alpha/invites/{inviteIDA}/revoke", nil), alphaLeads(303, formOut)},
	"GET /teams/{team}/progress.csv":             {get("/teams/alpha/progress.csv"), alphaLeads(200, pageOut)},
	"GET /invite/{token}":                        {get("/invite/{inviteA}"), everyone(200)},
	"POST /invite/{token}":                       {formReq("/invite/{inviteA}", nil), signedIn(303, formOut)},
	"GET /api/teams":                             {get("/api/teams"), signedIn(200, apiOut)},
	"POST /api/teams":                            {jsonReq("/api/teams", `{"slug":"{fresh}"}`), admins(201, apiOut)},
	"PATCH /api/teams/{team}":                    {jsonReq("/api/teams/alpha", `{"name":"Alpha"}`), admins(200, apiOut)},
	"GET /api/teams/{team}/members":              {get("/api/teams/alpha/members"), alphaLeads(200, apiOut)},
	"POST /api/teams/{team}/members":             {jsonReq("/api/teams/alpha/members", `{"email":"{newAccount}"}`), admins(201, apiOut)},
	"DELETE /api/teams/{team}/members/{userID}":  {jsonReq("/api/teams/alpha/members/{newLearnerA}", ``), alphaLeads(204, apiOut)},
	"GET /api/teams/{team}/invites":              {get("/api/teams/alpha/invites"), alphaLeads(200, apiOut)},
	"POST /api/teams/{team}/invites":             {jsonReq("/api/teams/alpha/invites", `{"expires_in_hours":24}`), alphaLeads(201, apiOut)},
	"DELETE /api/teams/{team}/invites/{id}":      {jsonReq("/api/teams/alpha/invites/{inviteIDA}", ``), alphaLeads(204, apiOut)},
	"POST /api/invites/{token}/accept":           {jsonReq("/api/invites/{inviteA}/accept", ``), signedIn(200, apiOut)},
	"GET /api/teams/{team}/progress":             {get("/api/teams/alpha/progress"), alphaLeads(200, apiOut)},

	// Team dashboard and learner detail: the team's leads and admins.
	"GET /teams/{team}":                       {get("/teams/alpha"), alphaLeads(200, pageOut)},
	"GET /teams/{team}/learners/{userID}":     {get("/teams/alpha/learners/{learnerA}"), alphaLeads(200, pageOut)},
	"GET /api/teams/{team}/dashboard":         {get("/api/teams/alpha/dashboard"), alphaLeads(200, apiOut)},
	"GET /api/teams/{team}/learners/{userID}": {get("/api/teams/alpha/learners/{learnerA}"), alphaLeads(200, apiOut)},

	// Runbooks: each user's own, on lesson "second" (lesson "first" holds
	// alpha's learner's submitted runbook).
	"GET /api/courses/{course}/lessons/{lesson}/runbook/":         {get(mRunbook), signedIn(200, apiOut)},
	"PUT /api/courses/{course}/lessons/{lesson}/runbook/":         {saveRunbook, signedIn(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/runbook/preview": {jsonReq(mRunbook+"/preview", `{"body":"# Steps"}`), signedIn(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/runbook/submit":  {withDraft(jsonReq(mRunbook+"/submit", ``)), signedIn(200, apiOut)},
	"POST /api/courses/{course}/lessons/{lesson}/runbook/seen":    {withDraft(jsonReq(mRunbook+"/seen", `{"review":1}`)), signedIn(204, apiOut)},
	"GET /api/me/badges": {get("/api/me/badges"), signedIn(200, apiOut)},

	// Reviews: leads (of any team) and admins have a queue; a runbook is
	// seen only by its author's leads and admins, and is a 404 to anyone else.
	"GET /api/reviews":                {get("/api/reviews"), st(apiOut, 403, 403, 200, 200, 403, 200)},
	"GET /reviews":                    {get("/reviews"), st(pageOut, 403, 403, 200, 200, 403, 200)},
	"GET /api/runbooks/{id}":          {get("/api/runbooks/{runbookA}"), st(apiOut, 404, 404, 200, 404, 404, 200)},
	"GET /reviews/{id}":               {get("/reviews/{runbookA}"), st(pageOut, 404, 404, 200, 404, 404, 200)},
	"POST /api/runbooks/{id}/reviews": {jsonReq("/api/runbooks/{runbookA}/reviews", `{"decision":"comment","comment":"Looks right."}`), st(apiOut, 404, 404, 201, 404, 404, 201)},
	"POST /reviews/{id}":              {formReq("/reviews/{runbookA}", url.Values{"decision": {"comment"}, "comment": {"Looks right."}}), st(formOut, 404, 404, 303, 404, 404, 303)},
}

// mRunbook is the runbook of lesson "second".
const mRunbook = "/api/courses/demo/lessons/second/runbook"

// mSecond is lesson "second" as the runbook store names it.
var mSecond = opslab.LessonKey{Course: "demo", Lesson: "second"}

// saveRunbook saves a new draft of the role's runbook at its current
// revision.
func saveRunbook(t *testing.T, fx *matrixFixture, r matrixRole) matrixRequest {
	return matrixRequest{path: mRunbook, contentType: "application/json",
		body: fmt.Sprintf(`{"body":"draft %s","revision":%d}`, fx.fill(t, "{fresh}"), fx.runbookRevision(t, r))}
}

// withDraft saves a new draft of the role's runbook of lesson "second"
// before the request, so that there is something to submit or mark seen.
func withDraft(req func(*testing.T, *matrixFixture, matrixRole) matrixRequest) func(*testing.T, *matrixFixture, matrixRole) matrixRequest {
	return func(t *testing.T, fx *matrixFixture, r matrixRole) matrixRequest {
		if u := fx.users[r]; u != nil {
			if _, err := fx.runbooks.SaveDraft(context.Background(), u.ID, mSecond, "draft "+fx.fill(t, "{fresh}"), fx.runbookRevision(t, r)); err != nil {
				t.Fatal(err)
			}
		}
		return req(t, fx, r)
	}
}

// runbookRevision returns the revision of the role's runbook of lesson
// "second", 0 when there is none (or for the signed-out).
func (fx *matrixFixture) runbookRevision(t *testing.T, r matrixRole) int64 {
	t.Helper()
	u := fx.users[r]
	if u == nil {
		return 0
	}
	rb, err := fx.runbooks.FindRunbook(context.Background(), u.ID, mSecond)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return rb.Revision
}

// matrixPNG is a 1×1 PNG image.
var matrixPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// matrixFixture is the site the matrix runs against, with one signed-in
// session per role.
type matrixFixture struct {
	site    *teamsSite
	users   [nRoles]*opslab.User
	cookies [nRoles]*http.Cookie
	alpha   *opslab.TeamSummary
	seq     int
	asset   string

	runbooks *sqlite.RunbookService
	// runbookA is the id of alpha's learner's submitted runbook.
	runbookA int64
}

// matrixPlaceholder matches the placeholders of matrixRoutes.
var matrixPlaceholder = regexp.MustCompile(`\{[a-zA-Z]+\}`)

// fill replaces the placeholders of s, making fresh targets as needed.
func (fx *matrixFixture) fill(t *testing.T, s string) string {
	t.Helper()
	ctx := context.Background()
	return matrixPlaceholder.ReplaceAllStringFunc(s, func(p string) string {
		fx.seq++
		fresh := fmt.Sprintf("fresh%d", fx.seq)
		switch p {
		case "{asset}":
			return fx.asset
		case "{fresh}":
			return fresh
		case "{newAccount}":
			return fx.site.user(t, fresh+"@example.com", fresh, opslab.RoleLearner, "").Email
		case "{newLearnerA}":
			return tmItoa(fx.site.user(t, fresh+"@example.com", fresh, opslab.RoleLearner, "alpha").ID)
		case "{inviteA}", "{inviteIDA}":
			inv, token, err := fx.site.invites.CreateInvite(ctx, opslab.NewInvite{TeamID: fx.alpha.ID, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if p == "{inviteA}" {
				return token
			}
			return tmItoa(inv.ID)
		case "{learnerA}":
			return tmItoa(fx.users[learnerA].ID)
		case "{runbookA}":
			return tmItoa(fx.runbookA)
		}
		t.Fatalf("unknown placeholder %s", p)
		return ""
	})
}

// newMatrixFixture builds the site and signs every role in.
func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	// The demo course, with an image of the matrix's own.
	content := fstest.MapFS{"demo/board.png": {Data: matrixPNG}}
	good := os.DirFS("../markdown/testdata/good")
	if err := fs.WalkDir(good, "demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(good, p)
		content[p] = &fstest.MapFile{Data: b}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var runbooks *sqlite.RunbookService
	site := newTeamsSiteFS(t, content, func(c *server.Config, db *sqlite.DB) {
		c.Labs = nil
		runbooks = sqlite.NewRunbookService(db)
		c.Runbooks = runbooks
		c.SafeMarkdown = markdown.NewSafe()
		c.Dashboard = sqlite.NewDashboardService(db)
	})
	fx := &matrixFixture{site: site, runbooks: runbooks}
	accounts := [nRoles]struct {
		email string
		role  opslab.Role
		team  string
	}{
		learnerA:   {"ann@example.com", opslab.RoleLearner, "alpha"},
		learnerB:   {"bob@example.com", opslab.RoleLearner, "beta"},
		leadA:      {"lea@example.com", opslab.RoleLead, "alpha"},
		leadB:      {"lou@example.com", opslab.RoleLead, "beta"},
		instructor: {"ivy@example.com", opslab.RoleInstructor, ""},
		admin:      {"root@example.com", opslab.RoleAdmin, ""},
	}
	for r := learnerA; r < nRoles; r++ {
		a := accounts[r]
		fx.users[r] = site.user(t, a.email, a.email, a.role, a.team)
		fx.cookies[r] = fx.signIn(t, a.email)
	}
	site.user(t, "extra@example.com", "Extra", opslab.RoleLearner, "")
	fx.alpha = tmTeam(t, site, "alpha")

	// Alpha's learner has a runbook of lesson "first" waiting for review.
	ctx := context.Background()
	first := opslab.LessonKey{Course: "demo", Lesson: "first"}
	if _, err := runbooks.SaveDraft(ctx, fx.users[learnerA].ID, first, "# Runbook\n\nZADD board 1 alice", 0); err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Submit(ctx, fx.users[learnerA].ID, first, 0)
	if err != nil {
		t.Fatal(err)
	}
	fx.runbookA = rb.ID

	rec := httptest.NewRecorder()
	site.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/app\.css)"`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no link to app.css on the home page")
	}
	fx.asset = m[1]
	return fx
}

// signIn returns the session cookie of the account.
func (fx *matrixFixture) signIn(t *testing.T, email string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"email":"`+email+`","password":"`+teamsPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	fx.site.srv.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "opslab_session" {
			return c
		}
	}
	t.Fatalf("login %s: %d %s", email, rec.Code, rec.Body)
	return nil
}

// serve sends one request as the role, in process, and returns the status
// and the body.
func (fx *matrixFixture) serve(method string, r matrixRole, mr matrixRequest) (int, string) {
	req := httptest.NewRequest(method, mr.path, strings.NewReader(mr.body))
	if mr.contentType != "" {
		req.Header.Set("Content-Type", mr.contentType)
	}
	if c := fx.cookies[r]; c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	fx.site.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// walkedRoutes returns every "METHOD pattern" the server holds, sorted.
func walkedRoutes(t *testing.T, srv *server.Server) []string {
	t.Helper()
	var routes []string
	if err := srv.WalkRoutes(func(method, pattern string) error {
		routes = append(routes, method+" "+pattern)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	return routes
}

// matrixRowFor returns the row for a walked route: its own, or the
// every-method row of its pattern.
func matrixRowFor(route string) (matrixRow, string, bool) {
	if row, ok := matrixRoutes[route]; ok {
		return row, route, true
	}
	_, pattern, _ := strings.Cut(route, " ")
	row, ok := matrixRoutes["* "+pattern]
	return row, "* " + pattern, ok
}

func TestAuthorizationMatrix(t *testing.T) {
	fx := newMatrixFixture(t)
	routes := walkedRoutes(t, fx.site.srv)
	used := map[string]bool{}
	for _, route := range routes {
		row, key, ok := matrixRowFor(route)
		if !ok {
			t.Errorf("route %s is not in the authorization matrix: add a row for it to matrixRoutes in internal/server/authz_test.go "+
				"saying which status each role (signed out, learners, leads of the team and of another team, instructor, admin) must get", route)
			continue
		}
		used[key] = true
		method, _, _ := strings.Cut(route, " ")
		for r := anon; r < nRoles; r++ {
			req := row.req(t, fx, r)
			got, body := fx.serve(method, r, req)
			if got != row.want[r] {
				t.Errorf("%s as %s (%s %s): status %d, want %d: %.200s", route, roleNames[r], method, req.path, got, row.want[r], body)
			}
			if strings.HasSuffix(route, "/logout") && r != anon {
				// Signing out ended the role's session: start another.
				fx.cookies[r] = fx.signIn(t, fx.users[r].Email)
			}
		}
	}
	for key := range matrixRoutes {
		if !used[key] {
			t.Errorf("matrixRoutes has a row for %s, which the router does not hold: remove or rename it", key)
		}
	}
	if t.Failed() {
		t.Logf("routes the router holds:\n%s", strings.Join(routes, "\n"))
	}
}

// TestAuthorizationMatrixCatchesNewRoutes checks the guard itself: a route
// the matrix does not know is reported.
func TestAuthorizationMatrixCatchesNewRoutes(t *testing.T) {
	if _, _, ok := matrixRowFor("GET /an/unclassified/route"); ok {
		t.Fatal("an unknown route has a row")
	}
	if _, key, ok := matrixRowFor("TRACE /metrics"); !ok || key != "* /metrics" {
		t.Fatalf("a Handle route's methods do not find its * row: %q %v", key, ok)
	}
}
