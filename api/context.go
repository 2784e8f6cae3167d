package api

import (
	"context"
	"time"
)

type keyKey struct{}

type timeKey struct{}

// WithIdempotencyKey returns ctx carrying the idempotency key of the call
// made with it, as a server read it from the request: the portal does
// what the call asks once under the key, and answers a repeat with the
// first answer.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyKey{}, key)
}

// IdempotencyKey returns the key WithIdempotencyKey put in ctx.
func IdempotencyKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(keyKey{}).(string)
	return k, ok && k != ""
}

// WithTime returns ctx carrying the time the portal judges the call made
// with it at, instead of its own clock's: a simulator that follows a
// client's fake clock sets it from HeaderClientClock.
func WithTime(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, timeKey{}, t)
}

// TimeOf returns the time WithTime put in ctx.
func TimeOf(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(timeKey{}).(time.Time)
	return t, ok
}
