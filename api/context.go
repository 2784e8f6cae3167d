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

type bindingKey struct{}

// Binding is who makes a call: the client, and the thumbprint (RFC 7638)
// of the DPoP key whose proof came with the request, "" without one.
type Binding struct {
	Client string
	JKT    string
}

// WithBinding returns ctx carrying the binding of the call made with it,
// as a server verified it: the portal ties what the call opens (a sign-in
// session, an authorization code, tokens) to it, and refuses what another
// binding opened.
func WithBinding(ctx context.Context, b Binding) context.Context {
	return context.WithValue(ctx, bindingKey{}, b)
}

// BindingOf returns the binding WithBinding put in ctx; the zero Binding
// without one.
func BindingOf(ctx context.Context) Binding {
	b, _ := ctx.Value(bindingKey{}).(Binding)
	return b
}

type requestKey struct{}

// AuthRequest is what an authorization challenge request asks for beyond
// its step: the PKCE code challenge (S256) the session's next
// authorization code is bound to, and the scope of the tokens.
type AuthRequest struct {
	CodeChallenge string
	Scope         string
}

// WithAuthRequest returns ctx carrying the authorization request of the
// call made with it.
func WithAuthRequest(ctx context.Context, r AuthRequest) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// AuthRequestOf returns the request WithAuthRequest put in ctx.
func AuthRequestOf(ctx context.Context) AuthRequest {
	r, _ := ctx.Value(requestKey{}).(AuthRequest)
	return r
}

type replayKey struct{}

// WithReplayNotice returns ctx carrying notice, which the portal calls
// when it answers the call made with ctx with the answer it gave before
// under the call's idempotency key, doing nothing again: a server says
// so in its answer (HeaderReplayed).
func WithReplayNotice(ctx context.Context, notice func()) context.Context {
	return context.WithValue(ctx, replayKey{}, notice)
}

// ReplayNoticeOf returns the notice WithReplayNotice put in ctx, or nil.
func ReplayNoticeOf(ctx context.Context) func() {
	n, _ := ctx.Value(replayKey{}).(func())
	return n
}
