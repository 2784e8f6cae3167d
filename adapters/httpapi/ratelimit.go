package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limits are the rate limits per client address, one set per limited
// route.
type limits struct {
	create, answer *limiter
}

func newLimits(cfg Config) *limits {
	return &limits{
		create: newLimiter(cfg.CreateRate, cfg.CreateBurst),
		answer: newLimiter(cfg.AnswerRate, cfg.AnswerBurst),
	}
}

// forRoute returns the limiter of a route, or nil when it is not limited.
func (l *limits) forRoute(route string) *limiter {
	switch route {
	case "POST /v1/sessions":
		return l.create
	case "POST /v1/sessions/{id}/answers", "DELETE /v1/sessions/{id}", "GET /v1/sessions/{id}":
		return l.answer
	}
	return nil
}

// maxClients bounds the addresses a limiter remembers: past it, those
// idle longest are forgotten (a forgotten address starts with a full
// burst again).
const maxClients = 100_000

// limiter is a token bucket per client address.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{rate: r, burst: max(burst, 1), clients: map[string]*client{}}
}

// allow takes a token for addr at now; when there is none it returns how
// long until there is.
func (l *limiter) allow(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[addr]
	if c == nil {
		if len(l.clients) >= maxClients {
			l.forget(now)
		}
		c = &client{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[addr] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// forget drops the addresses idle for a minute, or, when none is, half of
// them.
func (l *limiter) forget(now time.Time) {
	for addr, c := range l.clients {
		if now.Sub(c.seen) > time.Minute {
			delete(l.clients, addr)
		}
	}
	for addr := range l.clients {
		if len(l.clients) < maxClients/2 {
			break
		}
		delete(l.clients, addr)
	}
}
