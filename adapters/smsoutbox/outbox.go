// Package smsoutbox is the demo SMS gateway. Instead of sending a text
// message it writes a line for the person running the demo and remembers the
// code it carried, so that a scripted driver (an answers file, a test) can
// type it in.
//
//	out := smsoutbox.New(os.Stderr)
//	portal, err := demoportal.New(fx, clock, rng, out)
//	...
//	code := out.LastCode()
//
// The code in a text is, by convention, its last run of digits: the demo
// portal's texts read "Your account portal code is 123456".
package smsoutbox

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/tetherflow/tether/actions"
)

// Outbox is a demo SMS gateway writing to an io.Writer. It is safe for
// concurrent use.
type Outbox struct {
	mu      sync.Mutex
	w       io.Writer
	last    string
	byPhone map[string]string
	count   int
}

// New returns an outbox writing one line per text to w.
func New(w io.Writer) *Outbox {
	return &Outbox{w: w, byPhone: make(map[string]string)}
}

// Send "sends" text to phone: it writes
//
//	demo SMS to +49 *** *** 12 34: Your account portal code is 123456
//
// to the outbox's writer (the phone masked) and remembers the text's code.
// It returns the writer's error.
func (o *Outbox) Send(ctx context.Context, phone, text string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("demo SMS: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.count++
	if code := Code(text); code != "" {
		o.last = code
		o.byPhone[phone] = code
	}
	if _, err := fmt.Fprintf(o.w, "demo SMS to %s: %s\n", actions.MaskPhone(phone), text); err != nil {
		return fmt.Errorf("demo SMS: %w", err)
	}
	return nil
}

// LastCode returns the code of the last text sent to any phone, or "" when
// none carried one.
func (o *Outbox) LastCode() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// LastCodeFor returns the code of the last text sent to phone, given as it
// was passed to Send.
func (o *Outbox) LastCodeFor(phone string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byPhone[phone]
}

// Sent returns how many texts were sent.
func (o *Outbox) Sent() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count
}

// Code returns the last run of ASCII digits in text, or "" when it has none.
func Code(text string) string {
	end := -1
	for i := len(text) - 1; i >= 0; i-- {
		isDigit := text[i] >= '0' && text[i] <= '9'
		if isDigit && end < 0 {
			end = i + 1
		}
		if !isDigit && end >= 0 {
			return text[i+1 : end]
		}
	}
	if end >= 0 {
		return text[:end]
	}
	return ""
}
