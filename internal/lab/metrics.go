package lab

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opslab/opslab/internal/sandbox"
)

// Metrics are the lab's Prometheus series.
type Metrics struct {
	starts  *prometheus.HistogramVec
	execs   *prometheus.HistogramVec
	checks  *prometheus.HistogramVec
	refused *prometheus.CounterVec
}

var fastBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewMetrics makes the series and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		starts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "opslab_sandbox_start_seconds", Help: "Time to start a sandbox, by kind and driver.", Buckets: fastBuckets,
		}, []string{"kind", "driver"}),
		execs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "opslab_console_exec_seconds", Help: "Time to run one console command, by kind.", Buckets: fastBuckets,
		}, []string{"kind"}),
		checks: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "opslab_check_seconds", Help: "Time to run an exercise's checks, by kind and result.", Buckets: fastBuckets,
		}, []string{"kind", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opslab_console_refused_total", Help: "Console commands refused by the sandbox policy, by kind.",
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.starts, m.execs, m.checks, m.refused)
	}
	return m
}

// RegisterRunning adds gauges of running and of warm sandboxes per kind
// for the manager's driver.
func RegisterRunning(reg prometheus.Registerer, mgr *sandbox.Manager, driver string) {
	for _, k := range sandbox.Kinds() {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "opslab_sandboxes_running",
			Help:        "Sandboxes running now, by kind and driver.",
			ConstLabels: prometheus.Labels{"kind": string(k), "driver": driver},
		}, func() float64 { return float64(mgr.Running(k)) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "opslab_sandboxes_warm",
			Help:        "Warm sandboxes ready to hand out, by kind and driver.",
			ConstLabels: prometheus.Labels{"kind": string(k), "driver": driver},
		}, func() float64 { return float64(mgr.Warm(k)) }))
	}
}

func (m *Metrics) start(kind, driver string, d time.Duration) {
	m.starts.WithLabelValues(kind, driver).Observe(d.Seconds())
}

func (m *Metrics) exec(kind string, d time.Duration, refused bool) {
	m.execs.WithLabelValues(kind).Observe(d.Seconds())
	if refused {
		m.refused.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) check(kind string, d time.Duration, passed bool) {
	result := "failed"
	if passed {
		result = "passed"
	}
	m.checks.WithLabelValues(kind, result).Observe(d.Seconds())
}
