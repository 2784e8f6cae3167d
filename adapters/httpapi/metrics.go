package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tetherflow/tether/host"
)

// Metrics are the server's Prometheus metrics, in a registry of their own:
// the host's steps (Observe), the HTTP requests, the rate limits, and the
// Go runtime's.
type Metrics struct {
	reg       *prometheus.Registry
	steps     *prometheus.CounterVec
	stepTime  *prometheus.HistogramVec
	conflicts *prometheus.CounterVec
	outcomes  *prometheus.CounterVec
	timerLag  prometheus.Histogram
	retries   prometheus.Counter
	requests  *prometheus.CounterVec
	reqTime   *prometheus.HistogramVec
	limitedN  *prometheus.CounterVec
}

// NewMetrics returns the metrics, registered in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tether_steps_total",
			Help: "Steps taken and saved, by call (start, answer, tick, cancel)."}, []string{"op"}),
		stepTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tether_step_duration_seconds",
			Help: "How long a step took, loading and saving included.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"op"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tether_version_conflicts_total",
			Help: "Steps refused for a stale version or lost to another step."}, []string{"op"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tether_outcomes_total",
			Help: "Sessions ended, by flow and outcome."}, []string{"flow", "outcome"}),
		timerLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tether_timer_lag_seconds",
			Help: "How late due timers fired.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "tether_action_retries_total",
			Help: "Tries of remote actions (portal calls) made again after a transport failure."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tether_http_requests_total",
			Help: "HTTP requests, by route and status."}, []string{"route", "status"}),
		reqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tether_http_request_duration_seconds",
			Help: "How long HTTP requests took.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"}),
		limitedN: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tether_rate_limited_total",
			Help: "Requests refused by a rate limit, by route."}, []string{"route"}),
	}
	m.reg.MustRegister(m.steps, m.stepTime, m.conflicts, m.outcomes, m.timerLag, m.retries,
		m.requests, m.reqTime, m.limitedN, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records a host event: give it to host.Config.Observe.
func (m *Metrics) Observe(_ context.Context, e host.Event) {
	switch e.Kind {
	case host.EventStep:
		m.steps.WithLabelValues(string(e.Op)).Inc()
		m.stepTime.WithLabelValues(string(e.Op)).Observe(e.Duration.Seconds())
		if e.Outcome != "" {
			m.outcomes.WithLabelValues(e.Flow, e.Outcome).Inc()
		}
	case host.EventConflict:
		m.conflicts.WithLabelValues(string(e.Op)).Inc()
	case host.EventTimer:
		m.timerLag.Observe(e.Lag.Seconds())
	case host.EventRetry:
		m.retries.Inc()
	}
}

func (m *Metrics) request(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.reqTime.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) limited(route string) { m.limitedN.WithLabelValues(route).Inc() }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// LogFailures returns a host.Config.Observe that logs each step that ended
// its session in a run error, with what failed (the flow's file and
// state, the action and its error) and the id of the request that took
// the step, if one did: the client is told only session_failed.
func LogFailures(log *slog.Logger) func(context.Context, host.Event) {
	return func(ctx context.Context, e host.Event) {
		if e.Failure == "" {
			return
		}
		attrs := []any{"session", e.Session, "op", e.Op, "flow", e.Flow, "err", e.Failure}
		if id := requestID(ctx); id != "" {
			attrs = append([]any{"request_id", id}, attrs...)
		}
		log.ErrorContext(ctx, "session failed", attrs...)
	}
}
