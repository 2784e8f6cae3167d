// Package captcha hands out captchas a person can solve in a terminal:
// small sums ("What is 7 plus 5?") and words to type backwards. Challenges
// come from an injected random source, so a seeded source gives the same
// challenges every run, and each can be answered once.
//
//	c := captcha.New(rand.New(rand.NewPCG(1, 2)))
//	ch, _ := c.NewChallenge(ctx)     // ch.Text: "What is 7 plus 5?"
//	ok, _ := c.CheckAnswer(ctx, ch.ID, "12")
package captcha

import (
	"context"
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

// Captcha is a store of pending challenges. It is safe for concurrent use.
type Captcha struct {
	mu      sync.Mutex
	rng     *rand.Rand
	pending map[string]string // id -> answer
	order   []string          // ids, oldest first
	last    string            // the answer to the newest challenge
}

// New returns a captcha drawing challenges from rng.
func New(rng *rand.Rand) *Captcha {
	return &Captcha{rng: rng, pending: make(map[string]string)}
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
	return strings.EqualFold(strings.TrimSpace(answer), want), nil
}
