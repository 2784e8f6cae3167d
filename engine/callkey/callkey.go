package callkey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tetherflow/tether/engine/value"
)

// callKeys is what With puts in the context of an action's run: what the
// step's key is made of, the key once made, and how many keys the run has
// handed out.
type callKeys struct {
	id    string
	seq   int
	event string
	input map[string]any
	once  sync.Once
	step  string
	n     atomic.Int64
}

type callKeysKey struct{}

// With returns ctx carrying the keys of the step that will write log entry
// seq of session id, set off by event (a choice, "after KEY" for a timer,
// "" for the start) with input (an answer's validated input; nil for
// the others). The engine calls it for every try of an action, so that a
// retried call gets the key its first try had.
//
// The key's digest is made when the action first asks for a key: most
// steps call nothing outside and never pay for it. input is the session's
// and is read then, so keys are to be asked for during the action's run,
// as Next says.
func With(ctx context.Context, id string, seq int, event string, input map[string]any) context.Context {
	return context.WithValue(ctx, callKeysKey{}, &callKeys{id: id, seq: seq, event: event, input: input})
}

// stepKey returns the step's key, making it on first use.
func (k *callKeys) stepKey() string {
	k.once.Do(func() {
		k.step = Prefix(k.id) + strconv.Itoa(k.seq)
		if k.event != "" {
			k.step += "." + stepTrigger(k.id, k.event, k.input)
		}
	})
	return k.step
}

// Prefix returns what every call key of session id starts with (Next): an operator can match the keys an outside system logged
// with the session, knowing its id, and nobody can go the other way.
func Prefix(id string) string { return publicID(id) + "." }

// publicID is what a call key shows of session id: a digest. The id
// itself is the key of the trigger's HMAC (stepTrigger), which digests the
// answer, password and all; a key that showed the id would let whoever
// reads the keys (a portal's logs) test guesses of the password offline.
func publicID(id string) string {
	h := sha256.Sum256([]byte("tether call key\x00" + id))
	return hex.EncodeToString(h[:16])
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
		m.Write([]byte(value.Format(input[k])))
	}
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Next returns an idempotency key for the next call to an outside
// system that the running action makes: a digest of the session's id (not
// the id: see publicID), the sequence
// number of the log entry the action will write, a digest of what set the
// step off (the answer or the timer; none for Start) and the call's number
// within this try of the action ("3f2a9c0d1e5b7a44.12.9e1f0c2a7b3d4e55.1").
// The same step run again — retried, or restored from the same snapshot
// and given the same answer after a crash — makes the same calls in the
// same order and so gets the same keys. ok is false outside an action run
// by a session. Ask during the action's Run, not after it returns.
func Next(ctx context.Context) (key string, ok bool) {
	k, ok := ctx.Value(callKeysKey{}).(*callKeys)
	if !ok {
		return "", false
	}
	return k.stepKey() + "." + strconv.FormatInt(k.n.Add(1), 10), true
}
