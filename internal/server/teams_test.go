package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

const teamsPassword = "correct-horse-1"

// teamsSite is a real router over a real SQLite file with every team
// store, the demo course of ../markdown/testdata/good (lesson "first" with
// exercise "board", lesson "second" without exercises) and a settable clock.
type teamsSite struct {
	*testSite
	db       *sqlite.DB
	clk      *testkit.Clock
	admin    *sqlite.TeamAdminService
	invites  *sqlite.InviteService
	progress *sqlite.ProgressService
	attempts *sqlite.AttemptService
}

// newTeamsSite builds the site; cfg, if given, changes the server's
// configuration before it is built (the matrix test adds services).
func newTeamsSite(t testing.TB, cfg ...func(*server.Config, *sqlite.DB)) *teamsSite {
	t.Helper()
	return newTeamsSiteFS(t, os.DirFS("../markdown/testdata/good"), cfg...)
}

// newTeamsSiteFS is newTeamsSite serving the content tree fsys.
func newTeamsSiteFS(t testing.TB, fsys fs.FS, cfg ...func(*server.Config, *sqlite.DB)) *teamsSite {
	t.Helper()
	db := dbkit.Open(t)
	clk := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	site := &teamsSite{db: db, clk: clk, admin: sqlite.NewTeamAdminService(db), invites: sqlite.NewInviteService(db),
		progress: sqlite.NewProgressService(db), attempts: sqlite.NewAttemptService(db)}
	c := server.Config{
		Users:          users,
		Teams:          sqlite.NewTeamService(db),
		Progress:       site.progress,
		Stats:          sqlite.NewStatsService(db),
		TeamAdmin:      site.admin,
		Invites:        site.invites,
		Exports:        sqlite.NewExportService(db),
		SessionKey:     bytes.Repeat([]byte("k"), 32),
		SignupOpen:     true,
		SignupsPerHour: -1,
		Now:            clk.Now,
	}
	for _, f := range cfg {
		f(&c, db)
	}
	srv, err := server.New(c)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(fsys, markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	site.testSite = &testSite{Server: ts, srv: srv, users: users}
	return site
}

// user creates an account with the role and the name, in the team if one
// is given (a lead leads it).
func (s *teamsSite) user(t testing.TB, email, name string, role opslab.Role, team string) *opslab.User {
	t.Helper()
	u, err := s.users.CreateUser(context.Background(), opslab.NewUser{Email: email, Name: name, Password: teamsPassword, Role: role, Team: team})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn returns a client signed in as the account with the email.
func (s *teamsSite) signIn(t testing.TB, email string) *client {
	t.Helper()
	c := s.client(t)
	if st, _, body := c.do("POST", "/api/login", `{"email":"`+email+`","password":"`+teamsPassword+`"}`); st != 200 {
		t.Fatalf("login %s: %d %s", email, st, body)
	}
	return c
}

// join puts the account with the email in the team, creating the team if
// new.
func (s *teamsSite) join(t testing.TB, team, email string, lead bool) {
	t.Helper()
	ctx := context.Background()
	sum, err := s.admin.FindTeamSummary(ctx, team)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		sum, err = s.admin.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: team})
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.admin.AddMemberByEmail(ctx, sum.ID, email, lead); err != nil {
		t.Fatal(err)
	}
}

// mustJSON decodes body into v or fails the test.
func tmJSON(t testing.TB, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

// want fails the test unless the answer has the status; for an error
// status on an API path it also wants a JSON error sentence.
func tmWant(t testing.TB, what string, status int, gotStatus int, body string) {
	t.Helper()
	if gotStatus != status {
		t.Fatalf("%s: status %d, want %d: %.300s", what, gotStatus, status, body)
	}
}

type tmTeamView struct {
	Slug  string
	Name  string
	Leads []struct {
		ID          int64
		Email, Name string
	}
	Learners *int
}

func TestTeamsAPI_CreateTeam(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	lea := site.user(t, "lea@example.com", "Lea", opslab.RoleLearner, "")
	site.user(t, "lou@example.com", "Lou", opslab.RoleLead, "other")
	admin := site.signIn(t, "root@example.com")

	t.Run("OK", func(t *testing.T) {
		st, _, body := admin.do("POST", "/api/teams", `{"slug":"platform","name":"Platform team","leads":["LEA@example.com"]}`)
		tmWant(t, "create", 201, st, body)
		var v tmTeamView
		tmJSON(t, body, &v)
		if v.Slug != "platform" || v.Name != "Platform team" || len(v.Leads) != 1 || v.Leads[0].Email != "lea@example.com" ||
			v.Leads[0].ID != lea.ID || v.Learners == nil || *v.Learners != 0 {
			t.Fatalf("created %s", body)
		}
		// Lea now leads it: she may read its progress, and has the lead role.
		site.clk.Add(time.Minute) // past the server's user cache
		c := site.signIn(t, "lea@example.com")
		st, _, body = c.do("GET", "/api/teams/platform/progress", "")
		tmWant(t, "lead reads progress", 200, st, body)
		_, _, me := c.do("GET", "/api/me", "")
		if !strings.Contains(me, `"role":"lead"`) {
			t.Errorf("lea after being named lead: %s", me)
		}
	})
	cases := []struct {
		name, body string
		status     int
		says       string
	}{
		{"DuplicateSlug", `{"slug":"platform"}`, 409, "already exists"},
		{"MalformedJSON", `{"slug":`, 400, "not valid JSON"},
		{"BadSlug", `{"slug":"Not A Slug"}`, 400, "lower-case"},
		{"InvalidEmail", `{"slug":"x1","leads":["not-an-email"]}`, 400, "not a valid email"},
		{"UnknownEmail", `{"slug":"x2","leads":["nobody@example.com"]}`, 404, "nobody@example.com"},
		{"LongName", `{"slug":"x3","name":"` + strings.Repeat("n", 101) + `"}`, 400, "longer than"},
		{"EmptyBody", ``, 400, "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := admin.do("POST", "/api/teams", tc.body)
			tmWant(t, tc.name, tc.status, st, body)
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(errorOf(t, body), tc.says) {
				t.Fatalf("error %s, want it to say %q", body, tc.says)
			}
		})
	}
	t.Run("UnknownEmailStoresNothing", func(t *testing.T) {
		st, _, body := admin.do("GET", "/api/teams", "")
		if st != 200 || strings.Contains(body, `"x2"`) {
			t.Fatalf("teams after a refused create: %d %s", st, body)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		for _, email := range []string{"lea@example.com", "lou@example.com"} {
			st, _, body := site.signIn(t, email).do("POST", "/api/teams", `{"slug":"mine"}`)
			tmWant(t, email, 403, st, body)
		}
		st, _, body := site.client(t).do("POST", "/api/teams", `{"slug":"mine"}`)
		tmWant(t, "signed out", 401, st, body)
	})
}

func TestTeamsAPI_ListTeams(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "alpha")
	site.user(t, "ann@example.com", "Ann", opslab.RoleLearner, "alpha")
	site.user(t, "ivy@example.com", "Ivy", opslab.RoleInstructor, "")
	site.user(t, "bo@example.com", "Bo", opslab.RoleLead, "beta")
	site.join(t, "beta", "ann@example.com", false) // Ann is in two teams
	site.join(t, "beta", "lea@example.com", false) // Lea leads alpha, learns in beta
	site.join(t, "gamma", "bo@example.com", true)

	list := func(email string) []tmTeamView {
		t.Helper()
		st, _, body := site.signIn(t, email).do("GET", "/api/teams", "")
		tmWant(t, email, 200, st, body)
		var v []tmTeamView
		tmJSON(t, body, &v)
		return v
	}
	names := func(v []tmTeamView) string {
		var out []string
		for _, x := range v {
			s := x.Slug
			if x.Learners != nil {
				s += "*"
			}
			out = append(out, s)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ email, want string }{
		{"root@example.com", "alpha*,beta*,gamma*"},
		{"lea@example.com", "alpha*,beta"},
		{"ann@example.com", "alpha,beta"},
		{"bo@example.com", "beta*,gamma*"},
		{"ivy@example.com", ""},
	} {
		if got := names(list(tc.email)); got != tc.want {
			t.Errorf("%s sees %q, want %q (* = with leads and learners)", tc.email, got, tc.want)
		}
	}
	// A learner sees names only: no leads, no counts.
	st, _, body := site.signIn(t, "ann@example.com").do("GET", "/api/teams", "")
	if st != 200 || strings.Contains(body, "leads") || strings.Contains(body, "lea@example.com") || strings.Contains(body, "learners") {
		t.Errorf("a learner's list of teams shows more than names: %s", body)
	}
	st, _, body = site.client(t).do("GET", "/api/teams", "")
	tmWant(t, "signed out", 401, st, body)
}

func TestTeamsAPI_Members(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	lea := site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	site.user(t, "lou@example.com", "Lou", opslab.RoleLead, "dev")
	ann := site.user(t, "ann@example.com", "Ann", opslab.RoleLearner, "")
	bob := site.user(t, "bob@example.com", "Bob", opslab.RoleLearner, "ops")
	site.user(t, "cid@example.com", "Cid", opslab.RoleLearner, "")
	admin, lead, other, learner := site.signIn(t, "root@example.com"), site.signIn(t, "lea@example.com"),
		site.signIn(t, "lou@example.com"), site.signIn(t, "bob@example.com")

	t.Run("LeadsCannotAdd", func(t *testing.T) {
		// Issue 13: a lead adds nobody directly, and the answer is the same
		// whether the email has an account (in another team or none), has
		// none, or is not an email at all.
		var first string
		for i, in := range []string{`{"email":"ann@example.com"}`, `{"email":"lou@example.com"}`,
			`{"email":"nobody@example.com"}`, `{"email":"not an email"}`, `{}`, `{"email"`,
			`{"email":"cid@example.com","lead":true}`} {
			st, _, body := lead.do("POST", "/api/teams/ops/members", in)
			tmWant(t, "lead adds "+in, 403, st, body)
			if i == 0 {
				first = body
				if !strings.Contains(body, "invite link") {
					t.Fatalf("the answer does not point to invite links: %s", body)
				}
			} else if body != first {
				t.Fatalf("lead adding %s got %s, but %s for an existing account", in, body, first)
			}
		}
		_, _, body := admin.do("GET", "/api/teams/ops/members", "")
		if strings.Contains(body, "ann@example.com") || strings.Contains(body, "cid@example.com") {
			t.Fatalf("a lead's attempt put someone in the team: %s", body)
		}
	})
	t.Run("Add", func(t *testing.T) {
		st, _, body := admin.do("POST", "/api/teams/ops/members", `{"email":"Ann@Example.com"}`)
		tmWant(t, "add ann", 201, st, body)
		var m struct {
			ID       int64
			Email    string
			Lead     bool
			JoinedAt time.Time `json:"joined_at"`
		}
		tmJSON(t, body, &m)
		if m.ID != ann.ID || m.Email != "ann@example.com" || m.Lead || !m.JoinedAt.Equal(site.clk.Now()) {
			t.Fatalf("added %s", body)
		}
		st, _, body = admin.do("POST", "/api/teams/ops/members", `{"email":"ann@example.com"}`)
		tmWant(t, "add ann again", 200, st, body)
	})
	t.Run("OnlyAdminsNameLeads", func(t *testing.T) {
		st, _, body := lead.do("POST", "/api/teams/ops/members", `{"email":"cid@example.com","lead":true}`)
		tmWant(t, "lead names a lead", 403, st, body)
		st, _, body = admin.do("POST", "/api/teams/ops/members", `{"email":"cid@example.com","lead":true}`)
		tmWant(t, "admin names a lead", 201, st, body)
		if !strings.Contains(body, `"lead":true`) {
			t.Fatalf("admin named a lead: %s", body)
		}
	})
	t.Run("List", func(t *testing.T) {
		st, _, body := lead.do("GET", "/api/teams/ops/members", "")
		tmWant(t, "list", 200, st, body)
		var ms []struct {
			Email string
			Lead  bool
		}
		tmJSON(t, body, &ms)
		var got []string
		for _, m := range ms {
			got = append(got, m.Email)
		}
		if strings.Join(got, ",") != "cid@example.com,lea@example.com,ann@example.com,bob@example.com" {
			t.Fatalf("members %v, want leads first then by email", got)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		st, _, body := lead.do("DELETE", "/api/teams/ops/members/"+tmItoa(bob.ID), "")
		tmWant(t, "remove bob", 204, st, body)
		st, _, body = lead.do("DELETE", "/api/teams/ops/members/"+tmItoa(bob.ID), "")
		tmWant(t, "remove bob again", 404, st, body)
		st, _, body = lead.do("DELETE", "/api/teams/ops/members/not-a-number", "")
		tmWant(t, "bad id", 404, st, body)
		st, _, body = lead.do("DELETE", "/api/teams/ops/members/"+tmItoa(lea.ID), "")
		tmWant(t, "lead removes a lead", 403, st, body)
		// Bob, out of the team, can no longer be seen by its lead.
		_, _, body = lead.do("GET", "/api/teams/ops/progress", "")
		if strings.Contains(body, "bob@example.com") {
			t.Fatalf("removed member still in the report: %s", body)
		}
	})
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		body   string
		status int
	}{
		{"MalformedJSON", admin, "POST", "/api/teams/ops/members", `{"email"`, 400},
		{"InvalidEmail", admin, "POST", "/api/teams/ops/members", `{"email":"not an email"}`, 400},
		{"MissingEmail", admin, "POST", "/api/teams/ops/members", `{}`, 400},
		{"UnknownAccount", admin, "POST", "/api/teams/ops/members", `{"email":"nobody@example.com"}`, 404},
		{"UnknownTeamAdmin", admin, "POST", "/api/teams/nope/members", `{"email":"ann@example.com"}`, 404},
		{"UnknownTeamLead", lead, "POST", "/api/teams/nope/members", `{"email":"ann@example.com"}`, 403},
		{"OtherTeamsLead", other, "POST", "/api/teams/ops/members", `{"email":"ann@example.com"}`, 403},
		{"OtherTeamsLeadList", other, "GET", "/api/teams/ops/members", ``, 403},
		{"Learner", learner, "GET", "/api/teams/ops/members", ``, 403},
		{"LearnerRemoves", learner, "DELETE", "/api/teams/ops/members/" + tmItoa(ann.ID), ``, 403},
		{"SignedOut", site.client(t), "GET", "/api/teams/ops/members", ``, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := tc.c.do(tc.method, tc.path, tc.body)
			tmWant(t, tc.name, tc.status, st, body)
			errorOf(t, body)
		})
	}
	// Unknown and foreign teams answer a non-admin the same sentence.
	_, _, unknown := lead.do("GET", "/api/teams/nope/members", "")
	_, _, foreign := lead.do("GET", "/api/teams/dev/members", "")
	if errorOf(t, unknown) != errorOf(t, foreign) {
		t.Errorf("an unknown team (%s) and another's team (%s) answer differently", unknown, foreign)
	}
	t.Run("AdminRemovesLead", func(t *testing.T) {
		st, _, body := admin.do("DELETE", "/api/teams/ops/members/"+tmItoa(lea.ID), "")
		tmWant(t, "admin removes lea", 204, st, body)
		st, _, body = lead.do("GET", "/api/teams/ops/members", "")
		tmWant(t, "lea after removal", 403, st, body)
	})
}

func TestTeamsAPI_Rename(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	admin := site.signIn(t, "root@example.com")
	st, _, body := admin.do("PATCH", "/api/teams/ops", `{"name":"Operations"}`)
	tmWant(t, "rename", 200, st, body)
	if !strings.Contains(body, `"name":"Operations"`) {
		t.Fatalf("renamed: %s", body)
	}
	st, _, body = admin.do("PATCH", "/api/teams/ops", `{"name":"  "}`)
	tmWant(t, "empty name", 400, st, body)
	st, _, body = admin.do("PATCH", "/api/teams/nope", `{"name":"x"}`)
	tmWant(t, "unknown team", 404, st, body)
	st, _, body = site.signIn(t, "lea@example.com").do("PATCH", "/api/teams/ops", `{"name":"Mine"}`)
	tmWant(t, "lead renames", 403, st, body)
}

// inviteToken returns the token at the end of an invite URL.
func tmInviteToken(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Path, "/invite/") {
		t.Fatalf("invite url %q", rawURL)
	}
	return strings.TrimPrefix(u.Path, "/invite/")
}

func TestTeamsAPI_Invites(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	site.user(t, "lou@example.com", "Lou", opslab.RoleLead, "dev")
	for _, e := range []string{"ann", "bob", "cid", "dan"} {
		site.user(t, e+"@example.com", e, opslab.RoleLearner, "dev")
	}
	lead := site.signIn(t, "lea@example.com")
	ann, bob := site.signIn(t, "ann@example.com"), site.signIn(t, "bob@example.com")

	create := func(body string) (id int64, token string, expires time.Time) {
		t.Helper()
		st, _, out := lead.do("POST", "/api/teams/ops/invites", body)
		tmWant(t, "create invite "+body, 201, st, out)
		var v struct {
			ID        int64
			Path      string
			URL       *string
			ExpiresAt time.Time `json:"expires_at"`
			MaxUses   int       `json:"max_uses"`
		}
		tmJSON(t, out, &v)
		// Without --public-url the link is its path alone.
		if !strings.HasPrefix(v.Path, "/invite/") || v.URL != nil {
			t.Fatalf("invite %s, want a path and no url", out)
		}
		return v.ID, tmInviteToken(t, v.Path), v.ExpiresAt
	}

	t.Run("Defaults", func(t *testing.T) {
		_, _, expires := create("")
		if !expires.Equal(site.clk.Now().Add(7 * 24 * time.Hour)) {
			t.Fatalf("default expiry %v, want 7 days from now", expires)
		}
	})
	t.Run("AcceptSingleUse", func(t *testing.T) {
		_, token, _ := create(`{"expires_in_hours":2}`)
		st, _, body := ann.do("POST", "/api/invites/"+token+"/accept", "")
		tmWant(t, "ann accepts", 200, st, body)
		if !strings.Contains(body, `"joined":true`) || !strings.Contains(body, `"slug":"ops"`) {
			t.Fatalf("accept: %s", body)
		}
		st, _, body = ann.do("POST", "/api/invites/"+token+"/accept", "")
		tmWant(t, "ann again", 200, st, body)
		if !strings.Contains(body, `"joined":false`) {
			t.Fatalf("accept again: %s", body)
		}
		st, _, body = bob.do("POST", "/api/invites/"+token+"/accept", "")
		tmWant(t, "bob with a used link", 404, st, body)
		if !strings.Contains(errorOf(t, body), "already been used") {
			t.Fatalf("used link: %s", body)
		}
		// Ann is now in ops and still in dev.
		_, _, teams := ann.do("GET", "/api/teams", "")
		if !strings.Contains(teams, `"slug":"dev"`) || !strings.Contains(teams, `"slug":"ops"`) {
			t.Fatalf("ann's teams: %s", teams)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		_, token, _ := create(`{"expires_in_hours":1,"max_uses":5}`)
		site.clk.Add(time.Hour)
		st, _, body := bob.do("POST", "/api/invites/"+token+"/accept", "")
		tmWant(t, "expired", 404, st, body)
		if !strings.Contains(errorOf(t, body), "expired") {
			t.Fatalf("expired link: %s", body)
		}
	})
	t.Run("RevokeAndList", func(t *testing.T) {
		id, token, _ := create(`{"max_uses":3}`)
		st, _, body := lead.do("DELETE", "/api/teams/ops/invites/"+tmItoa(id), "")
		tmWant(t, "revoke", 204, st, body)
		st, _, body = bob.do("POST", "/api/invites/"+token+"/accept", "")
		tmWant(t, "revoked", 404, st, body)
		if !strings.Contains(errorOf(t, body), "revoked") {
			t.Fatalf("revoked link: %s", body)
		}
		st, _, body = lead.do("GET", "/api/teams/ops/invites", "")
		tmWant(t, "list", 200, st, body)
		if strings.Contains(body, token) || !strings.Contains(body, `"state":"revoked"`) || !strings.Contains(body, `"state":"expired"`) ||
			!strings.Contains(body, `"state":"used_up"`) || !strings.Contains(body, `"state":"active"`) {
			t.Fatalf("invite list: %s", body)
		}
		st, _, body = lead.do("DELETE", "/api/teams/ops/invites/99999", "")
		tmWant(t, "revoke unknown", 404, st, body)
		st, _, body = lead.do("DELETE", "/api/teams/ops/invites/x", "")
		tmWant(t, "revoke bad id", 404, st, body)
		// Another team's lead cannot revoke ops's link, even knowing its id.
		st, _, body = site.signIn(t, "lou@example.com").do("DELETE", "/api/teams/dev/invites/"+tmItoa(id), "")
		tmWant(t, "revoke through another team", 404, st, body)
	})
	cases := []struct{ name, body string }{
		{"ZeroHours", `{"expires_in_hours":0}`},
		{"TooLong", `{"expires_in_hours":721}`},
		{"NotANumber", `{"expires_in_hours":"soon"}`},
		{"ZeroUses", `{"max_uses":0}`},
		{"TooManyUses", `{"max_uses":1001}`},
		{"Malformed", `{"max_uses":`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := lead.do("POST", "/api/teams/ops/invites", tc.body)
			tmWant(t, tc.name, 400, st, body)
			errorOf(t, body)
		})
	}
	t.Run("WrongToken", func(t *testing.T) {
		for _, tok := range []string{"nope", strings.Repeat("A", 43)} {
			st, _, body := bob.do("POST", "/api/invites/"+tok+"/accept", "")
			tmWant(t, tok, 404, st, body)
			if !strings.Contains(errorOf(t, body), "not valid") {
				t.Fatalf("wrong token: %s", body)
			}
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		st, _, body := site.signIn(t, "lou@example.com").do("POST", "/api/teams/ops/invites", ``)
		tmWant(t, "other lead", 403, st, body)
		st, _, body = ann.do("POST", "/api/teams/ops/invites", ``)
		tmWant(t, "member learner", 403, st, body)
		st, _, body = site.client(t).do("POST", "/api/invites/"+strings.Repeat("A", 43)+"/accept", ``)
		tmWant(t, "signed out", 401, st, body)
	})
}

// tmHrefRE finds the links of a page.
var tmHrefRE = regexp.MustCompile(`href="([^"]*)"`)

// link returns the page's first link whose address starts with prefix,
// unescaped, or fails the test.
func tmLink(t testing.TB, page, prefix string) string {
	t.Helper()
	for _, m := range tmHrefRE.FindAllStringSubmatch(page, -1) {
		h := strings.ReplaceAll(m[1], "&amp;", "&")
		if strings.HasPrefix(h, prefix) {
			return h
		}
	}
	t.Fatalf("no link to %s… in the page", prefix)
	return ""
}

func TestInvitePage(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	site.user(t, "ann@example.com", "Ann", opslab.RoleLearner, "")
	inv, token, err := site.invites.CreateInvite(context.Background(), opslab.NewInvite{TeamID: tmTeam(t, site, "ops").ID, TTL: time.Hour, MaxUses: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := "/invite/" + token

	t.Run("RegisterAndComeBack", func(t *testing.T) {
		c := site.client(t)
		st, _, page := c.do("GET", path, "")
		tmWant(t, "signed-out invite page", 200, st, page)
		if !strings.Contains(page, `data-state="signin"`) || !strings.Contains(page, "Join ops") {
			t.Fatalf("signed-out page: %s", page)
		}
		reg := tmLink(t, page, "/register?next=")
		st, _, page = c.do("GET", reg, "")
		tmWant(t, "register page", 200, st, page)
		if !strings.Contains(page, `name="next" value="`+path+`"`) {
			t.Fatalf("the register form does not carry the invite link back")
		}
		form := url.Values{"email": {"new@example.com"}, "name": {"New"}, "password": {teamsPassword}, "next": {path}}
		st, h, _ := c.do("POST", "/register", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		if st != 303 || h.Get("Location") != path {
			t.Fatalf("register: %d to %q, want 303 back to %s", st, h.Get("Location"), path)
		}
		st, _, page = c.do("GET", path, "")
		if st != 200 || !strings.Contains(page, `data-state="join"`) {
			t.Fatalf("signed-in invite page: %d", st)
		}
		st, h, _ = c.do("POST", path, "", "Content-Type", "application/x-www-form-urlencoded")
		if st != 303 || h.Get("Location") != path {
			t.Fatalf("join: %d to %q", st, h.Get("Location"))
		}
		_, _, page = c.do("GET", path, "")
		if !strings.Contains(page, `data-state="member"`) || !strings.Contains(page, "You are a member of ops") {
			t.Fatalf("after joining: %s", page)
		}
	})
	t.Run("SignInAndComeBack", func(t *testing.T) {
		c := site.client(t)
		_, _, page := c.do("GET", path, "")
		login := tmLink(t, page, "/login?next=")
		_, _, page = c.do("GET", login, "")
		if !strings.Contains(page, `name="next" value="`+path+`"`) {
			t.Fatalf("the sign-in form does not carry the invite link back")
		}
		form := url.Values{"email": {"ann@example.com"}, "password": {teamsPassword}, "next": {path}}
		st, h, _ := c.do("POST", "/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		if st != 303 || h.Get("Location") != path {
			t.Fatalf("sign in: %d to %q", st, h.Get("Location"))
		}
		if st, _, _ := c.do("POST", path, "", "Content-Type", "application/x-www-form-urlencoded"); st != 303 {
			t.Fatalf("join: %d", st)
		}
	})
	t.Run("UsedUp", func(t *testing.T) {
		got, err := site.invites.FindInvite(context.Background(), token)
		if err != nil || got.ID != inv.ID || got.Uses != 2 {
			t.Fatalf("invite after two joins: %+v, %v", got, err)
		}
		site.user(t, "late@example.com", "Late", opslab.RoleLearner, "")
		c := site.signIn(t, "late@example.com")
		st, _, page := c.do("GET", path, "")
		if st != 404 || !strings.Contains(page, "already been used") {
			t.Fatalf("used-up link page: %d", st)
		}
		st, _, page = c.do("POST", path, "", "Content-Type", "application/x-www-form-urlencoded")
		if st != 404 || !strings.Contains(page, "already been used") {
			t.Fatalf("joining with a used-up link: %d", st)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		st, _, page := site.client(t).do("GET", "/invite/"+strings.Repeat("B", 43), "")
		if st != 404 || !strings.Contains(page, "not valid") {
			t.Fatalf("unknown link page: %d", st)
		}
	})
	t.Run("JoinSignedOut", func(t *testing.T) {
		st, _, _ := site.client(t).do("POST", path, "", "Content-Type", "application/x-www-form-urlencoded")
		if st != 401 {
			t.Fatalf("joining signed out: %d, want 401", st)
		}
	})
}

func tmTeam(t testing.TB, site *teamsSite, slug string) *opslab.TeamSummary {
	t.Helper()
	team, err := site.admin.FindTeamSummary(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return team
}

func tmItoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTeamPages(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	site.user(t, "lou@example.com", "Lou", opslab.RoleLead, "dev")
	ann := site.user(t, "ann@example.com", "Ann <b>", opslab.RoleLearner, "ops")
	site.user(t, "bob@example.com", "Bob", opslab.RoleLearner, "")
	admin, lead, learner := site.signIn(t, "root@example.com"), site.signIn(t, "lea@example.com"), site.signIn(t, "ann@example.com")
	formType := []string{"Content-Type", "application/x-www-form-urlencoded"}

	t.Run("NavLink", func(t *testing.T) {
		for _, tc := range []struct {
			c    *client
			want bool
		}{{admin, true}, {lead, true}, {learner, false}} {
			_, _, page := tc.c.do("GET", "/", "")
			if got := strings.Contains(page, `href="/teams"`); got != tc.want {
				t.Errorf("Teams link shown: %v, want %v", got, tc.want)
			}
		}
	})
	t.Run("ListAsAdmin", func(t *testing.T) {
		st, _, page := admin.do("GET", "/teams", "")
		tmWant(t, "teams page", 200, st, page)
		for _, s := range []string{`data-team="ops"`, `data-team="dev"`, "lea@example.com", `action="/teams"`, `/teams/ops/progress.csv`} {
			if !strings.Contains(page, s) {
				t.Errorf("admin's teams page lacks %s", s)
			}
		}
	})
	t.Run("CreateByForm", func(t *testing.T) {
		form := url.Values{"slug": {"sre"}, "name": {"SRE"}, "leads": {"lou@example.com, lea@example.com"}}
		st, h, body := admin.do("POST", "/teams", form.Encode(), formType...)
		if st != 303 || h.Get("Location") != "/teams/sre/members" {
			t.Fatalf("create by form: %d %q %.200s", st, h.Get("Location"), body)
		}
		st, _, page := admin.do("POST", "/teams", form.Encode(), formType...)
		if st != 409 || !strings.Contains(page, "already exists") || !strings.Contains(page, `value="SRE"`) {
			t.Fatalf("duplicate by form: %d", st)
		}
		st, _, _ = lead.do("POST", "/teams", url.Values{"slug": {"mine"}}.Encode(), formType...)
		if st != 403 {
			t.Fatalf("lead creates by form: %d", st)
		}
	})
	t.Run("ListAsLeadAndLearner", func(t *testing.T) {
		_, _, page := lead.do("GET", "/teams", "")
		if !strings.Contains(page, `data-team="ops"`) || strings.Contains(page, `data-team="dev"`) || strings.Contains(page, `action="/teams"`) {
			t.Errorf("lead's teams page shows the wrong teams or the create form")
		}
		st, _, page := learner.do("GET", "/teams", "")
		if st != 200 || !strings.Contains(page, "Your teams") || strings.Contains(page, "lea@example.com") || strings.Contains(page, "progress.csv") {
			t.Errorf("learner's teams page: %d", st)
		}
	})
	t.Run("MembersPage", func(t *testing.T) {
		st, _, page := lead.do("GET", "/teams/ops/members", "")
		tmWant(t, "members page", 200, st, page)
		if !strings.Contains(page, "Ann &lt;b&gt;") || strings.Contains(page, "Ann <b>") {
			t.Errorf("member names are not escaped")
		}
		if strings.Contains(page, `name="lead"`) || strings.Contains(page, `data-role="add-member-form"`) {
			t.Errorf("a lead is offered to add accounts or name leads")
		}
		if !strings.Contains(page, `data-role="invite-form"`) {
			t.Errorf("a lead is not offered invite links")
		}
		_, _, page = admin.do("GET", "/teams/ops/members", "")
		if !strings.Contains(page, `name="lead"`) || !strings.Contains(page, `data-role="add-member-form"`) {
			t.Errorf("an admin is not offered to add accounts and name leads")
		}
	})
	t.Run("AddAndRemoveByForm", func(t *testing.T) {
		// A lead's form gets one answer, whether the account exists or not.
		stKnown, _, known := lead.do("POST", "/teams/ops/members", url.Values{"email": {"bob@example.com"}}.Encode(), formType...)
		stUnknown, _, unknown := lead.do("POST", "/teams/ops/members", url.Values{"email": {"nobody@example.com"}}.Encode(), formType...)
		if stKnown != 403 || stUnknown != 403 || !strings.Contains(known, "Team leads add people with an invite link") ||
			strings.ReplaceAll(known, "bob@example.com", "") != strings.ReplaceAll(unknown, "nobody@example.com", "") ||
			strings.Contains(unknown, "nobody@example.com") {
			t.Fatalf("lead adds by form: %d and %d, or pages that differ", stKnown, stUnknown)
		}
		st, h, _ := admin.do("POST", "/teams/ops/members", url.Values{"email": {"bob@example.com"}}.Encode(), formType...)
		if st != 303 || h.Get("Location") != "/teams/ops/members?done=added" {
			t.Fatalf("add by form: %d %q", st, h.Get("Location"))
		}
		_, _, page := lead.do("GET", h.Get("Location"), "")
		if !strings.Contains(page, `data-member="bob@example.com"`) || !strings.Contains(page, "Member added.") {
			t.Fatalf("bob not listed after adding")
		}
		st, _, page = admin.do("POST", "/teams/ops/members", url.Values{"email": {"nobody@example.com"}}.Encode(), formType...)
		if st != 404 || !strings.Contains(page, "no account with the email nobody@example.com") || !strings.Contains(page, `value="nobody@example.com"`) {
			t.Fatalf("add unknown by form: %d", st)
		}
		st, _, _ = lead.do("POST", "/teams/ops/members", url.Values{"email": {"bob@example.com"}, "lead": {"true"}}.Encode(), formType...)
		if st != 403 {
			t.Fatalf("lead names a lead by form: %d", st)
		}
		st, h, _ = lead.do("POST", "/teams/ops/members/"+tmItoa(ann.ID)+"/remove", "", formType...)
		if st != 303 || h.Get("Location") != "/teams/ops/members?done=removed" {
			t.Fatalf("remove by form: %d %q", st, h.Get("Location"))
		}
	})
	t.Run("InvitesByForm", func(t *testing.T) {
		st, _, page := lead.do("POST", "/teams/ops/invites", url.Values{"expires_in_hours": {"24"}, "max_uses": {"3"}}.Encode(), formType...)
		tmWant(t, "create invite by form", 200, st, page)
		m := regexp.MustCompile(`id="invite-url" type="text" readonly value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the new invite link is not shown")
		}
		token := tmInviteToken(t, m[1])
		if _, err := site.invites.FindInvite(context.Background(), token); err != nil {
			t.Fatalf("the shown link does not work: %v", err)
		}
		// The link is shown once: the members page does not show it again.
		_, _, page = lead.do("GET", "/teams/ops/members", "")
		if strings.Contains(page, token) {
			t.Fatal("the members page shows the token again")
		}
		id := regexp.MustCompile(`data-invite="(\d+)"`).FindStringSubmatch(page)
		if id == nil {
			t.Fatal("the invite is not listed")
		}
		st, h, _ := lead.do("POST", "/teams/ops/invites/"+id[1]+"/revoke", "", formType...)
		if st != 303 || h.Get("Location") != "/teams/ops/members?done=revoked" {
			t.Fatalf("revoke by form: %d %q", st, h.Get("Location"))
		}
		st, _, page = lead.do("POST", "/teams/ops/invites", url.Values{"expires_in_hours": {"9999"}}.Encode(), formType...)
		if st != 400 || !strings.Contains(page, "form-error") {
			t.Fatalf("bad expiry by form: %d", st)
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		for _, tc := range []struct {
			c      *client
			path   string
			status int
		}{
			{learner, "/teams/ops/members", 403},
			{lead, "/teams/dev/members", 403},
			{lead, "/teams/nope/members", 403},
			{admin, "/teams/nope/members", 404},
			{admin, "/teams/dev/members", 200},
		} {
			if st, _, _ := tc.c.do("GET", tc.path, ""); st != tc.status {
				t.Errorf("GET %s: %d, want %d", tc.path, st, tc.status)
			}
		}
		st, h, _ := site.client(t).do("GET", "/teams", "")
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
			t.Errorf("teams page signed out: %d %s", st, h.Get("Location"))
		}
	})
}
