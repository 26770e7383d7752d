package server

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/server/kit"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the Prometheus registry of the process and the platform's
// own series. Other packages may register more collectors on Registry.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.HistogramVec
	signins  *prometheus.CounterVec
	progress *prometheus.CounterVec
}

// NewMetrics makes a registry with Go and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opslab_http_request_duration_seconds",
			Help:    "Duration of HTTP requests by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method", "route", "code"}),
		signins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opslab_signins_total",
			Help: "Sign-in attempts by result (ok, failed, throttled).",
		}, []string{"result"}),
		progress: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opslab_progress_events_total",
			Help: "Progress events by kind (view, done, undone, activity, register).",
		}, []string{"event"}),
	}
	m.Registry.MustRegister(m.requests, m.signins, m.progress,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

func (m *Metrics) observeRequest(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Observe(d.Seconds())
}

func (m *Metrics) signin(result string)   { m.signins.WithLabelValues(result).Inc() }
func (m *Metrics) progressEvent(e string) { m.progress.WithLabelValues(e).Inc() }

// guardMetrics lets a scraper read /metrics when metricsAllowed says so;
// anyone else gets 404, so the endpoint's presence is not advertised.
func (s *Server) guardMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.metricsAllowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

// forwardingHeaders are the headers by which a proxy names the client.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"}

// metricsAllowed decides who reads /metrics:
//   - an admin's session, always;
//   - with a MetricsToken, otherwise only a request with
//     "Authorization: Bearer <token>";
//   - without a token, otherwise only a scraper on this machine: the
//     connecting peer is a loopback address, it is not one of
//     TrustedProxies (a proxy relays anyone's requests), and the request
//     carries no forwarding header (a proxy on this machine that is not
//     declared trusted relays anyone's requests too).
func (s *Server) metricsAllowed(r *http.Request) bool {
	if u := kit.CurrentUser(r); u != nil && u.IsAdmin() {
		return true
	}
	if tok := s.cfg.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1
	}
	for _, h := range forwardingHeaders {
		if len(r.Header.Values(h)) > 0 {
			return false
		}
	}
	peer := kit.PeerAddr(r)
	return peer.IsValid() && peer.IsLoopback() && !s.proxies.Trusted(peer)
}
