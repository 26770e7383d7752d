package kit

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr is the address of the client that made the request, for the
// limits, the logs and /metrics.
//
// A request's forwarding headers are believed only when the connecting
// peer is one of p: then the client is the right-most
// address of X-Forwarded-For (or of the for= parameters of RFC 7239
// Forwarded) that is not itself a trusted proxy. Everything left of it was
// written by someone we do not trust and is ignored. When a request
// carries both headers and they name different clients, one of them was
// passed through from the client unchanged, so neither is believed and
// the proxy is the client. An entry that is not an IP address ("unknown",
// an obfuscated name) ends the walk at the last trusted hop. From any
// other peer, the headers are ignored and the peer is the client.
func (p Proxies) ClientAddr(r *http.Request) netip.Addr {
	peer := PeerAddr(r)
	if !peer.IsValid() || !p.Trusted(peer) {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	fwd := r.Header.Values("Forwarded")
	switch {
	case len(xff) > 0 && len(fwd) > 0:
		a, b := p.rightmostUntrusted(peer, listItems(xff, false)), p.rightmostUntrusted(peer, listItems(fwd, true))
		if a != b {
			return peer
		}
		return a
	case len(xff) > 0:
		return p.rightmostUntrusted(peer, listItems(xff, false))
	case len(fwd) > 0:
		return p.rightmostUntrusted(peer, listItems(fwd, true))
	}
	return peer
}

// Proxies are the peers whose X-Forwarded-For or Forwarded header names
// the client (server.Config.TrustedProxies); from any other peer, the peer is the
// client.
type Proxies []netip.Prefix

type clientKey struct{}

// WithClient puts ClientAddr(r) in the request's context, where ClientIP
// finds it: the first thing the router does (the server's observe).
func (p Proxies) WithClient(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientKey{}, p.ClientAddr(r)))
}

// ClientIP is the request's client address as text: the one WithClient
// decided, or, for a request that did not pass through it, the peer's.
// It is RemoteAddr itself when that is not an address.
func ClientIP(r *http.Request) string {
	a, ok := r.Context().Value(clientKey{}).(netip.Addr)
	if !ok {
		a = PeerAddr(r)
	}
	if a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// PeerAddr is the address of the connecting peer, IPv4 unmapped.
func PeerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(r.RemoteAddr)
		if err != nil {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// Trusted reports whether a is in one of p.
func (p Proxies) Trusted(a netip.Addr) bool {
	for _, prefix := range p {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// rightmostUntrusted walks hops (written by the proxies, the nearest
// last) from the right and returns the first address that is not a
// trusted proxy; last is the hop it starts from (the peer).
func (p Proxies) rightmostUntrusted(last netip.Addr, hops []string) netip.Addr {
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return last
		}
		if !p.Trusted(a) {
			return a
		}
		last = a
	}
	return last
}

// parseHop reads one forwarded address: 192.0.2.1, 192.0.2.1:80,
// 2001:db8::1 or [2001:db8::1]:80.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// listItems splits header lines into their comma-separated items, in
// order. With forwarded set the lines are RFC 7239 Forwarded values and
// each item is its for= parameter's value, unquoted ("" when absent).
func listItems(lines []string, forwarded bool) []string {
	var out []string
	for _, line := range lines {
		for _, item := range splitOutsideQuotes(line, ',') {
			if !forwarded {
				out = append(out, strings.TrimSpace(item))
				continue
			}
			var forValue string
			for _, pair := range splitOutsideQuotes(item, ';') {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(strings.TrimSpace(k), "for") {
					forValue = unquote(strings.TrimSpace(v))
				}
			}
			out = append(out, forValue)
		}
	}
	return out
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted
// string (with backslash escapes).
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the quotes and escapes of an RFC 7230 quoted string; a
// token is returned as is.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
