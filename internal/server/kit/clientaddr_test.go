package kit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	p := Proxies{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		name, peer string
		header     []string
		want       string
	}{
		{"DirectNoHeader", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"UntrustedXFF", "192.0.2.1:5000", []string{"X-Forwarded-For", "203.0.113.7"}, "192.0.2.1"},
		{"UntrustedForwarded", "192.0.2.1:5000", []string{"Forwarded", "for=203.0.113.7"}, "192.0.2.1"},
		{"UntrustedLoopback", "[::1]:5000", []string{"X-Forwarded-For", "203.0.113.7"}, "::1"},
		{"TrustedNoHeader", "10.0.0.1:5000", nil, "10.0.0.1"},
		{"TrustedXFF", "10.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"TrustedLoopbackProxy", "127.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"SpoofedLeftIgnored", "10.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"SeveralLines", "10.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"ChainOfProxies", "10.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.7, 10.2.3.4"}, "203.0.113.7"},
		{"OnlyProxies", "10.0.0.1:5000", []string{"X-Forwarded-For", "10.2.3.4, 10.5.6.7"}, "10.2.3.4"},
		{"UnknownEndsWalk", "10.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1, unknown, 10.2.3.4"}, "10.2.3.4"},
		{"EmptyItem", "10.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1,"}, "10.0.0.1"},
		{"XFFWithPort", "10.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.7:1234"}, "203.0.113.7"},
		{"MappedIPv4", "10.0.0.1:5000", []string{"X-Forwarded-For", "::ffff:203.0.113.7"}, "203.0.113.7"},
		{"Forwarded", "10.0.0.1:5000", []string{"Forwarded", `for=1.1.1.1, for="[2001:db8::7]:4711";proto=https, for=10.9.9.9`}, "2001:db8::7"},
		{"ForwardedCase", "10.0.0.1:5000", []string{"Forwarded", `proto=https;For=203.0.113.7`}, "203.0.113.7"},
		{"ForwardedQuotedComma", "10.0.0.1:5000", []string{"Forwarded", `for="1.1.1.1, for=9.9.9.9", for=203.0.113.7`}, "203.0.113.7"},
		{"ForwardedObfuscated", "10.0.0.1:5000", []string{"Forwarded", `for=1.1.1.1, for=_hidden`}, "10.0.0.1"},
		{"ForwardedNoFor", "10.0.0.1:5000", []string{"Forwarded", `proto=https`}, "10.0.0.1"},
		{"BothAgree", "10.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.7", "Forwarded", "for=203.0.113.7"}, "203.0.113.7"},
		{"BothDisagree", "10.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.7", "Forwarded", "for=203.0.113.8"}, "10.0.0.1"},
		{"TrustedIPv6Proxy", "[2001:db8:ffff::1]:5000", []string{"X-Forwarded-For", "2001:db8:1::9"}, "2001:db8:1::9"},
		{"MappedPeer", "[::ffff:10.0.0.1]:5000", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for i := 0; i+1 < len(tc.header); i += 2 {
				r.Header.Add(tc.header[i], tc.header[i+1])
			}
			if got := p.ClientAddr(r).String(); got != tc.want {
				t.Fatalf("client %s, want %s", got, tc.want)
			}
			if got := ClientIP(p.WithClient(r)); got != tc.want {
				t.Fatalf("clientIP %s, want %s", got, tc.want)
			}
		})
	}
}
