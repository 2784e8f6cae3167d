// Package captcha hands out captchas a person can solve in a terminal:
// small sums ("What is 7 plus 5?") and words to type backwards. Challenges
// come from an injected random source, so a seeded source gives the same
// challenges every run, and each can be answered once.
//
// A challenge's ID is signed: it carries an HMAC of the answer under a key
// the issuer shares with the portal, so the portal checks an answer sent
// with a sign-in without asking the issuer (as a site checks a CAPTCHA
// provider's token), and keeps the IDs it has accepted so that each is
// used once.
//
//	c := captcha.New(rand.New(rand.NewPCG(1, 2)))
//	ch, _ := c.NewChallenge(ctx)     // ch.Text: "What is 7 plus 5?"
//	ok := captcha.Verify([]byte(captcha.DemoKey), ch.ID, "12")
package captcha

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/tetherflow/tether/actions"
)

// MaxPending bounds the challenges waiting for an answer; the oldest is
// forgotten when a new one would exceed it.
const MaxPending = 1024

// words are the words a person may be asked to type backwards: short,
// common, and free of letters that are easily confused.
const words = "garden river window bottle candle forest orange pocket silver tunnel " +
	"basket rocket meadow lantern harbor pepper violin marble island butter"

// DemoKey is the key challenges are signed with unless WithKey gives
// another: the demo portal's default. It is public, so a demo CAPTCHA
// stops nobody; a deployment sets its own.
const DemoKey = "tether-demo-captcha-key"

// Captcha is a store of pending challenges. It is safe for concurrent use.
type Captcha struct {
	mu      sync.Mutex
	rng     *rand.Rand
	key     []byte
	pending map[string]string // id -> answer
	order   []string          // ids, oldest first
	last    string            // the answer to the newest challenge
}

// Option configures New.
type Option func(*Captcha)

// WithKey signs challenges with key instead of DemoKey.
func WithKey(key []byte) Option {
	return func(c *Captcha) { c.key = key }
}

// New returns a captcha drawing challenges from rng.
func New(rng *rand.Rand, opts ...Option) *Captcha {
	c := &Captcha{rng: rng, key: []byte(DemoKey), pending: make(map[string]string)}
	for _, o := range opts {
		o(c)
	}
	return c
}

// normAnswer is an answer as it is signed and compared: surrounding space
// and letter case do not count.
func normAnswer(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// sign returns the signature of answer for the challenge nonce.
func sign(key []byte, nonce, answer string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(nonce + "\x00" + normAnswer(answer)))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// Verify reports whether answer solves the challenge id signed with key.
// It keeps no state: the caller keeps the IDs it accepted, so that each
// is used once.
func Verify(key []byte, id, answer string) bool {
	nonce, sig, ok := strings.Cut(id, ".")
	if !ok || answer == "" {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(sign(key, nonce, answer)))
}

// NewChallenge returns a new challenge. It fails only when ctx is done.
func (c *Captcha) NewChallenge(ctx context.Context) (actions.Challenge, error) {
	if err := ctx.Err(); err != nil {
		return actions.Challenge{}, fmt.Errorf("new captcha: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var id string
	for id == "" || c.pending[id] != "" {
		id = fmt.Sprintf("cap-%08x", c.rng.Uint32())
	}
	text, answer := c.draw()
	id += "." + sign(c.key, id, answer)
	c.pending[id] = answer
	c.last = answer
	c.order = append(c.order, id)
	if len(c.order) > MaxPending {
		delete(c.pending, c.order[0])
		c.order = c.order[1:]
	}
	return actions.Challenge{ID: id, Text: text}, nil
}

// LastAnswer returns the answer to the newest challenge handed out, for
// scripted demo runs (an answers file's {{captcha}}), as the demo SMS
// outbox gives its last code. A real captcha has no such method.
func (c *Captcha) LastAnswer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// draw returns a challenge's text and its answer.
func (c *Captcha) draw() (text, answer string) {
	switch c.rng.IntN(4) {
	case 0:
		a, b := 2+c.rng.IntN(9), 2+c.rng.IntN(9)
		return fmt.Sprintf("What is %d plus %d?", a, b), fmt.Sprint(a + b)
	case 1:
		a, b := 10+c.rng.IntN(10), 1+c.rng.IntN(9)
		return fmt.Sprintf("What is %d minus %d?", a, b), fmt.Sprint(a - b)
	case 2:
		a, b := 2+c.rng.IntN(8), 2+c.rng.IntN(8)
		return fmt.Sprintf("What is %d times %d?", a, b), fmt.Sprint(a * b)
	}
	list := strings.Fields(words)
	w := list[c.rng.IntN(len(list))]
	r := []byte(w)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return fmt.Sprintf("Type the word %q backwards.", w), string(r)
}

// CheckAnswer reports whether answer solves challenge id. Surrounding space
// and letter case are ignored. The challenge is used up whatever the answer;
// an unknown or used challenge reports false. It fails only when ctx is
// done.
func (c *Captcha) CheckAnswer(ctx context.Context, id, answer string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("check captcha: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	want, ok := c.pending[id]
	if !ok {
		return false, nil
	}
	delete(c.pending, id)
	for i, p := range c.order {
		if p == id {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	return normAnswer(answer) == want, nil
}
