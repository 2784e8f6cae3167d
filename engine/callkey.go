package engine

import (
	"context"
	"strconv"
	"sync/atomic"
)

// callKeys is what runAction puts in the context of an action's run: the
// step's key and how many keys the run has handed out.
type callKeys struct {
	step string
	n    atomic.Int64
}

type callKeysKey struct{}

// withCallKeys returns ctx carrying the keys of the step that will write
// log entry seq of session id. Every try of the action starts counting
// again, so that a retried call gets the key its first try had.
func withCallKeys(ctx context.Context, id string, seq int) context.Context {
	return context.WithValue(ctx, callKeysKey{}, &callKeys{step: id + "." + strconv.Itoa(seq)})
}

// NextCallKey returns an idempotency key for the next call to an outside
// system that the running action makes: the session's id, the sequence
// number of the log entry the action will write, and the call's number
// within this try of the action ("3f2a9c0d1e5b7a44.12.1"). The same step
// run again — retried, or restored from the same snapshot after a crash —
// makes the same calls in the same order and so gets the same keys. ok is
// false outside an action run by a session.
func NextCallKey(ctx context.Context) (key string, ok bool) {
	k, ok := ctx.Value(callKeysKey{}).(*callKeys)
	if !ok {
		return "", false
	}
	return k.step + "." + strconv.FormatInt(k.n.Add(1), 10), true
}
