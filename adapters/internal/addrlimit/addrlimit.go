// Package addrlimit limits requests per client address with a token
// bucket each, for the front ends served over HTTP (the API, the web
// pages): the address is the connection's peer, or what trusted proxies
// say it is (Clients).
package addrlimit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// Allow takes a token for addr (an IPv6 address counts as its /64) at
// now; when there is none it returns how
// long until there is.
func (l *Limiter) Allow(addr string, now time.Time) (time.Duration, bool) {
	addr = Bucket(addr)
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

// Clients finds the address a request comes from: the connection's peer,
// or, when the peer is a proxy the server trusts, the address the proxies
// recorded in X-Forwarded-For. Only trusted proxies are believed: a client
// that sends the header itself, straight to the server, is counted by its
// own address.
type Clients struct {
	trusted []netip.Prefix
}

// NewClients returns the finder that trusts the proxies in trusted.
func NewClients(trusted []netip.Prefix) Clients {
	return Clients{trusted: trusted}
}

// Of returns the address r is counted and logged by. Behind trusted
// proxies it is the right-most address of X-Forwarded-For that is not a
// trusted proxy's: the one the outermost trusted proxy saw (what the client
// wrote to the left of it may be anything). A peer that is not an IP
// address (a pipe) is returned as it is.
func (c Clients) Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !c.trusts(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	from := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // not written by a proxy we trust: stop at the last good hop
		}
		from = a.Unmap()
		if !c.trusts(from) {
			break
		}
	}
	return from.String()
}

func (c Clients) trusts(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseProxies parses a comma-separated list of trusted proxies: CIDR
// prefixes (10.0.0.0/8, fd00::/8) or single addresses.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Bucket is the key addr is limited under: an IPv4 address alone, an IPv6
// address by its /64 (one subscriber's network usually holds a whole /64,
// so one address each would let a single client count as 2^64).
func Bucket(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}
