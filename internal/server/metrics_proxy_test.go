package server_test

import (
	"bytes"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

// /metrics without a token answers a loopback peer only when that peer is
// not a trusted proxy and sends no forwarding header; with a token, the
// token alone.
func TestMetricsBehindProxy(t *testing.T) {
	db := dbkit.Open(t)
	for _, tc := range []struct {
		name, token, trusted, remote string
		header                       []string
		status                       int
	}{
		{"LoopbackProxyTrusted", "", "127.0.0.1/32", "127.0.0.1:5000", nil, 404},
		{"LoopbackProxyTrustedForwardsLoopback", "", "127.0.0.1/32", "127.0.0.1:5000", []string{"X-Forwarded-For", "127.0.0.1"}, 404},
		{"OtherLoopbackNotTrusted", "", "127.0.0.1/32", "[::1]:5000", nil, 200},
		{"UntrustedLoopbackForwarded", "", "", "127.0.0.1:5000", []string{"Forwarded", "for=203.0.113.9"}, 404},
		{"UntrustedLoopbackRealIP", "", "", "127.0.0.1:5000", []string{"X-Real-Ip", "203.0.113.9"}, 404},
		{"RemoteClaimsLoopback", "", "10.0.0.0/8", "10.0.0.1:5000", []string{"X-Forwarded-For", "127.0.0.1"}, 404},
		{"TokenThroughProxy", "s3cret", "127.0.0.1/32", "127.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer s3cret"}, 200},
		{"TokenMissingLoopback", "s3cret", "", "127.0.0.1:5000", nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{Users: sqlite.NewUserService(db), Teams: sqlite.NewTeamService(db),
				Progress: sqlite.NewProgressService(db), SessionKey: bytes.Repeat([]byte("k"), 32), MetricsToken: tc.token}
			if tc.trusted != "" {
				cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tc.trusted)}
			}
			srv, err := server.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.RemoteAddr = tc.remote
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Add(tc.header[i], tc.header[i+1])
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
		})
	}
}
