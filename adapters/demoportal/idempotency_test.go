package demoportal

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// A call repeated under its idempotency key is answered with the first
// answer and done once: one code texted, however often the request is
// retried, and the ticket's count of codes sent is one.
func TestIdempotentCallsAreDoneOnce(t *testing.T) {
	p, _, sms := newPortal(t)
	ctx := bound(context.Background())
	s, err := p.PasswordSignIn(api.WithIdempotencyKey(ctx, "s1.2.1"), "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if err != nil || s.Status != actions.SignInNeedsCode {
		t.Fatalf("PasswordSignIn = %+v, %v", s, err)
	}
	again, err := p.PasswordSignIn(api.WithIdempotencyKey(ctx, "s1.2.1"), "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if err != nil || again.Ticket != s.Ticket {
		t.Fatalf("PasswordSignIn repeated = %+v, %v, want the first answer (ticket %s)", again, err, s.Ticket)
	}
	send := api.WithIdempotencyKey(ctx, "s1.3.1")
	first, err := p.SendCode(send, s.Ticket)
	if err != nil || first.Status != actions.SendSent {
		t.Fatalf("SendCode = %+v, %v", first, err)
	}
	for range 3 {
		d, err := p.SendCode(send, s.Ticket)
		if err != nil || d != first {
			t.Fatalf("SendCode repeated = %+v, %v, want %+v", d, err, first)
		}
	}
	if len(sms.codes) != 1 {
		t.Errorf("texted %d codes, want 1", len(sms.codes))
	}
	// Without a key, the same request is a new call: the cooldown holds.
	if d, _ := p.SendCode(ctx, s.Ticket); d.Status != actions.SendTooSoon {
		t.Errorf("SendCode without a key = %+v, want too_soon", d)
	}
}

// Another call under a used key is refused, whatever the operation; the
// portal changes nothing for it.
func TestReusedKeyIsRefused(t *testing.T) {
	p, _, sms := newPortal(t)
	ctx := api.WithIdempotencyKey(bound(context.Background()), "s1.2.1")
	if _, err := p.PasswordSignIn(ctx, "plain@example.com", "wrong", actions.CaptchaAnswer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{}); !errors.Is(err, api.ErrKeyReused) {
		t.Errorf("another password under a used key: error = %v, want ErrKeyReused", err)
	}
	if _, err := p.SendCode(ctx, "tkt-x"); !errors.Is(err, api.ErrKeyReused) {
		t.Errorf("another operation under a used key: error = %v, want ErrKeyReused", err)
	}
	if info, _, _ := p.Account(bound(context.Background()), "plain@example.com"); info.Guard.Failures != 1 {
		t.Errorf("failures = %d, want 1: the refused calls counted nothing", info.Guard.Failures)
	}
	if len(sms.codes) != 0 {
		t.Errorf("texted %v", sms.codes)
	}
}

// The answers kept under keys hold sessions and tokens: they are sealed,
// and a portal restarted on the same state (and keys) opens them.
func TestKeptAnswersAreSealed(t *testing.T) {
	fx, err := ParseFixture("fx.yaml", []byte(testFixture))
	if err != nil {
		t.Fatal(err)
	}
	clock, st := newClock(), NewMemoryState()
	p, err := New(fx, clock.Now, newRand(1), &fakeSMS{}, WithState(st))
	if err != nil {
		t.Fatal(err)
	}
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(api.WithIdempotencyKey(ctx, "s1.2.1"), "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	key := api.WithIdempotencyKey(ctx, "s1.3.1")
	conn, err := connect(key, p, s.Ticket)
	if err != nil || !conn.Connected {
		t.Fatalf("Connect = %+v, %v", conn, err)
	}
	for _, r := range st.m.keys {
		for _, secret := range []string{conn.Tokens.AccessToken, conn.Tokens.RefreshToken, s.Ticket, "plain-pw-1"} {
			if strings.Contains(string(r.Sealed), secret) || strings.Contains(r.Fingerprint, secret) {
				t.Errorf("kept call %s holds a secret in clear", r.Op)
			}
		}
	}
	restarted, err := New(fx, clock.Now, newRand(2), &fakeSMS{}, WithState(st))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := connect(key, restarted, s.Ticket); err != nil || !reflect.DeepEqual(again, conn) {
		t.Errorf("Connect repeated after a restart = %+v, %v, want %+v", again, err, conn)
	}
	keys, err := NewKeys(randReader{newRand(9)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(fx, clock.Now, newRand(2), &fakeSMS{}, WithState(st), WithKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(key, other, s.Ticket); err == nil {
		t.Error("a portal with other keys opened a kept answer")
	}
	// A day later the key is forgotten with the next keyed call: the repeat
	// is a new call, which finds the ticket used.
	clock.Advance(KeyTTL + time.Minute)
	restarted.CreateAccount(api.WithIdempotencyKey(ctx, "s2.1.1"), actions.NewAccount{Email: "n@example.com", Password: "pw", Country: "FR"})
	if again, err := connect(key, restarted, s.Ticket); err != nil || again.Connected {
		t.Errorf("Connect repeated after KeyTTL = %+v, %v, want a new call, refused", again, err)
	}
}

// A call is judged at the time its context carries, when it carries one.
func TestCallTimeFromContext(t *testing.T) {
	p, clock, _ := newPortal(t)
	ctx := bound(context.Background())
	// vendor-mail's session expires 2025-07-01; the clock is at 2025-06-01.
	mail, err := p.OtherApp(ctx, "vendor-mail")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := p.SSOSignIn(api.WithTime(ctx, time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)), mail.IDToken, mail.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn after the session expired = %+v, want denied", s)
	}
	if s, _ := p.SSOSignIn(ctx, mail.IDToken, mail.DeviceSecret); s.Status != actions.SignInOK {
		t.Errorf("SSOSignIn on the portal's clock (%s) = %+v, want ok", clock.Now(), s)
	}
}

// The seeded codes and tokens do not depend on whether calls carry keys:
// sealing draws from its own source.
func TestKeysDoNotChangeSeededDraws(t *testing.T) {
	run := func(keyed bool) (string, string) {
		fx, _ := ParseFixture("fx.yaml", []byte(testFixture))
		sms := &fakeSMS{}
		p, err := New(fx, newClock().Now, rand.New(rand.NewPCG(7, 7)), sms)
		if err != nil {
			t.Fatal(err)
		}
		ctx := func(k string) context.Context {
			if keyed {
				return api.WithIdempotencyKey(bound(context.Background()), k)
			}
			return bound(context.Background())
		}
		s, _ := p.PasswordSignIn(ctx("a"), "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
		p.SendCode(ctx("b"), s.Ticket)
		return s.Ticket, sms.last()
	}
	t1, c1 := run(false)
	t2, c2 := run(true)
	if t1 != t2 || c1 != c2 {
		t.Errorf("keyed calls drew ticket %s code %s, unkeyed %s %s", t2, c2, t1, c1)
	}
}
