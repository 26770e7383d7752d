package main

// A sign-in's "next" in real Chromium (issue 13): a target the browser
// would read as another host ("/\t/evil.example" becomes "//evil.example"
// once the browser drops the tab; "/\evil.example" is "//evil.example" to
// it) leaves the browser on this site, whether it comes in the sign-in
// form or in the address of /login for someone already signed in.

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserSignInNextStaysOnSite(t *testing.T) {
	execPath := chromiumPath(t)
	srv := startServer(t)
	base := srv.URL()
	site, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	const password = "a-long-password"
	newAPIClient(t, base).register("ada@example.com", "Ada", password)

	b := newBrowser(t, execPath, "browser")
	onSite := func(what string) {
		t.Helper()
		if u := b.location(); u.Host != site.Host || u.Path != "/" {
			b.fatalf("%s: the browser is at %s, want %s/", what, u, base)
		}
	}

	// The form's hidden field, as a page could have filled it.
	b.navigate(base + "/login")
	b.do("put a tab-laden next in the form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SetValue(chromedp.CSS(`form[action="/login"] input[name=next]`), "/\t/evil.example/"),
	)
	b.signInThroughForm("ada@example.com", password)
	onSite("sign in with next /\\t/evil.example/")

	// Signed in, /login sends the browser on to next at once.
	for _, next := range []string{"/\t/evil.example/", "/\\evil.example/", "//evil.example/", "/%2F%2Fevil.example/", "\x01//evil.example/"} {
		b.navigate(base + "/login?next=" + url.QueryEscape(next))
		onSite("open /login?next=" + url.QueryEscape(next))
	}
	b.assertClean()
}
