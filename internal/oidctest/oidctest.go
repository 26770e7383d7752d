// Package oidctest runs a real OpenID provider for tests: the example
// provider of github.com/zitadel/oidc (its op package, in-memory storage
// and login form) on an httptest server, with the people and the one web
// client a test gives it. Only tests import it.
package oidctest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Person is someone who can sign in at the provider, with Username and
// Password on its login form (at /login/username).
type Person struct {
	Username, Password string
	First, Last        string
	Email              string
	EmailVerified      bool
	// Teams, when set, is sent as the provider's TeamClaim claim (a list of
	// strings), in the ID token and at the userinfo endpoint.
	Teams []string
}

// Provider describes the provider to start.
type Provider struct {
	ClientID, ClientSecret string
	// RedirectURI is the client's one registered redirect URI.
	RedirectURI string
	// TeamClaim names the claim that carries Person.Teams.
	TeamClaim string
	// People, by subject (the ID token's "sub").
	People map[string]Person
}

// Start runs the provider until the test ends and returns its issuer URL,
// http://127.0.0.1:port (plain HTTP is allowed for the test).
func Start(t testing.TB, p Provider) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	users := map[string]*storage.User{}
	for id, x := range p.People {
		users[id] = &storage.User{ID: id, Username: x.Username, Password: x.Password, FirstName: x.First,
			LastName: x.Last, Email: x.Email, EmailVerified: x.EmailVerified}
	}
	b, err := json.Marshal(users)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "oidc-users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := storage.StoreFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.NewStorageWithClients(store, map[string]*storage.Client{
		p.ClientID: storage.WebClient(p.ClientID, p.ClientSecret, p.RedirectURI),
	})
	ts.Config.Handler = exampleop.SetupServer(issuer, teamStorage{Storage: st, p: p}, nil, false, op.WithAllowInsecure())
	ts.Start()
	t.Cleanup(ts.Close)
	return issuer
}

// teamStorage is the example storage with one more claim: the person's
// teams.
type teamStorage struct {
	*storage.Storage
	p Provider
}

func (s teamStorage) addTeams(info *oidc.UserInfo) {
	if x, ok := s.p.People[info.Subject]; ok && s.p.TeamClaim != "" && len(x.Teams) > 0 {
		info.AppendClaims(s.p.TeamClaim, x.Teams)
	}
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s teamStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	s.addTeams(info)
	return nil
}

// SetUserinfoFromToken fills the userinfo endpoint's answer.
func (s teamStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addTeams(info)
	return nil
}
