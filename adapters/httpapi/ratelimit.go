package httpapi

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/internal/addrlimit"
)

// ParseProxies parses a comma-separated list of trusted proxies, CIDR
// prefixes or single addresses ("10.0.0.0/8,192.0.2.1"), for
// Config.TrustedProxies.
func ParseProxies(s string) ([]netip.Prefix, error) { return addrlimit.ParseProxies(s) }

// Counter keeps rate-limit counters where every instance of a server
// counts against the same ones: a session store they share (the
// PostgreSQL store's Take).
type Counter interface {
	// Take takes a token from bucket, which holds burst tokens and gains
	// one every interval, at now. It returns 0 when it took one, else how
	// long until one is there.
	Take(ctx context.Context, bucket string, now time.Time, interval time.Duration, burst int) (time.Duration, error)
}

// limiter limits the requests of one route per client address.
type limiter interface {
	allow(ctx context.Context, client string, now time.Time) (wait time.Duration, ok bool)
}

// limits are the rate limits per client address, one per limited route.
type limits struct {
	create, answer limiter
}

func newLimits(cfg Config) *limits {
	if cfg.Counter == nil {
		return &limits{
			create: local{addrlimit.New(cfg.CreateRate, cfg.CreateBurst)},
			answer: local{addrlimit.New(cfg.AnswerRate, cfg.AnswerBurst)},
		}
	}
	return &limits{
		create: shared(cfg, "create", cfg.CreateRate, cfg.CreateBurst),
		answer: shared(cfg, "answer", cfg.AnswerRate, cfg.AnswerBurst),
	}
}

// forRoute returns the limiter of a route, or nil when it is not limited.
func (l *limits) forRoute(route string) limiter {
	switch route {
	case "POST /v1/sessions":
		return l.create
	case "POST /v1/sessions/{id}/answers", "DELETE /v1/sessions/{id}", "GET /v1/sessions/{id}":
		return l.answer
	}
	return nil
}

// local is a limiter in this process's memory.
type local struct{ l *addrlimit.Limiter }

func (l local) allow(_ context.Context, client string, now time.Time) (time.Duration, bool) {
	return l.l.Allow(client, now)
}

// counted is a limiter whose counters a Counter keeps.
type counted struct {
	c        Counter
	name     string
	interval time.Duration
	burst    int
	log      *slog.Logger
}

// shared returns the limiter of r requests a second, bursts of burst, its
// counters kept by cfg.Counter under name; rate.Inf limits nothing.
func shared(cfg Config, name string, r rate.Limit, burst int) limiter {
	if r == rate.Inf {
		return nil
	}
	return &counted{c: cfg.Counter, name: name, interval: time.Duration(float64(time.Second) / float64(r)), burst: max(burst, 1), log: cfg.Log}
}

// allow takes a token. When the counters cannot be reached the request is
// let through, and logged: the store being down stops the server anyway,
// and a limit must not turn a slow store into a refusal of every client.
func (c *counted) allow(ctx context.Context, client string, now time.Time) (time.Duration, bool) {
	wait, err := c.c.Take(ctx, c.name+" "+addrlimit.Bucket(client), now, c.interval, c.burst)
	if err != nil {
		c.log.ErrorContext(ctx, "rate limit", "request_id", requestID(ctx), "err", err)
		return 0, true
	}
	return wait, wait == 0
}
