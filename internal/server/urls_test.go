package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
)

// forgedHost sends a request as c, with the Host header naming another
// site, and returns the status and the body.
func forgedHost(t *testing.T, c *client, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// The client's cookie jar would go by the forged host: send the
	// session cookie by hand.
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	req.Host = "evil.example"
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestInviteLinks_ForgedHost makes invite links (JSON and form) with a
// forged Host header: the link never names that host. With --public-url
// it is absolute on the public address; without, it is the path alone and
// the page says how to use it.
func TestInviteLinks_ForgedHost(t *testing.T) {
	for _, public := range []string{"", "https://lab.example.com/opslab"} {
		t.Run("public="+public, func(t *testing.T) {
			site := newTeamsSite(t, func(c *server.Config, _ *sqlite.DB) { c.PublicURL = public })
			site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
			lead := site.signIn(t, "lea@example.com")

			st, body := forgedHost(t, lead, "POST", "/api/teams/ops/invites", "application/json", `{}`)
			tmWant(t, "create invite", 201, st, body)
			if strings.Contains(body, "evil.example") {
				t.Fatalf("the invite names the forged host: %s", body)
			}
			var v struct {
				Path string
				URL  *string
			}
			tmJSON(t, body, &v)
			if !strings.HasPrefix(v.Path, "/invite/") {
				t.Fatalf("invite path %q", v.Path)
			}
			switch {
			case public == "" && v.URL != nil:
				t.Fatalf("without --public-url the invite has an absolute url: %s", body)
			case public != "" && (v.URL == nil || *v.URL != public+v.Path):
				t.Fatalf("invite %s, want url %s%s", body, public, v.Path)
			}

			st, page := forgedHost(t, lead, "POST", "/teams/ops/invites", "application/x-www-form-urlencoded",
				url.Values{"expires_in_hours": {"24"}, "max_uses": {"1"}}.Encode())
			tmWant(t, "create invite by form", 200, st, page)
			if strings.Contains(page, "evil.example") {
				t.Fatal("the members page shows a link on the forged host")
			}
			relative := strings.Contains(page, `data-role="invite-relative"`)
			if public == "" && (!relative || !strings.Contains(page, `value="/invite/`)) {
				t.Fatal("without --public-url the page does not show the path and say how to use it")
			}
			if public != "" && (relative || !strings.Contains(page, `value="`+public+`/invite/`)) {
				t.Fatal("with --public-url the page does not show the absolute link")
			}
		})
	}
}
