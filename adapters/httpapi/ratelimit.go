package httpapi

import "github.com/tetherflow/tether/adapters/internal/addrlimit"

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
