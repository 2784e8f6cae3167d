package demoportal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// call is one portal operation as update runs it: its name (as the
// protocol's operationId; "" for the portal's own reads and writes, which
// are never keyed), where its answer goes, and the arguments that make
// the request what it is.
type call struct {
	op   string
	out  any
	args []string
}

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

// CallRecord is a call the portal answered under an idempotency key. The
// key itself is not kept, only its hash; the answer is sealed with a key
// derived from the idempotency key and the request, so that the record
// gives away no ticket or token to whoever reads the state.
type CallRecord struct {
	Key string `json:"key"` // hash of the idempotency key
	Op  string `json:"op"`
	// Request identifies the request's arguments (an HMAC under the
	// portal's secret): the same key with another request is a new call.
	Request string    `json:"request"`
	Answer  []byte    `json:"answer"` // sealed
	At      time.Time `json:"at"`
}

// once runs fn for the call c under the idempotency key, unless the same
// request was answered under key before: then it puts that answer in c.out
// and reports replayed. The answer is recorded in the same transaction as
// fn's writes, so that a call whose effects were kept is answered once.
// A request that differs from the recorded one (another answer to the same
// prompt, raced by two clients) is a new call and replaces the record.
func (p *Portal) once(ctx context.Context, key string, c call, fn func(Tx) error) (replayed bool, err error) {
	req := p.requestID(c)
	err = p.state.Update(ctx, func(tx Tx) error {
		replayed = false
		rec, ok, err := tx.Call(hashOf(key))
		if err != nil {
			return err
		}
		if ok && rec.Op == c.op && hmac.Equal([]byte(rec.Request), []byte(req)) {
			if plain, err := unseal(key, req, rec.Answer); err == nil && json.Unmarshal(plain, c.out) == nil {
				replayed = true
				return nil
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		plain, err := json.Marshal(c.out)
		if err != nil {
			return fmt.Errorf("%s: remember the answer: %w", c.op, err)
		}
		sealed, err := seal(key, req, plain)
		if err != nil {
			return err
		}
		return tx.PutCall(CallRecord{Key: hashOf(key), Op: c.op, Request: req, Answer: sealed, At: p.now()})
	})
	return replayed, err
}

// requestID identifies c's operation and arguments without giving them
// away: passwords and codes are among them.
func (p *Portal) requestID(c call) string {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(c.op + "\x00" + strings.Join(c.args, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// aead returns the cipher an answer recorded under (key, req) is sealed
// with. Each (key, req) seals one answer, once, so a fixed nonce is safe.
func aead(key, req string) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(req))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(key, req string, plain []byte) ([]byte, error) {
	a, err := aead(key, req)
	if err != nil {
		return nil, err
	}
	return a.Seal(nil, make([]byte, a.NonceSize()), plain, nil), nil
}

func unseal(key, req string, sealed []byte) ([]byte, error) {
	a, err := aead(key, req)
	if err != nil {
		return nil, err
	}
	return a.Open(nil, make([]byte, a.NonceSize()), sealed, nil)
}
