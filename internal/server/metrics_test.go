package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

func TestMetricsAccess(t *testing.T) {
	db := dbkit.Open(t)
	for _, tc := range []struct {
		name, token, remote, auth, forwarded string
		status                               int
	}{
		{"LoopbackNoToken", "", "127.0.0.1:5000", "", "", 200},
		{"IPv6Loopback", "", "[::1]:5000", "", "", 200},
		{"RemoteNoToken", "", "10.1.2.3:5000", "", "", 404},
		{"ProxiedLoopback", "", "127.0.0.1:5000", "", "203.0.113.9", 404},
		{"TokenRight", "s3cret", "10.1.2.3:5000", "Bearer s3cret", "", 200},
		{"TokenWrong", "s3cret", "127.0.0.1:5000", "Bearer nope", "", 404},
		{"TokenMissing", "s3cret", "127.0.0.1:5000", "", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := server.New(server.Config{Users: sqlite.NewUserService(db), Teams: sqlite.NewTeamService(db),
				Progress: sqlite.NewProgressService(db), SessionKey: bytes.Repeat([]byte("k"), 32), MetricsToken: tc.token})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.RemoteAddr = tc.remote
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tc.forwarded)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if tc.status == 200 && !strings.Contains(rec.Body.String(), "go_goroutines") {
				t.Fatal("no metrics in the body")
			}
			_ = http.StatusOK
		})
	}
}
