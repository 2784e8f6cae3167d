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
//
// A portal in another process (tether portal serve) also keeps a journal:
// a file of JSON lines, one Record per code texted and per CAPTCHA answer
// the demo portal disclosed, which a scripted run reads for its answers
// file's {{sms}} and {{captcha}} (Last).
package smsoutbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tetherflow/tether/actions"
)

// Outbox is a demo SMS gateway writing to an io.Writer. It is safe for
// concurrent use.
type Outbox struct {
	mu      sync.Mutex
	w       io.Writer
	journal io.Writer // nil: none
	now     func() time.Time
	last    string
	byPhone map[string]string
	count   int
}

// Option configures New.
type Option func(*Outbox)

// WithJournal also writes a Record to w, as a JSON line, for every code
// texted and every CAPTCHA answer noted; now stamps them.
func WithJournal(w io.Writer, now func() time.Time) Option {
	return func(o *Outbox) { o.journal, o.now = w, now }
}

// New returns an outbox writing one line per text to w.
func New(w io.Writer, opts ...Option) *Outbox {
	o := &Outbox{w: w, byPhone: make(map[string]string)}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Record is one line of a journal.
type Record struct {
	Kind   string `json:"kind"`             // "sms" or "captcha"
	Phone  string `json:"phone,omitempty"`  // sms: the phone, masked
	Code   string `json:"code,omitempty"`   // sms: the code texted
	ID     string `json:"id,omitempty"`     // captcha: the challenge
	Answer string `json:"answer,omitempty"` // captcha: its answer
	// sso: another application's Native SSO sign-in on the device.
	SSO *actions.Credential `json:"sso,omitempty"`
	At  time.Time           `json:"at"`
}

// The kinds of Record.
const (
	KindSMS     = "sms"
	KindCaptcha = "captcha"
	KindSSO     = "sso"
)

// record writes r to the journal; the caller holds o.mu.
func (o *Outbox) record(r Record) error {
	if o.journal == nil {
		return nil
	}
	r.At = o.now().UTC()
	b, _ := json.Marshal(r)
	_, err := o.journal.Write(append(b, '\n'))
	return err
}

// NoteCaptcha writes the answer to the CAPTCHA challenge id to the
// journal, for a scripted run's {{captcha}}: the demo portal's notice
// (demoportal.WithCaptchaNotice).
func (o *Outbox) NoteCaptcha(id, answer string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.record(Record{Kind: KindCaptcha, ID: id, Answer: answer})
}

// NoteSignIn writes another application's Native SSO sign-in to the
// journal, for tether run --other-app against a portal in another
// process. It holds an ID token and a device secret: a journal is a demo's,
// kept like the SMS codes it holds.
func (o *Outbox) NoteSignIn(c actions.Credential) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.record(Record{Kind: KindSSO, SSO: &c})
}

// Last returns the last record of kind in the journal r.
func Last(r io.Reader, kind string) (Record, bool, error) {
	return LastWhere(r, kind, func(Record) bool { return true })
}

// LastWhere returns the last record of kind in the journal r that keep
// takes.
func LastWhere(r io.Reader, kind string, keep func(Record) bool) (Record, bool, error) {
	var last Record
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec Record
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Kind == kind && keep(rec) {
			last, found = rec, true
		}
	}
	return last, found, sc.Err()
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
	code := Code(text)
	if code != "" {
		o.last = code
		o.byPhone[phone] = code
	}
	if _, err := fmt.Fprintf(o.w, "demo SMS to %s: %s\n", actions.MaskPhone(phone), text); err != nil {
		return fmt.Errorf("demo SMS: %w", err)
	}
	if err := o.record(Record{Kind: KindSMS, Phone: actions.MaskPhone(phone), Code: code}); err != nil {
		return fmt.Errorf("demo SMS journal: %w", err)
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
