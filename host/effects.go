package host

import (
	"context"
	"sync"
)

// effectsKey is the context key of the effects recorder of a step.
type effectsKey struct{}

// effects collects the side effects one step makes outside the session,
// and knows the device the step is for.
type effects struct {
	device string
	mu     sync.Mutex
	list   []Effect
}

// withEffects returns ctx carrying a recorder for the step about to run
// for a session of device.
func withEffects(ctx context.Context, device string) (context.Context, *effects) {
	r := &effects{device: device}
	return context.WithValue(ctx, effectsKey{}, r), r
}

// Device returns the device of the session whose step runs under ctx, and
// false when ctx is not a step's: what lets an adapter bound once for
// every device (a credential store kept in the session store) serve each
// step its own, so that one action registry serves every session.
func Device(ctx context.Context) (string, bool) {
	r, ok := ctx.Value(effectsKey{}).(*effects)
	if !ok {
		return "", false
	}
	return r.device, true
}

// RecordEffect notes a side effect that the step running under ctx made
// outside the session — a portal call, under the idempotency key it
// carried (callkey.Next) — so that the host commits it with the
// step's snapshot and log entries, in one transaction. An adapter that
// calls an outside system calls it once per call; a call tried again
// under the same key replaces the earlier record. It reports false, and
// records nothing, when ctx is not a step's (the call was made outside
// the host).
func RecordEffect(ctx context.Context, e Effect) bool {
	r, ok := ctx.Value(effectsKey{}).(*effects)
	if !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.list {
		if r.list[i].Key == e.Key && e.Key != "" {
			r.list[i] = e
			return true
		}
	}
	r.list = append(r.list, e)
	return true
}

// taken returns the effects recorded so far.
func (r *effects) taken() []Effect {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Effect(nil), r.list...)
}
