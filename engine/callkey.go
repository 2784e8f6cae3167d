package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
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
// log entry seq of session id, set off by trigger (stepTrigger). Every try
// of the action starts counting again, so that a retried call gets the key
// its first try had.
func withCallKeys(ctx context.Context, id string, seq int, trigger string) context.Context {
	step := id + "." + strconv.Itoa(seq)
	if trigger != "" {
		step += "." + trigger
	}
	return context.WithValue(ctx, callKeysKey{}, &callKeys{step: step})
}

// stepTrigger identifies what set a step off — an answer (its choice and
// input, secrets included) or a timer — without giving it away: an HMAC
// under the session's id, cut to 64 bits. The same answer again (a step
// run again after a crash) gives the same keys, so the portal answers its
// calls once; another answer from the same version (the person answered
// again, differently, before the first step was saved) gives new keys,
// so its calls are new calls, not a key reused for another request.
func stepTrigger(id, event string, input map[string]any) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte(event))
	keys := make([]string, 0, len(input))
	for k := range input {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.Write([]byte{0})
		m.Write([]byte(k))
		m.Write([]byte{0})
		m.Write([]byte(FormatValue(input[k])))
	}
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// NextCallKey returns an idempotency key for the next call to an outside
// system that the running action makes: the session's id, the sequence
// number of the log entry the action will write, a digest of what set the
// step off (the answer or the timer; none for Start) and the call's number
// within this try of the action ("3f2a9c0d1e5b7a44.12.9e1f0c2a7b3d4e55.1").
// The same step run again — retried, or restored from the same snapshot
// and given the same answer after a crash — makes the same calls in the
// same order and so gets the same keys. ok is false outside an action run
// by a session.
func NextCallKey(ctx context.Context) (key string, ok bool) {
	k, ok := ctx.Value(callKeysKey{}).(*callKeys)
	if !ok {
		return "", false
	}
	return k.step + "." + strconv.FormatInt(k.n.Add(1), 10), true
}
