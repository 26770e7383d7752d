package kit

import (
	"net/url"
	"strings"
	"unicode"
)

// SafeNext keeps a redirect target on this site: it returns next when it
// is a path of this site as a browser would read it, and "/" otherwise.
//
// Browsers normalise a Location before they follow it: they drop tab, CR
// and LF anywhere and C0 controls and spaces at the ends, treat "\" as "/",
// and read "//host" or "/\host" as another host. So next is refused when it
// holds any control character, space or backslash, when it does not start
// with exactly one "/", when its path decodes to one that starts with "//"
// (a server that unescapes the path would take it as another host), and
// when url.Parse finds a scheme, a host or user information in it.
func SafeNext(next string) string {
	if !isSitePath(next) {
		return "/"
	}
	return next
}

// isSitePath reports whether p is a path of this site for a browser
// following a redirect to it: see SafeNext.
func isSitePath(p string) bool {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for _, c := range p {
		if c == '\\' || c < 0x20 || c == 0x7f || unicode.IsSpace(c) || unicode.IsControl(c) || c == unicode.ReplacementChar {
			return false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// "/%2F%2Fevil.com" is a path to a browser, but a proxy or a handler
	// that unescapes it before redirecting again would make it "//evil.com";
	// "/%5Cevil.com" likewise becomes "/\evil.com".
	dec := u.Path
	if strings.HasPrefix(dec, "//") || strings.Contains(dec, "\\") {
		return false
	}
	for _, c := range dec {
		if c < 0x20 || c == 0x7f || unicode.IsControl(c) {
			return false
		}
	}
	return true
}
