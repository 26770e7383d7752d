package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opslab/opslab/content"
	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/devreload"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/lab/labhttp"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
)

// dbFileName is the SQLite file inside the data directory.
const dbFileName = "opslab.db"

// serveConfig is the parsed command line of "opslab serve".
type serveConfig struct {
	addr          string
	data          string
	content       string
	driver        driverFlags
	signup        string
	signupsHour   int
	logFormat     string
	logLevel      string
	secureCookies bool
	dev           bool

	sandboxIdle       time.Duration
	sandboxLifetime   time.Duration
	sandboxPerLearner int
	sandboxMaxRedis   int
	sandboxMaxKafka   int
	sandboxMaxPG      int
	sandboxMemoryMB   int
	publicHost        string

	publicURL      string
	trustedProxies string
	oidcIssuer     string
	oidcClientID   string
	oidcSecret     string
	oidcSecretFile string
	oidcTeamClaim  string
	oidcName       string
	passwordLogin  bool
}

const serveUsage = `usage: opslab serve [flags]

Serves the courses (the built-in course, or --content DIR) to learners,
instructors and team leads. Exit status: 0 after a clean shutdown, 1 on
an error while serving, 2 a bad command line.

`

// parseServeFlags parses serve's command line. A flag or argument it does
// not understand prints why and the usage to stderr and fails with exit
// status 2; -h prints the usage and exits 0.
func parseServeFlags(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
	fs.StringVar(&c.data, "data", "./data", "`DIR` for the SQLite file, the session key and sandbox scratch space")
	fs.StringVar(&c.content, "content", "", "load courses from `DIR` instead of the built-in course")
	fs.StringVar(&c.signup, "signup", "open", "open: anyone may create a learner account; closed: only opslab user add")
	fs.IntVar(&c.signupsHour, "signups-per-hour", 10, "sign-ups allowed from one address per hour (-1: no cap, for load tests)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&c.secureCookies, "secure-cookies", false, "mark cookies Secure (set when served over HTTPS)")
	fs.BoolVar(&c.dev, "dev", false, "authoring mode: reload --content DIR when it changes and show its problems on every page (for your own machine only)")
	fs.DurationVar(&c.sandboxIdle, "sandbox-idle-timeout", sandbox.DefaultIdleTimeout, "stop a sandbox unused for this long")
	fs.DurationVar(&c.sandboxLifetime, "sandbox-max-lifetime", sandbox.DefaultMaxLifetime, "stop a sandbox this long after it started")
	fs.IntVar(&c.sandboxPerLearner, "sandbox-per-learner", sandbox.DefaultMaxPerLearner, "sandboxes one learner may have at once")
	fs.IntVar(&c.sandboxMaxRedis, "sandbox-max-redis", 500, "Redis servers of sandboxes on this server at once (a redis-replica sandbox counts 2, redis-sentinel and redis-cluster 6, a stack 1)")
	fs.IntVar(&c.sandboxMaxKafka, "sandbox-max-kafka", 500, "Kafka brokers of sandboxes on this server at once (a kafka-cluster sandbox counts 3, a stack 1)")
	fs.IntVar(&c.sandboxMaxPG, "sandbox-max-postgres", sandbox.DefaultMaxPerKind, "PostgreSQL servers of sandboxes on this server at once (a postgres sandbox and a stack count 1 each)")
	fs.IntVar(&c.sandboxMemoryMB, "sandbox-memory-mb", 64, "memory cap of each sandbox, in MiB (Redis maxmemory; Kafka retention)")
	c.driver.register(fs)
	fs.StringVar(&c.publicHost, "sandbox-public-host", "", "show learners how to reach their sandboxes with their own redis-cli or kcat at this host (sandboxes then also listen on 127.0.0.1 TCP ports)")
	fs.StringVar(&c.publicURL, "public-url", "", "the site's address as users reach it, for absolute links (invites, password resets, single sign-on), e.g. https://lab.example.com")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "`CIDR,...` of reverse proxies whose X-Forwarded-For or Forwarded header names the client")
	fs.StringVar(&c.oidcIssuer, "oidc-issuer", "", "single sign-on: the OpenID provider's issuer `URL`")
	fs.StringVar(&c.oidcClientID, "oidc-client-id", "", "single sign-on: this site's client id at the provider")
	fs.StringVar(&c.oidcSecret, "oidc-client-secret", "", "single sign-on: the client secret (prefer --oidc-client-secret-file or OPSLAB_OIDC_CLIENT_SECRET: a flag shows in the process list)")
	fs.StringVar(&c.oidcSecretFile, "oidc-client-secret-file", "", "single sign-on: read the client secret from `FILE`")
	fs.StringVar(&c.oidcTeamClaim, "oidc-team-claim", "", "single sign-on: an ID token `CLAIM` naming the team the person joins")
	fs.StringVar(&c.oidcName, "oidc-name", "", "single sign-on: the provider's `NAME` on the sign-in button (default: the issuer's host)")
	fs.BoolVar(&c.passwordLogin, "password-login", true, "allow signing in and up with a local password (false: single sign-on only)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, exitError(0)
		}
		return c, exitError(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q: serve takes flags only (a course folder is --content DIR)\n", fs.Arg(0))
		fs.Usage()
		return c, exitError(2)
	}
	if c.dev && c.content == "" {
		return c, errors.New("serve: --dev needs --content DIR: dev mode watches a content folder on disk and reloads it; the built-in course is not one")
	}
	switch c.signup {
	case "open", "closed":
	default:
		return c, fmt.Errorf("serve: --signup must be open or closed, not %q", c.signup)
	}
	if err := c.driver.check("serve"); err != nil {
		return c, err
	}
	if err := c.checkAccessFlags(); err != nil {
		return c, err
	}
	return c, nil
}

// checkAccessFlags checks the flags about how people reach and sign in to
// the site: --public-url, --trusted-proxies and single sign-on.
func (c *serveConfig) checkAccessFlags() error {
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("serve: --public-url %q: give the scheme and host the site is reached at, such as https://lab.example.com (a path prefix may follow; no query, fragment or user)", c.publicURL)
		}
		c.publicURL = strings.TrimRight(c.publicURL, "/")
	}
	if _, err := parseTrustedProxies(c.trustedProxies); err != nil {
		return err
	}
	if c.oidcIssuer == "" {
		if c.oidcClientID != "" || c.oidcSecret != "" || c.oidcSecretFile != "" || c.oidcTeamClaim != "" || c.oidcName != "" {
			return errors.New("serve: the --oidc-* flags need --oidc-issuer URL")
		}
		if !c.passwordLogin {
			return errors.New("serve: --password-login=false leaves no way to sign in without single sign-on (--oidc-issuer)")
		}
		return nil
	}
	if c.oidcClientID == "" {
		return errors.New("serve: --oidc-issuer needs --oidc-client-id")
	}
	if c.publicURL == "" {
		return errors.New("serve: --oidc-issuer needs --public-url: the provider sends people back to an absolute address of this site")
	}
	if c.oidcSecret != "" && c.oidcSecretFile != "" {
		return errors.New("serve: give the client secret once: --oidc-client-secret or --oidc-client-secret-file")
	}
	if c.oidcSecretFile != "" {
		b, err := os.ReadFile(c.oidcSecretFile)
		if err != nil {
			return fmt.Errorf("serve: --oidc-client-secret-file: %w", err)
		}
		c.oidcSecret = strings.TrimSpace(string(b))
	}
	if c.oidcSecret == "" {
		c.oidcSecret = os.Getenv("OPSLAB_OIDC_CLIENT_SECRET")
	}
	if c.oidcSecret == "" {
		return errors.New("serve: --oidc-issuer needs the client secret: --oidc-client-secret-file FILE or OPSLAB_OIDC_CLIENT_SECRET")
	}
	return nil
}

// parseTrustedProxies reads --trusted-proxies: comma-separated CIDRs or
// single addresses.
func parseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("serve: --trusted-proxies: %q is neither a CIDR nor an address", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("serve: --trusted-proxies: %q is neither a CIDR nor an address", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// runServe runs the site until ctx ends, then shuts down gracefully.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.logFormat, cfg.logLevel, stderr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", cfg.addr, err)
	}
	httpSrv := &http.Server{
		Handler:           app.server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpSrv.RegisterOnShutdown(app.server.CloseDevEvents)
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "version", version, "data", cfg.data)
	if cfg.publicURL == "" {
		log.Warn("links in invites and resets are relative; set --public-url")
	}
	fmt.Fprintf(stdout, "opslab listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// app is everything "serve" wires together, in plain sight.
type app struct {
	db        *sqlite.DB
	server    *server.Server
	sandboxes *sandbox.Manager
	driver    sandbox.Driver // closed after the sandboxes when it is an io.Closer
	scratch   string         // the sandboxes' scratch directory
	stopReap  context.CancelFunc
	stopWatch func() // dev mode: stops reloading the content
	log       *slog.Logger
}

func newApp(ctx context.Context, cfg serveConfig, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, fmt.Errorf("serve: create data dir: %w", err)
	}
	key, err := sessionKey(cfg.data)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.data, dbFileName))
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	md := markdown.New()
	css, err := markdown.HighlightCSS(`:root[data-theme="dark"]`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	metrics := server.NewMetrics()

	scratch, err := sandboxScratchDir(cfg.data)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	mgr, drv, err := newSandboxManager(ctx, cfg, scratch, db, log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	lab.RegisterRunning(metrics.Registry, mgr, drv.Name())
	labs, err := lab.New(lab.Config{
		Sandboxes:  mgr,
		Attempts:   sqlite.NewAttemptService(db),
		PublicHost: cfg.publicHost,
		Metrics:    lab.NewMetrics(metrics.Registry),
		Logger:     log,
	})
	if err != nil {
		_ = mgr.StopAll(context.Background())
		closeDriver(drv, log)
		db.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	reapCtx, stopReap := context.WithCancel(context.Background())
	go mgr.Run(reapCtx)

	a := &app{db: db, sandboxes: mgr, driver: drv, scratch: scratch, stopReap: stopReap, log: log}
	proxies, _ := parseTrustedProxies(cfg.trustedProxies) // checked by parseServeFlags
	srv, err := server.New(server.Config{
		Users:          sqlite.NewUserService(db),
		Teams:          sqlite.NewTeamService(db),
		Progress:       sqlite.NewProgressService(db),
		Labs:           labhttp.New(labs),
		Stats:          sqlite.NewStatsService(db),
		TeamAdmin:      sqlite.NewTeamAdminService(db),
		Invites:        sqlite.NewInviteService(db),
		Exports:        sqlite.NewExportService(db),
		Dashboard:      sqlite.NewDashboardService(db),
		Runbooks:       sqlite.NewRunbookService(db),
		Sessions:       sqlite.NewSessionService(db, nil),
		SafeMarkdown:   markdown.NewSafe(),
		SessionKey:     key,
		SecureCookies:  cfg.secureCookies,
		SignupOpen:     cfg.signup == "open",
		Dev:            cfg.dev,
		SignupsPerHour: cfg.signupsHour,
		MetricsToken:   os.Getenv("OPSLAB_METRICS_TOKEN"),
		PublicURL:      cfg.publicURL,
		TrustedProxies: proxies,
		OIDC: server.OIDCConfig{Issuer: cfg.oidcIssuer, ClientID: cfg.oidcClientID,
			ClientSecret: cfg.oidcSecret, TeamClaim: cfg.oidcTeamClaim, Name: cfg.oidcName},
		NoPasswordLogin: !cfg.passwordLogin,
		HighlightCSS:    css,
		Logger:          log,
		Metrics:         metrics,
		Version:         version,
	})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	if err := srv.DiscoverOIDC(ctx); err != nil {
		log.Warn("single sign-on: the provider cannot be reached now; signing in will try again", "err", err)
	}
	cat, err := loadContent(cfg.content, md)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	for _, p := range cat.Problems {
		log.Warn("content problem", "problem", p.String())
	}
	if len(cat.Courses) == 0 {
		log.Warn("no course loaded", "content", cfg.content)
	}
	srv.SetCatalog(cat)
	a.server = srv
	if cfg.dev {
		load := func() (*course.Catalog, error) { return loadContent(cfg.content, md) }
		a.stopWatch, err = devreload.Start(cfg.content, devreload.DefaultQuiet, srv, load, log)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("serve: --dev: %w", err)
		}
		log.Warn("dev mode: reloading content as it changes; /dev/events and /dev/problems are open to anyone who can reach this server", "content", cfg.content)
	}
	return a, nil
}

// newSandboxManager builds the sandbox driver and the manager, and removes
// whatever a previous run left behind (even after SIGKILL). On error the
// driver is closed.
func newSandboxManager(ctx context.Context, cfg serveConfig, scratch string, db *sqlite.DB, log *slog.Logger) (_ *sandbox.Manager, _ sandbox.Driver, err error) {
	drv, err := cfg.driver.newDriver(ctx, "serve", scratch, cfg.publicHost != "")
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			closeDriver(drv, log)
		}
	}()
	reportFence(log, drv)
	mgr, err := sandbox.NewManager(drv, sqlite.ManagerRecords{Records: sqlite.NewSandboxRecords(db)}, sandbox.Config{
		IdleTimeout:   cfg.sandboxIdle,
		MaxLifetime:   cfg.sandboxLifetime,
		MaxPerLearner: cfg.sandboxPerLearner,
		MaxPerKind: map[sandbox.Kind]int{sandbox.KindRedis: cfg.sandboxMaxRedis, sandbox.KindKafka: cfg.sandboxMaxKafka,
			sandbox.KindPostgres: cfg.sandboxMaxPG},
		MaxMemoryBytes: int64(cfg.sandboxMemoryMB) << 20,
		Warm:           cfg.driver.warm(),
		Logger:         log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox manager: %w", err)
	}
	n, err := mgr.Recover(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("remove sandboxes left by a previous run: %w", err)
	}
	if n > 0 {
		log.Info("removed sandboxes left by a previous run", "count", n)
	}
	return mgr, drv, nil
}

// closeDriver releases what drv holds beyond its sandboxes (the process
// driver's fences made ahead, the container driver's engine client).
func closeDriver(drv sandbox.Driver, log *slog.Logger) {
	if c, ok := drv.(io.Closer); ok {
		if err := c.Close(); err != nil {
			log.Error("close the sandbox driver", "err", err)
		}
	}
}

// sandboxScratchDir is a short directory under the system's temporary
// directory named after DATA: short, for unix socket paths inside it, and
// outside DATA, which only the platform's user may enter while fenced
// sandboxes run as users of their own. The name is stable, so a restart
// finds leftovers.
func sandboxScratchDir(data string) (string, error) {
	abs, err := filepath.Abs(data)
	if err != nil {
		return "", fmt.Errorf("sandbox scratch dir: %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "opslab-"+hex.EncodeToString(sum[:6])), nil
}

// Close stops every sandbox, then releases the store.
func (a *app) Close() error {
	if a.stopWatch != nil {
		a.stopWatch()
	}
	if a.stopReap != nil {
		a.stopReap()
	}
	if a.sandboxes != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// Containers outlive the process: they are left running for the
		// next run to adopt (Detach is StopAll for the process driver).
		if err := a.sandboxes.Detach(ctx); err != nil {
			a.log.Error("stop sandboxes", "err", err)
		}
		closeDriver(a.driver, a.log)
		// Every sandbox is gone: remove the scratch folders if empty.
		_ = os.Remove(filepath.Join(a.scratch, "sandboxes"))
		_ = os.Remove(a.scratch)
	}
	return a.db.Close()
}

// loadContent loads the courses below dir, or the built-in course.
func loadContent(dir string, md *markdown.Renderer) (*course.Catalog, error) {
	var fsys fs.FS = content.FS
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("content: %s is not a directory", dir)
		}
		if fsys, err = course.OpenDir(dir); err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
	}
	cat, err := course.Load(fsys, md, console.CheckCommand)
	if err != nil {
		return nil, fmt.Errorf("load content: %w", err)
	}
	return cat, nil
}

// sessionKey returns OPSLAB_SESSION_KEY (hex, at least 32 bytes), or the
// key kept in DIR/session.key, made at first start.
func sessionKey(dir string) ([]byte, error) {
	if env := strings.TrimSpace(os.Getenv("OPSLAB_SESSION_KEY")); env != "" {
		k, err := hex.DecodeString(env)
		if err != nil || len(k) < 32 {
			return nil, errors.New("OPSLAB_SESSION_KEY must be at least 64 hex digits (32 bytes)")
		}
		return k, nil
	}
	p := filepath.Join(dir, "session.key")
	b, err := os.ReadFile(p)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("session key %s is damaged: delete it to make a new one (everyone will be signed out)", p)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read session key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make session key: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write session key: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return nil, fmt.Errorf("write session key: %w", err)
	}
	return k, nil
}

// discardLogger drops every record: for commands whose output is their own.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
