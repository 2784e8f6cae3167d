// Package addrlimit limits requests per client address with a token
// bucket each, for the front ends served over HTTP (the API, the web
// pages): the address is the connection's peer.
package addrlimit

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxClients bounds the addresses a Limiter remembers: past it, those
// idle longest are forgotten (a forgotten address starts with a full
// burst again).
const maxClients = 100_000

// Limiter is a token bucket per client address. It is safe for
// concurrent use.
type Limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter allowing each address r requests a second, in
// bursts of burst (at least 1); rate.Inf allows everything.
func New(r rate.Limit, burst int) *Limiter {
	return &Limiter{rate: r, burst: max(burst, 1), clients: map[string]*client{}}
}

// Allow takes a token for addr at now; when there is none it returns how
// long until there is.
func (l *Limiter) Allow(addr string, now time.Time) (time.Duration, bool) {
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
func (l *Limiter) forget(now time.Time) {
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

// ClientAddr is the address r is counted by: the connection's peer
// (behind a proxy, every client shares the proxy's: put the limits
// there).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
