package demoportal

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// keyedFlow waits at a prompt, then runs portal.call with the answer's
// note, which calls the portal under the step's idempotency keys.
const keyedFlow = `
flow: k
start: wait
states:
  wait:
    ask:
      text: go
      fields:
        note: {type: text}
      choices: [go]
    on: {go: call}
  call:
    run: portal.call
    with: {note: input.note}
    on: {ok: done, unavailable: done}
  done: {final: done}
`

// stepTwice restores one snapshot twice and takes the same step from it,
// with the same answer, as a server does when a step is run again after a
// crash: call runs in both steps under the same keys.
func stepTwice(t *testing.T, call func(ctx context.Context) error) {
	t.Helper()
	stepWith(t, []string{"same", "same"}, func(ctx context.Context, _ string) error { return call(ctx) })
}

// stepWith restores one snapshot once per answer and takes the step with
// that answer as the prompt's note; call is given it.
func stepWith(t *testing.T, answers []string, call func(ctx context.Context, note string) error) {
	t.Helper()
	spec := engine.Spec{Name: "portal.call", Outcomes: []string{"ok"}, Remote: true,
		Params: []engine.Param{{Name: "note", Kind: value.String, Required: true}}}
	reg, err := engine.NewRegistry(engine.Func(spec, func(ctx context.Context, args engine.Args) (engine.Result, error) {
		return engine.Result{Outcome: "ok"}, call(ctx, args["note"].(string))
	}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := syntax.Load("k.yaml", []byte(keyedFlow))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := bound(context.Background())
	s, err := fl.Start(ctx, engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	for _, a := range answers {
		r, err := fl.Restore(ctx, snap, engine.Ports{Actions: reg})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Send(ctx, "go", map[string]any{"note": a}); err != nil || r.Err() != nil {
			t.Fatalf("step: %v %v", err, r.Err())
		}
	}
}

func TestKeyedCallAnsweredOnce(t *testing.T) {
	p, _, sms := newPortal(t)
	var replayed []bool
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	var got []actions.CodeDelivery
	stepTwice(t, func(ctx context.Context) error {
		again := false
		d, err := p.SendCode(api.WithReplayNotice(ctx, func() { again = true }), s.Ticket)
		got, replayed = append(got, d), append(replayed, again)
		return err
	})
	if len(sms.codes) != 1 {
		t.Errorf("the step run twice sent %d texts, want 1", len(sms.codes))
	}
	if len(got) != 2 || got[0] != got[1] || got[0].Status != actions.SendSent {
		t.Errorf("answers = %+v, want the same SendSent twice", got)
	}
	if len(replayed) != 2 || replayed[0] || !replayed[1] {
		t.Errorf("replayed = %v, want the second call said replayed", replayed)
	}
	// Without a key (a call outside a session), a second request is a
	// second call: the cooldown refuses it.
	if d, _ := p.SendCode(ctx, s.Ticket); d.Status != actions.SendTooSoon {
		t.Errorf("an unkeyed second SendCode = %+v, want SendTooSoon", d)
	}
}

// Another answer from the same version (the first step never saved)
// gets other keys: its calls are new calls, not a reused key.
func TestKeyedCallOtherAnswer(t *testing.T) {
	p, _, _ := newPortal(t)
	var statuses []actions.SignInStatus
	stepWith(t, []string{"wrong-pw", "plain-pw-1"}, func(ctx context.Context, pw string) error {
		s, err := p.PasswordSignIn(ctx, "plain@example.com", pw, actions.CaptchaAnswer{})
		statuses = append(statuses, s.Status)
		return err
	})
	if len(statuses) != 2 || statuses[0] != actions.SignInDenied || statuses[1] != actions.SignInOK {
		t.Errorf("statuses = %v, want denied then ok", statuses)
	}
}

// A connection's token is in the answer the portal remembers: the record
// holds it sealed, never in clear.
func TestKeyedCallSealed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.json")
	st, err := OpenFileState(path, newClock().Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx, _ := ParseFixture("test.yaml", []byte(testFixture))
	p, err := New(fx, newClock().Now, newRand(1), &fakeSMS{}, WithState(st))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	var conns []actions.Connection
	stepTwice(t, func(ctx context.Context) error {
		c, err := connect(ctx, p, s.Ticket)
		conns = append(conns, c)
		return err
	})
	if len(conns) != 2 || !conns[0].Connected || !reflect.DeepEqual(conns[0], conns[1]) {
		t.Fatalf("connections = %+v, want the same one twice", conns)
	}
	data, _ := os.ReadFile(path)
	for _, secret := range []string{conns[0].Tokens.AccessToken, conns[0].Tokens.RefreshToken, s.Ticket, "plain-pw-1"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the state file holds %q in clear", secret)
		}
	}
}

func TestFileState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "portal.json")
	var delivered []Message
	open := func() *FileState {
		st, err := OpenFileState(path, newClock().Now, func(m Message) { delivered = append(delivered, m) })
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	fx, _ := ParseFixture("test.yaml", []byte(testFixture))
	p, err := New(fx, newClock().Now, newRand(1), st.SMS(), WithState(st))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if d, err := p.SendCode(ctx, s.Ticket); err != nil || d.Status != actions.SendSent {
		t.Fatalf("SendCode = %+v, %v", d, err)
	}
	if len(delivered) != 1 || delivered[0].Phone != "+49 151 2345 1234" {
		t.Fatalf("delivered = %+v, want the text to the account's phone", delivered)
	}
	// A failed update writes nothing and delivers nothing.
	boom := os.ErrInvalid
	if err := st.Update(ctx, func(tx Tx) error {
		st.SMS().Send(ctx, "+1 555 0100", "lost")
		tx.PutGuard("x@example.com", Guard{Failures: 9})
		return boom
	}); err != boom {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if err := st.SMS().Send(ctx, "+1 555 0100", "outside"); err == nil {
		t.Errorf("a text sent outside an update was taken")
	}
	// Reopened (a restarted process), the portal knows the ticket and its
	// code, and the outbox holds the one text.
	st2 := open()
	p2, err := New(fx, newClock().Now, newRand(2), st2.SMS(), WithState(st2))
	if err != nil {
		t.Fatal(err)
	}
	code := delivered[0].Text[strings.LastIndexByte(delivered[0].Text, ' ')+1:]
	if c, err := p2.CheckCode(ctx, s.Ticket, code); err != nil || c.Status != actions.CheckOK {
		t.Errorf("after reopening, CheckCode = %+v, %v; want ok", c, err)
	}
	box, err := ReadOutbox(path)
	if err != nil || len(box) != 1 || len(delivered) != 1 {
		t.Errorf("outbox %+v (%v), delivered %d; want the one text", box, err, len(delivered))
	}
	info, _, _ := p2.Account(ctx, "x@example.com")
	if info.Guard.Failures != 0 {
		t.Errorf("the failed update's write was kept")
	}
}

// Reads are not keyed: a step run again lists the licences afresh, not a
// remembered answer (a keyed read once answered the second run with
// nothing, and the crash test's sessions went on to the Free plan).
func TestReadsNotKeyed(t *testing.T) {
	p, _, _ := newPortal(t)
	tok := connected(t, p, "plain@example.com", "plain-pw-1")
	var counts []int
	replays := 0
	stepTwice(t, func(ctx context.Context) error {
		ls, err := p.Licences(api.WithReplayNotice(ctx, func() { replays++ }), tok)
		counts = append(counts, len(ls))
		return err
	})
	if len(counts) != 2 || counts[0] == 0 || counts[1] != counts[0] {
		t.Errorf("licences listed by the step and its rerun: %v, want the same non-zero count twice", counts)
	}
	if replays != 0 {
		t.Errorf("a read was answered again from a key %d times", replays)
	}
}
