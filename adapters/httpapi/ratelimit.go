package httpapi

import (
	"net/netip"

	"github.com/tetherflow/tether/adapters/internal/addrlimit"
)

// ParseProxies parses a comma-separated list of trusted proxies, CIDR
// prefixes or single addresses ("10.0.0.0/8,192.0.2.1"), for
// Config.TrustedProxies.
func ParseProxies(s string) ([]netip.Prefix, error) { return addrlimit.ParseProxies(s) }

// limits are the rate limits per client address, one set per limited
// route.
type limits struct {
	create, answer *addrlimit.Limiter
}

func newLimits(cfg Config) *limits {
	return &limits{
		create: addrlimit.New(cfg.CreateRate, cfg.CreateBurst),
		answer: addrlimit.New(cfg.AnswerRate, cfg.AnswerBurst),
	}
}

// forRoute returns the limiter of a route, or nil when it is not limited.
func (l *limits) forRoute(route string) *addrlimit.Limiter {
	switch route {
	case "POST /v1/sessions":
		return l.create
	case "POST /v1/sessions/{id}/answers", "DELETE /v1/sessions/{id}", "GET /v1/sessions/{id}":
		return l.answer
	}
	return nil
}
