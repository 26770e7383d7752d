// Package server is the HTTP adapter's front door: Config, New and the
// route table, where every feature is wired, and what every request passes
// through (recover, observe, security headers, the body cap, cross-origin
// protection, the session user), health, /metrics and dev mode. The
// features are packages of their own, each with a small Handler: learning,
// teams, runbooks and accounts; what they share (rendering, errors, JSON,
// the signed-in user, sessions, the client address) is the web kit, package
// kit. It depends on the domain packages (opslab, course) and on services
// passed in by main; it never imports a database, Markdown or lab package.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/accounts"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/server/learning"
	"github.com/opslab/opslab/internal/server/runbooks"
	"github.com/opslab/opslab/internal/server/teams"
)

// MaxBodyBytes caps every request body; a larger one gets 413.
const MaxBodyBytes = 1 << 20

// Config is everything the server needs, wired by main.
type Config struct {
	Users    opslab.UserService
	Teams    opslab.TeamService
	Progress opslab.ProgressService
	// Labs runs exercises; nil turns the exercise calls into 503s.
	Labs learning.Labs
	// Stats reads exercise statistics for instructors and the content
	// version of learners' passes; nil leaves the statistics out of the
	// instructor view and never flags an exercise as changed since a pass.
	Stats opslab.StatsService
	// TeamAdmin, Invites and Exports serve the team pages, invite links and
	// team progress reports (package teams); without all
	// three those calls answer 503.
	TeamAdmin opslab.TeamAdminService
	Invites   opslab.InviteService
	Exports   opslab.ExportService
	// Dashboard reads the team dashboard's data (package teams); nil turns
	// the dashboard pages and calls into 503s.
	Dashboard opslab.DashboardService
	// Runbooks stores learners' runbooks and their reviews, and
	// SafeMarkdown renders what users write (package runbooks);
	// without Runbooks those calls answer 503.
	Runbooks     opslab.RunbookService
	SafeMarkdown runbooks.SafeMarkdown
	// Sessions keeps sign-ins and password reset links (kit.Sessions,
	// package accounts); nil keeps them in memory, lost on restart (for tests).
	Sessions opslab.SessionService

	// SessionKey signs and encrypts the session cookie: at least 32 bytes.
	SessionKey []byte
	// SecureCookies marks cookies Secure (set when served behind TLS).
	SecureCookies bool
	// MetricsToken, when set, is the bearer token /metrics requires;
	// without one, /metrics answers only this machine's scrapers.
	MetricsToken string
	// SignupOpen lets anyone create a learner account.
	SignupOpen bool
	// SignupsPerHour caps sign-ups from one address; 0 means 10, -1 no cap.
	SignupsPerHour int
	// PublicURL is the site's address as users reach it (scheme, host and
	// any path prefix, no trailing slash), for every absolute link the
	// server makes: invites, password resets, the OIDC redirect. Empty:
	// links are relative where they can be (see kit.AbsURL).
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded
	// header names the client (for the limits and /metrics); a request
	// from any other peer is its own client.
	TrustedProxies []netip.Prefix
	// OIDC turns on single sign-on when its Issuer is set (package accounts).
	OIDC OIDCConfig
	// NoPasswordLogin turns off signing in and signing up with a local
	// password, leaving single sign-on as the only way in.
	NoPasswordLogin bool
	// HighlightCSS is the stylesheet for highlighted code.
	HighlightCSS string
	// Dev turns on the authoring tools (see dev.go): every page loads
	// dev.js, and GET /dev/events and GET /dev/problems exist, open to
	// anyone. For an author's own machine only.
	Dev bool

	Logger  *slog.Logger
	Metrics *Metrics
	Version string
	Now     func() time.Time
}

// OIDCConfig names the OpenID provider of single sign-on (see
// accounts.OIDCConfig).
type OIDCConfig = accounts.OIDCConfig

// Server wires the features together: it holds what the shared
// middleware needs (sessions, the user cache) and builds each
// feature's handler in routes.
type Server struct {
	cfg      Config
	catalog  atomic.Pointer[course.Catalog]
	ready    atomic.Bool
	sessions *kit.Sessions
	proxies  kit.Proxies
	kit      *kit.Kit
	users    userCache
	router   chi.Router
	log      *slog.Logger
	metrics  *Metrics
	dev      *devEvents
	sso      *accounts.SSO // nil without single sign-on
}

// New builds the server and its routes. It fails if the templates or the
// session key are unusable.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NoPasswordLogin {
		cfg.SignupOpen = false // no sign-up page: single sign-on creates accounts
	}
	if cfg.Sessions == nil {
		cfg.Sessions = kit.NewMemorySessions(cfg.Users, cfg.Now)
	}
	sess, err := kit.NewSessions(cfg.SessionKey, cfg.SecureCookies, cfg.Sessions, cfg.Now, cfg.Logger)
	if err != nil {
		return nil, err
	}
	v, err := kit.NewViews(cfg.HighlightCSS)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, sessions: sess, proxies: kit.Proxies(cfg.TrustedProxies), log: cfg.Logger, metrics: cfg.Metrics, dev: newDevEvents()}
	s.kit = &kit.Kit{Views: v, Log: cfg.Logger, SignupOpen: cfg.SignupOpen, PublicURL: cfg.PublicURL, Catalog: s.Catalog, FindUser: s.findUser}
	if cfg.Dev {
		if err := s.useDevHead(); err != nil {
			return nil, err
		}
	}
	if cfg.OIDC.Issuer != "" {
		if s.sso, err = accounts.NewSSO(cfg.OIDC, cfg.PublicURL, cfg.SessionKey, cfg.Users, cfg.Now); err != nil {
			return nil, err
		}
	}
	s.router = s.routes()
	return s, nil
}

// SetCatalog replaces the content served; the server is ready once it has
// one. Safe to call while serving.
func (s *Server) SetCatalog(c *course.Catalog) {
	s.catalog.Store(c)
	s.ready.Store(true)
}

// Catalog returns the content being served.
func (s *Server) Catalog() *course.Catalog { return s.catalog.Load() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.kit.Recoverer, s.observe, kit.SecurityHeaders, kit.LimitBody(MaxBodyBytes), s.kit.CrossOrigin, s.loadUser)
	learn := learning.New(learning.Config{Kit: s.kit, Progress: s.cfg.Progress, Stats: s.cfg.Stats, Labs: s.cfg.Labs,
		Now: s.cfg.Now, OnProgress: s.metrics.progressEvent})
	acct := accounts.New(accounts.Config{Kit: s.kit, Users: s.cfg.Users, Sessions: s.sessions, Store: s.cfg.Sessions,
		SignupOpen: s.cfg.SignupOpen, NoPasswordLogin: s.cfg.NoPasswordLogin, SignupsPerHour: s.cfg.SignupsPerHour,
		SSO: s.sso, TeamAdmin: s.cfg.TeamAdmin, SecureCookies: s.cfg.SecureCookies, Now: s.cfg.Now, OnSignIn: s.metrics.signin, OnProgress: s.metrics.progressEvent})
	teamRoutes := teams.New(teams.Config{Kit: s.kit, Teams: s.cfg.Teams, Admin: s.cfg.TeamAdmin, Invites: s.cfg.Invites,
		Exports: s.cfg.Exports, Dashboard: s.cfg.Dashboard, Now: s.cfg.Now})

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Handle("/metrics", s.guardMetrics(s.metrics.Handler()))
	r.Get("/static/{hash}/{name}", s.kit.Views.HandleStatic)
	r.Get("/favicon.ico", s.kit.Views.HandleFavicon)
	if s.cfg.Dev {
		s.devRoutes(r)
	}

	acct.PageRoutes(r)
	teamRoutes.Routes(r)
	runbooks.New(s.kit, s.cfg.Runbooks, s.cfg.SafeMarkdown, s.cfg.Now).Routes(r)

	learn.PageRoutes(r)

	r.Route("/api", func(r chi.Router) {
		acct.APIRoutes(r)
		r.Group(func(r chi.Router) {
			r.Use(s.kit.RequireUserAPI)
			learn.APIRoutes(r)
			acct.UserAPIRoutes(r)
			teamRoutes.APIRoutes(r)
		})
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			s.kit.APIError(w, r, opslab.Errorf(opslab.ENOTFOUND, "No such API call: %s %s.", r.Method, r.URL.Path))
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			kit.WriteJSON(w, http.StatusMethodNotAllowed, kit.ErrorBody{Error: "Method not allowed for " + r.URL.Path + "."})
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.kit.PageError(w, r, opslab.Errorf(opslab.ENOTFOUND, "There is no page at this address."))
	})
	return r
}

// DiscoverOIDC fetches the single sign-on provider's discovery document now,
// so that main can report an unreachable provider at start. Without single
// sign-on it does nothing. A failure is not final: sign-in tries again.
func (s *Server) DiscoverOIDC(ctx context.Context) error {
	if s.sso == nil {
		return nil
	}
	return s.sso.Discover(ctx)
}
