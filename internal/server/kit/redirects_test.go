package kit

import "testing"

// TestSafeNext checks every redirect target a browser would take off the
// site, including the control-character one of issue 13 ("/\t/evil.com",
// which a browser reads as "//evil.com"), is replaced by "/".
func TestSafeNext(t *testing.T) {
	keep := []string{
		"/",
		"/courses/redis",
		"/courses/redis/lessons/intro?tab=1#exercise-a",
		"/invite/abc_DEF-123",
		"/teams/ops/members?done=added",
		"/search?q=a%20b",
		"/a//b",
		"/%E2%9C%93",
	}
	for _, next := range keep {
		if got := SafeNext(next); got != next {
			t.Errorf("SafeNext(%q) = %q, want it kept", next, got)
		}
	}
	refuse := []string{
		"",
		"evil.com",
		"https://evil.com",
		"//evil.com",
		"///evil.com",
		"/\\evil.com",
		"\\\\evil.com",
		"/\t/evil.com",
		"/\n/evil.com",
		"/\r/evil.com",
		"\t//evil.com",
		"\x00//evil.com",
		"/\x00/evil.com",
		"/\x1f/evil.com",
		"/\x7f/evil.com",
		" //evil.com",
		"/ /evil.com",
		"/\u00a0/evil.com",
		"/\u2028/evil.com",
		"/%2F%2Fevil.com",
		"/%2f/evil.com",
		"/%5Cevil.com",
		"/%5cevil.com",
		"/%09/evil.com",
		"/%0A/evil.com",
		"/%00",
		"/%zz",
		"/a\\b",
		"javascript:alert(1)",
		"/\xff/evil.com",
		"http:/evil.com",
		"https:evil.com",
	}
	for _, next := range refuse {
		if got := SafeNext(next); got != "/" {
			t.Errorf("SafeNext(%q) = %q, want \"/\"", next, got)
		}
	}
}
