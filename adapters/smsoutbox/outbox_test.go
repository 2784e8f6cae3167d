package smsoutbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestCode(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Your account portal code is 123456", "123456"},
		{"Code 0042.", "0042"},
		{"123 then 456789 and done", "456789"},
		{"987", "987"},
		{"no code here", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Code(tt.text); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestSend(t *testing.T) {
	ctx := context.Background()
	var out strings.Builder
	o := New(&out)
	steps := []struct{ phone, text string }{
		{"+49 151 2345 1234", "Your account portal code is 111111"},
		{"+55 11 98765 4321", "Your account portal code is 222222"},
		{"+49 151 2345 1234", "Your account portal code is 333333"},
	}
	for _, s := range steps {
		if err := o.Send(ctx, s.phone, s.text); err != nil {
			t.Fatalf("Send() error = %v", err)
		}
	}
	want := "demo SMS to +49 *** *** 12 34: Your account portal code is 111111\n" +
		"demo SMS to +55 *** *** 43 21: Your account portal code is 222222\n" +
		"demo SMS to +49 *** *** 12 34: Your account portal code is 333333\n"
	if got := out.String(); got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}
	if got := o.LastCode(); got != "333333" {
		t.Errorf("LastCode() = %q, want 333333", got)
	}
	if got := o.LastCodeFor("+55 11 98765 4321"); got != "222222" {
		t.Errorf("LastCodeFor(BR) = %q, want 222222", got)
	}
	if got := o.LastCodeFor("+1 555 0100"); got != "" {
		t.Errorf("LastCodeFor(unknown) = %q, want empty", got)
	}
	if got := o.Sent(); got != 3 {
		t.Errorf("Sent() = %d, want 3", got)
	}
}

func TestSendErrors(t *testing.T) {
	if err := New(failingWriter{}).Send(context.Background(), "+49 1", "code 1"); err == nil {
		t.Errorf("Send() to a broken writer error = nil, want one")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	if err := New(&out).Send(ctx, "+49 1", "code 1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Send() with a cancelled context error = %v, want context.Canceled", err)
	}
	if out.Len() != 0 {
		t.Errorf("cancelled Send wrote %q", out.String())
	}
}

// The journal holds a line per code texted and per CAPTCHA answer, which
// Last finds again; the phone is masked.
func TestJournal(t *testing.T) {
	var shown, journal strings.Builder
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	o := New(&shown, WithJournal(&journal, func() time.Time { return at }))
	ctx := context.Background()
	o.Send(ctx, "+49 151 2345 1234", "Your account portal code is 111111")
	o.NoteCaptcha("cap-1.sig", "12")
	o.Send(ctx, "+49 151 2345 1234", "Your account portal code is 222222")
	sms, ok, err := Last(strings.NewReader(journal.String()), KindSMS)
	if err != nil || !ok || sms.Code != "222222" || sms.Phone != "+49 *** *** 12 34" || !sms.At.Equal(at) {
		t.Errorf("Last(sms) = %+v, %v, %v, want the second code to the masked phone", sms, ok, err)
	}
	c, ok, _ := Last(strings.NewReader(journal.String()), KindCaptcha)
	if !ok || c.ID != "cap-1.sig" || c.Answer != "12" {
		t.Errorf("Last(captcha) = %+v, %v", c, ok)
	}
	if strings.Contains(journal.String(), "2345 1234") {
		t.Errorf("the journal holds the phone in clear:\n%s", journal.String())
	}
	if _, ok, _ := Last(strings.NewReader("not json\n"), KindSMS); ok {
		t.Error("Last found a record in a line that is not one")
	}
}
