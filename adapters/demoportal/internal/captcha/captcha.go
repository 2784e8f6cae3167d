// Package captcha draws the demo portal's CAPTCHA challenges: small sums
// ("What is 7 plus 5?") and words to type backwards, which a person can
// solve in a terminal. Challenges come from an injected random source, so
// a seeded source gives the same challenges every run.
//
// A challenge's ID is signed: it carries an HMAC of the answer under the
// portal's CAPTCHA key, so that the portal checks an answer sent with a
// sign-in without keeping the challenges it handed out (as a site checks a
// CAPTCHA provider's token). The portal keeps the IDs it has accepted, so
// that each is used once.
//
//	c := captcha.New(rand.New(rand.NewPCG(1, 2)), []byte(captcha.DemoKey))
//	ch, answer := c.Draw()                          // ch.Text: "What is 7 plus 5?", answer "12"
//	ok := captcha.Verify([]byte(captcha.DemoKey), ch.ID, "12")
package captcha

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tetherflow/tether/actions"
)

// words are the words a person may be asked to type backwards: short,
// common, and free of letters that are easily confused.
const words = "garden river window bottle candle forest orange pocket silver tunnel " +
	"basket rocket meadow lantern harbor pepper violin marble island butter"

// DemoKey is the key the demo portal signs challenges with unless its
// fixture gives another. It is public, so a demo CAPTCHA stops nobody; a
// deployment sets its own.
const DemoKey = "tether-demo-captcha-key"

// Issuer draws signed challenges. It is not safe for concurrent use: the
// portal calls it under its lock.
type Issuer struct {
	rng *rand.Rand
	key []byte
}

// New returns an issuer drawing challenges from rng and signing them with
// key.
func New(rng *rand.Rand, key []byte) *Issuer {
	return &Issuer{rng: rng, key: key}
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

// Draw returns a new challenge and its answer. Its question is a
// message of the portal's too (captcha.plus, captcha.minus,
// captcha.times with a and b; captcha.backwards with word), for a client
// to ask in its user's language.
func (c *Issuer) Draw() (actions.Challenge, string) {
	id := fmt.Sprintf("cap-%08x", c.rng.Uint32())
	text, msg, answer := c.draw()
	return actions.Challenge{ID: id + "." + sign(c.key, id, answer), Text: text, Message: msg}, answer
}

// draw returns a challenge's text, its message and its answer.
func (c *Issuer) draw() (text string, msg actions.PortalText, answer string) {
	sum := func(op string, a, b, result int) (string, actions.PortalText, string) {
		return fmt.Sprintf("What is %d %s %d?", a, op, b),
			actions.PortalText{ID: "captcha." + op, Params: map[string]any{"a": a, "b": b}}, fmt.Sprint(result)
	}
	switch c.rng.IntN(4) {
	case 0:
		a, b := 2+c.rng.IntN(9), 2+c.rng.IntN(9)
		return sum("plus", a, b, a+b)
	case 1:
		a, b := 10+c.rng.IntN(10), 1+c.rng.IntN(9)
		return sum("minus", a, b, a-b)
	case 2:
		a, b := 2+c.rng.IntN(8), 2+c.rng.IntN(8)
		return sum("times", a, b, a*b)
	}
	list := strings.Fields(words)
	w := list[c.rng.IntN(len(list))]
	r := []byte(w)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return fmt.Sprintf("Type the word %q backwards.", w),
		actions.PortalText{ID: "captcha.backwards", Params: map[string]any{"word": w}}, string(r)
}
