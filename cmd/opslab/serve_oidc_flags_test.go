package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The single sign-on flags: the secret comes from a file or the
// environment, the provider's name reaches the server's configuration, and
// inconsistent combinations are refused with a sentence naming the flag.
func TestServeOIDCFlags(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--public-url", "https://lab.example.com", "--oidc-issuer", "https://id.example.com", "--oidc-client-id", "opslab"}
	c, err := parseServeFlags(append(base, "--oidc-client-secret-file", secretFile, "--oidc-name", "Example ID", "--password-login=false"), io.Discard)
	if err != nil {
		t.Fatalf("a complete single sign-on configuration is refused: %v", err)
	}
	if c.oidcSecret != "s3cret" || c.oidcName != "Example ID" || c.passwordLogin {
		t.Errorf("parsed secret %q, name %q, password login %v", c.oidcSecret, c.oidcName, c.passwordLogin)
	}
	t.Setenv("OPSLAB_OIDC_CLIENT_SECRET", "from-env")
	if c, err := parseServeFlags(base, io.Discard); err != nil || c.oidcSecret != "from-env" {
		t.Errorf("secret from the environment: %q, %v", c.oidcSecret, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--oidc-name", "Example ID"}, "need --oidc-issuer"},
		{[]string{"--password-login=false"}, "no way to sign in"},
		{[]string{"--oidc-issuer", "https://id.example.com", "--oidc-client-id", "opslab"}, "needs --public-url"},
	} {
		_, err := parseServeFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}
