package host

import (
	"context"
	"sync"
)

// inflight is the requests this host is answering, by session and
// idempotency key: the same request arriving again while the first is in
// flight waits for it, and then gets its response, instead of running the
// step a second time.
type inflight struct {
	mu sync.Mutex
	m  map[flight]chan struct{}
}

// flight is a request in flight: its session and idempotency key.
type flight struct{ id, key string }

// enter waits until no request of session id with key is in flight, then
// marks this one as in flight until leave is called with what enter
// returned. It returns ctx's error when ctx ends first.
func (f *inflight) enter(ctx context.Context, id, key string) (flight, chan struct{}, error) {
	k := flight{id, key}
	for {
		f.mu.Lock()
		busy, ok := f.m[k]
		if !ok {
			done := make(chan struct{})
			f.m[k] = done
			f.mu.Unlock()
			return k, done, nil
		}
		f.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return k, nil, ctx.Err()
		}
	}
}

// leave ends request k, which enter marked in flight with done, and
// wakes the requests waiting for it.
func (f *inflight) leave(k flight, done chan struct{}) {
	f.mu.Lock()
	delete(f.m, k)
	f.mu.Unlock()
	close(done)
}
