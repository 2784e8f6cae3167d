package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *State {
	t.Helper()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Every record goes in and comes back as it was, in this transaction and
// after the file is opened again.
func TestRecordsRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "portal.db")
	st := open(t, path)
	acc := demoportal.AccountRecord{Email: "a@example.com", Country: "DE", Phone: "+49 1", Hash: []byte{1, 2, 3},
		Licences: []actions.Licence{{ID: "L", Plan: "Family", Name: "F", Expires: t0.Add(time.Hour)}}}
	g := demoportal.Guard{Failures: 2, WrongCodes: 1, LockedUntil: t0.Add(15 * time.Minute)}
	tk := demoportal.TicketRecord{Hash: "th", Account: acc.Email, State: demoportal.TicketAuthorised, Expires: t0, CodeHash: "ch", CodeExpires: t0, CodesSent: 2, LastSent: t0, Wrong: 1, Consent: "gdpr@1",
		Client: "tether", JKT: "jkt", Challenge: "ch", Scope: "openid", Issued: "ih"}
	grant := demoportal.GrantRecord{ID: "g1", Account: acc.Email, Client: "tether", JKT: "jkt", Scope: "openid", Gen: 3, Expires: t0.Add(time.Hour), Plan: "Family", Licence: "L"}
	key := demoportal.IdempotentRecord{KeyHash: "k1", Op: "sendCode", Fingerprint: "fp", Sealed: []byte("sealed"), At: t0}
	check := func(tx demoportal.Tx) {
		t.Helper()
		if got, ok, err := tx.Account(acc.Email); err != nil || !ok || !reflect.DeepEqual(got, acc) {
			t.Errorf("Account = %+v, %v, %v, want %+v", got, ok, err, acc)
		}
		if got, ok, err := tx.Guard(acc.Email); err != nil || !ok || !got.LockedUntil.Equal(g.LockedUntil) || got.Failures != 2 || got.WrongCodes != 1 {
			t.Errorf("Guard = %+v, %v, %v, want %+v", got, ok, err, g)
		}
		if got, ok, err := tx.Ticket("th"); err != nil || !ok || !reflect.DeepEqual(got, tk) {
			t.Errorf("Ticket = %+v, %v, %v, want %+v", got, ok, err, tk)
		}
		var got demoportal.GrantRecord
		if ok, err := tx.Record("grant", "g1", t0, &got); err != nil || !ok || !reflect.DeepEqual(got, grant) {
			t.Errorf("Record(grant) = %+v, %v, %v, want %+v", got, ok, err, grant)
		}
		if ok, err := tx.Record("grant", "g1", t0.Add(time.Hour), &got); err != nil || ok {
			t.Errorf("Record(grant) at its expiry = %v, %v, want none", ok, err)
		}
		if got, ok, err := tx.Idempotent("k1"); err != nil || !ok || !reflect.DeepEqual(got, key) {
			t.Errorf("Idempotent = %+v, %v, %v, want %+v", got, ok, err, key)
		}
		if sent, err := tx.SMSSent("phone:+49 1", t0.Add(-time.Hour)); err != nil || len(sent) != 2 || !sent[0].Equal(t0.Add(-time.Minute)) || !sent[1].Equal(t0) {
			t.Errorf("SMSSent = %v, %v, want two, oldest first", sent, err)
		}
		if sent, _ := tx.SMSSent("phone:+49 1", t0.Add(-time.Second)); len(sent) != 1 {
			t.Errorf("SMSSent since a second ago = %v, want the last one", sent)
		}
		for _, missing := range []func() (bool, error){
			func() (bool, error) { _, ok, err := tx.Account("b@example.com"); return ok, err },
			func() (bool, error) { _, ok, err := tx.Ticket("none"); return ok, err },
			func() (bool, error) { _, ok, err := tx.Idempotent("none"); return ok, err },
		} {
			if ok, err := missing(); ok || err != nil {
				t.Errorf("a missing record was found: %v, %v", ok, err)
			}
		}
	}
	err := st.Update(ctx, func(tx demoportal.Tx) error {
		for _, err := range []error{tx.PutAccount(acc), tx.PutGuard(acc.Email, g), tx.PutTicket(tk), tx.PutRecord("grant", "g1", grant, grant.Expires), tx.PutIdempotent(key),
			tx.AddSMS([]string{"phone:+49 1", "account:a@example.com"}, t0.Add(-time.Minute)), tx.AddSMS([]string{"phone:+49 1"}, t0)} {
			if err != nil {
				return err
			}
		}
		if n, err := tx.AddConsent(demoportal.ConsentRecord{Consent: actions.Consent{Account: acc.Email}, Ticket: "th"}); err != nil || n != 1 {
			t.Errorf("AddConsent = %d, %v, want 1", n, err)
		}
		if fresh, err := tx.UseCaptcha("cap-1", t0); err != nil || !fresh {
			t.Errorf("UseCaptcha the first time = %v, %v", fresh, err)
		}
		if fresh, err := tx.UseCaptcha("cap-1", t0); err != nil || fresh {
			t.Errorf("UseCaptcha again = %v, %v, want not fresh", fresh, err)
		}
		check(tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = open(t, path)
	st.Update(ctx, func(tx demoportal.Tx) error {
		check(tx)
		if n, _ := tx.AddConsent(demoportal.ConsentRecord{}); n != 2 {
			t.Errorf("the next consent after reopening = %d, want 2", n)
		}
		if err := tx.ForgetIdempotent(t0.Add(time.Second)); err != nil {
			t.Error(err)
		}
		if _, ok, _ := tx.Idempotent("k1"); ok {
			t.Error("ForgetIdempotent kept a call made before its time")
		}
		return nil
	})
}

// An Update whose fn fails changes nothing.
func TestFailedUpdateRollsBack(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "portal.db"))
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx demoportal.Tx) error {
		tx.PutAccount(demoportal.AccountRecord{Email: "a@example.com"})
		tx.AddSMS([]string{"k"}, t0)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	st.Update(ctx, func(tx demoportal.Tx) error {
		if _, ok, _ := tx.Account("a@example.com"); ok {
			t.Error("the failed update's account was kept")
		}
		if sent, _ := tx.SMSSent("k", time.Time{}); len(sent) != 0 {
			t.Error("the failed update's SMS was kept")
		}
		return nil
	})
}

func TestOpenRefusesOtherVersionsAndBadPaths(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec("PRAGMA user_version = 7")
	db.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "version 7") || !strings.Contains(err.Error(), path) {
		t.Errorf("Open(a file of version 7) = %v, want an error naming the file and the version", err)
	}
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "portal.db")
	if _, err := Open(context.Background(), bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open(%s) = %v, want an error naming it", bad, err)
	}
}

const fixture = `
portal:
  lockout_after: 3
  lockout_for: 15m
  sms_per_hour: 2
  resend_cooldown: 1s
accounts:
  - {email: sms@example.com, password: sms-pw-1, country: DE, phone: "+49 151 2345 1234"}
  - {email: plain@example.com, password: plain-pw-1, country: FR}
`

type sms struct{ n int }

func (s *sms) Send(context.Context, string, string) error { s.n++; return nil }

// A portal restarted on the same file keeps a lock, an account created
// through it and the SMS rate limit; an idempotent call is still answered
// as the first time.
func TestPortalRestartKeepsWhatHappened(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "portal.db")
	fx, err := demoportal.ParseFixture("fx.yaml", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	clock := func() time.Time { return now }
	start := func(seed uint64) (*demoportal.Portal, *State, *sms) {
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		out := &sms{}
		p, err := demoportal.New(fx, clock, rand.New(rand.NewPCG(seed, 1)), out, demoportal.WithState(st))
		if err != nil {
			t.Fatal(err)
		}
		return p, st, out
	}
	p, st, out := start(1)
	for range 3 {
		p.PasswordSignIn(ctx, "plain@example.com", "wrong", actions.CaptchaAnswer{})
	}
	if c, _ := p.CreateAccount(ctx, actions.NewAccount{Email: "new@example.com", Password: "New-pass-1", Country: "FR"}); c.Status != actions.CreateOK {
		t.Fatalf("CreateAccount = %+v", c)
	}
	for range 2 {
		s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
		if d, _ := p.SendCode(ctx, s.Ticket); d.Status != actions.SendSent {
			t.Fatalf("SendCode = %+v", d)
		}
	}
	if out.n != 2 {
		t.Fatalf("texted %d codes, want 2", out.n)
	}
	st.Close()

	now = now.Add(time.Minute)
	p, st, out = start(2)
	defer st.Close()
	if s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{}); s.Status == actions.SignInOK {
		t.Error("the lock did not survive the restart: the right password signed in")
	}
	if s, _ := p.PasswordSignIn(ctx, "new@example.com", "New-pass-1", actions.CaptchaAnswer{}); s.Status != actions.SignInOK {
		t.Errorf("the created account after the restart: sign-in = %+v, want ok", s)
	}
	s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if d, _ := p.SendCode(ctx, s.Ticket); d.Status != actions.SendTooSoon || d.Wait != time.Hour-time.Minute {
		t.Errorf("a third code within the hour, after the restart = %+v, want too_soon for 59m", d)
	}
	if out.n != 0 {
		t.Errorf("texted %d codes after the restart, want 0", out.n)
	}
	now = now.Add(15 * time.Minute)
	if s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{}); s.Status != actions.SignInOK {
		t.Errorf("after the lock ran out: sign-in = %+v, want ok", s)
	}
}
