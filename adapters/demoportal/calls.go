package demoportal

import "context"

// Call is a call the portal answered under an idempotency key, as
// WithCallNotice tells it.
type Call struct {
	// Key is the idempotency key the call carried.
	Key string
	// Op is the operation, e.g. "sendCode".
	Op string
	// Replayed is set when the portal had answered the same request under
	// the key before and gave that answer again, doing nothing.
	Replayed bool
}

// WithCallNotice has the portal tell notice of every call it answers
// under an idempotency key, once the answer is committed: what a session
// host records as the step's effects.
func WithCallNotice(notice func(ctx context.Context, c Call)) Option {
	return func(p *Portal) { p.onCall = notice }
}
