package demoportal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

var (
	_ actions.Licences   = (*Portal)(nil)
	_ actions.Accounts   = (*Portal)(nil)
	_ actions.ConsentLog = (*Portal)(nil)
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func (c *fakeClock) Set(t time.Time)         { c.t = t }
func newClock() *fakeClock                   { return &fakeClock{t: t0} }
func newRand(seed uint64) *rand.Rand         { return rand.New(rand.NewPCG(seed, seed)) }
func (s *fakeSMS) last() string              { return s.codes[len(s.codes)-1] }
func (s *fakeSMS) Send(ctx context.Context, phone, text string) error {
	if s.err != nil {
		return s.err
	}
	s.phones = append(s.phones, phone)
	s.codes = append(s.codes, text[strings.LastIndexByte(text, ' ')+1:])
	return nil
}

// fakeSMS records the codes it is asked to send.
type fakeSMS struct {
	phones []string
	codes  []string
	err    error
}

const testFixture = `
portal:
  lockout_after: 3
  lockout_for: 10m
  code_length: 6
  code_ttl: 5m
  resend_cooldown: 30s
  max_codes: 3
  max_code_attempts: 3
  ticket_ttl: 15m
  token_ttl: 24h
accounts:
  - email: plain@example.com
    password: plain-pw-1
    country: FR
    licences:
      - {id: L-OLD, plan: Personal, name: Old, expires: 2025-01-01T00:00:00Z}
      - {id: L-1, plan: Personal, name: Personal, expires: 2026-01-01T00:00:00Z}
  - email: sms@example.com
    password: sms-pw-1
    country: DE
    phone: "+49 151 2345 1234"
  - email: locked@example.com
    password: locked-pw-1
    country: DE
    locked: true
sso:
  - {app: vendor-mail, account: sms@example.com, expires: 2025-07-01T00:00:00Z}
  - {app: vendor-photos, account: plain@example.com, expires: 2025-05-01T00:00:00Z}
`

func newPortal(t *testing.T) (*Portal, *fakeClock, *fakeSMS) {
	t.Helper()
	fx, err := ParseFixture("test.yaml", []byte(testFixture))
	if err != nil {
		t.Fatalf("ParseFixture() error = %v", err)
	}
	clock, sms := newClock(), &fakeSMS{}
	p, err := New(fx, clock.Now, newRand(1), sms)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return p, clock, sms
}

// smsTicket signs sms@example.com in and sends a code.
func smsTicket(t *testing.T, p *Portal) string {
	t.Helper()
	ctx := bound(context.Background())
	s, err := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if err != nil || s.Status != actions.SignInNeedsCode {
		t.Fatalf("PasswordSignIn(sms) = %+v, %v, want SignInNeedsCode", s, err)
	}
	d, err := p.SendCode(ctx, s.Ticket)
	if err != nil || d.Status != actions.SendSent {
		t.Fatalf("SendCode() = %+v, %v, want SendSent", d, err)
	}
	return s.Ticket
}

func TestPasswordSignIn(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	tests := []struct {
		email, password string
		want            actions.SignInStatus
		wantPhone       string
	}{
		{"plain@example.com", "plain-pw-1", actions.SignInOK, ""},
		{"  Plain@Example.com ", "plain-pw-1", actions.SignInOK, ""},
		{"sms@example.com", "sms-pw-1", actions.SignInNeedsCode, "+49 *** *** 12 34"},
		{"plain@example.com", "Plain-pw-1", actions.SignInDenied, ""},
		{"nobody@example.com", "plain-pw-1", actions.SignInDenied, ""},
		{"locked@example.com", "locked-pw-1", actions.SignInDenied, ""},
	}
	for _, tt := range tests {
		got, err := p.PasswordSignIn(ctx, tt.email, tt.password, actions.CaptchaAnswer{})
		if err != nil {
			t.Fatalf("PasswordSignIn(%q) error = %v", tt.email, err)
		}
		if got.Status != tt.want || got.PhoneMasked != tt.wantPhone {
			t.Errorf("PasswordSignIn(%q, %q) = %+v, want status %d phone %q", tt.email, tt.password, got, tt.want, tt.wantPhone)
		}
		if tt.want == actions.SignInDenied && (got.Ticket != "" || got.Account != "") {
			t.Errorf("denied PasswordSignIn(%q) = %+v, want no ticket or account", tt.email, got)
		}
		if tt.want != actions.SignInDenied && (got.Ticket == "" || got.Account != strings.ToLower(strings.TrimSpace(tt.email))) {
			t.Errorf("PasswordSignIn(%q) = %+v, want a ticket and the normalised account", tt.email, got)
		}
	}
}

func TestPasswordsAreHashed(t *testing.T) {
	p, _, _ := newPortal(t)
	m := p.state.(*MemoryState).m
	for email, a := range m.accounts {
		dump := fmt.Sprintf("%+v %s", a, a.Hash)
		if strings.Contains(dump, "-pw-1") {
			t.Errorf("account %s keeps its password in memory: %s", email, dump)
		}
		if !strings.HasPrefix(string(a.Hash), "$2a$") {
			t.Errorf("account %s hash = %q, want a bcrypt hash", email, a.Hash)
		}
	}

}

func TestLockout(t *testing.T) {
	ctx := bound(context.Background())
	signIn := func(p *Portal, pw string) actions.SignInStatus {
		s, err := p.PasswordSignIn(ctx, "plain@example.com", pw, actions.CaptchaAnswer{})
		if err != nil {
			t.Fatalf("PasswordSignIn() error = %v", err)
		}
		return s.Status
	}
	type step struct {
		advance  time.Duration
		password string
		want     actions.SignInStatus
	}
	const right, wrong = "plain-pw-1", "nope"
	tests := []struct {
		name  string
		steps []step
	}{
		{"below the threshold", []step{
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, right, actions.SignInOK},
		}},
		{"success resets the count", []step{
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, right, actions.SignInOK},
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, right, actions.SignInOK},
		}},
		{"locked at the threshold until lockout_for passes", []step{
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied},
			{0, right, actions.SignInDenied},
			{10*time.Minute - time.Second, right, actions.SignInDenied},
			{time.Second, right, actions.SignInOK},
		}},
		{"an expired lock starts the count again", []step{
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied},
			{10 * time.Minute, wrong, actions.SignInDenied}, {0, right, actions.SignInOK},
		}},
		{"wrong passwords while locked do not extend it", []step{
			{0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied},
			{5 * time.Minute, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied}, {0, wrong, actions.SignInDenied},
			{5 * time.Minute, right, actions.SignInOK},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clock, _ := newPortal(t)
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				if got := signIn(p, s.password); got != s.want {
					t.Fatalf("step %d (%s after %v): status = %d, want %d", i+1, s.password, s.advance, got, s.want)
				}
			}
		})
	}
}

func TestLockedInFixture(t *testing.T) {
	p, clock, _ := newPortal(t)
	ctx := bound(context.Background())
	if s, _ := p.PasswordSignIn(ctx, "locked@example.com", "locked-pw-1", actions.CaptchaAnswer{}); s.Status != actions.SignInDenied {
		t.Errorf("locked account at start: status = %d, want denied", s.Status)
	}
	clock.Advance(10 * time.Minute)
	if s, _ := p.PasswordSignIn(ctx, "locked@example.com", "locked-pw-1", actions.CaptchaAnswer{}); s.Status != actions.SignInOK {
		t.Errorf("locked account after lockout_for: status = %d, want ok", s.Status)
	}
}

func TestCodeExpiry(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want actions.CheckStatus
	}{
		{5*time.Minute - time.Second, actions.CheckOK},
		{5 * time.Minute, actions.CheckExpired},
	}
	for _, tt := range tests {
		t.Run(tt.wait.String(), func(t *testing.T) {
			p, clock, sms := newPortal(t)
			tkt := smsTicket(t, p)
			clock.Advance(tt.wait)
			got, err := p.CheckCode(bound(context.Background()), tkt, sms.last())
			if err != nil || got.Status != tt.want {
				t.Errorf("CheckCode() after %v = %+v, %v, want status %d", tt.wait, got, err, tt.want)
			}
		})
	}
}

func TestCodeSingleUse(t *testing.T) {
	p, _, sms := newPortal(t)
	ctx := bound(context.Background())
	tkt := smsTicket(t, p)
	if c, err := connect(ctx, p, tkt); err != nil || c.Connected {
		t.Errorf("Connect() before the code = %+v, %v, want not connected", c, err)
	}
	if got, _ := p.CheckCode(ctx, tkt, sms.last()); got.Status != actions.CheckOK {
		t.Fatalf("CheckCode(right) = %+v, want ok", got)
	}
	if got, _ := p.CheckCode(ctx, tkt, sms.last()); got.Status != actions.CheckExpired {
		t.Errorf("CheckCode(same code again) = %+v, want expired", got)
	}
	if got, _ := p.SendCode(ctx, tkt); got.Status != actions.SendLimit {
		t.Errorf("SendCode() on an authorised ticket = %+v, want limit", got)
	}
	c, err := connect(ctx, p, tkt)
	if err != nil || !c.Connected || c.Account != "sms@example.com" || c.Country != "DE" || c.Tokens.AccessToken == "" {
		t.Fatalf("Connect() = %+v, %v, want connected with a token", c, err)
	}
	if c2, _ := connect(ctx, p, tkt); c2.Connected || c2.Reason != "the sign-in was already used to connect a device" {
		t.Errorf("Connect() twice = %+v, want refused as already used", c2)
	}
}

func TestWrongCodeLimit(t *testing.T) {
	p, _, sms := newPortal(t)
	ctx := bound(context.Background())
	tkt := smsTicket(t, p)
	right := sms.last()
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	want := []actions.CodeCheck{
		{Status: actions.CheckWrong, AttemptsLeft: 2},
		{Status: actions.CheckWrong, AttemptsLeft: 1},
		{Status: actions.CheckBlocked},
	}
	for i, w := range want {
		if got, _ := p.CheckCode(ctx, tkt, wrong); got != w {
			t.Errorf("wrong code %d: CheckCode() = %+v, want %+v", i+1, got, w)
		}
	}
	if got, _ := p.CheckCode(ctx, tkt, right); got.Status != actions.CheckBlocked {
		t.Errorf("right code on a blocked ticket: CheckCode() = %+v, want blocked", got)
	}
	if got, _ := p.SendCode(ctx, tkt); got.Status != actions.SendLimit {
		t.Errorf("SendCode() on a blocked ticket = %+v, want limit", got)
	}
	if c, _ := connect(ctx, p, tkt); c.Connected {
		t.Errorf("Connect() on a blocked ticket connected")
	}
}

func TestResend(t *testing.T) {
	p, clock, sms := newPortal(t)
	ctx := bound(context.Background())
	tkt := smsTicket(t, p) // code 1 at t0
	first := sms.last()
	steps := []struct {
		advance time.Duration
		want    actions.CodeDelivery
	}{
		{0, actions.CodeDelivery{Status: actions.SendTooSoon, Wait: 30 * time.Second}},
		{10 * time.Second, actions.CodeDelivery{Status: actions.SendTooSoon, Wait: 20 * time.Second}},
		{20*time.Second - time.Millisecond, actions.CodeDelivery{Status: actions.SendTooSoon, Wait: time.Millisecond}},                   // the boundary
		{time.Millisecond, actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: "+49 *** *** 12 34", ExpiresIn: 5 * time.Minute}}, // code 2
		{time.Minute, actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: "+49 *** *** 12 34", ExpiresIn: 5 * time.Minute}},      // code 3
		{time.Minute, actions.CodeDelivery{Status: actions.SendLimit}},
		{0, actions.CodeDelivery{Status: actions.SendLimit}},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		got, err := p.SendCode(ctx, tkt)
		if err != nil || got != s.want {
			t.Errorf("step %d: SendCode() = %+v, %v, want %+v", i+1, got, err, s.want)
		}
	}
	if len(sms.codes) != 3 {
		t.Fatalf("sent %d codes, want 3", len(sms.codes))
	}
	// A new code replaces the previous one.
	if first != sms.last() {
		if got, _ := p.CheckCode(ctx, tkt, first); got.Status != actions.CheckWrong {
			t.Errorf("CheckCode(replaced code) = %+v, want wrong", got)
		}
	}
	if got, _ := p.CheckCode(ctx, tkt, sms.last()); got.Status != actions.CheckOK {
		t.Errorf("CheckCode(latest code) = %+v, want ok", got)
	}
}

func TestNoCodeSent(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	if got, _ := p.CheckCode(ctx, s.Ticket, "123456"); got.Status != actions.CheckExpired {
		t.Errorf("CheckCode() before any code = %+v, want expired", got)
	}
}

func TestSMSFailureLeavesTicket(t *testing.T) {
	p, clock, sms := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "sms@example.com", "sms-pw-1", actions.CaptchaAnswer{})
	sms.err = errors.New("gateway down")
	if _, err := p.SendCode(ctx, s.Ticket); !errors.Is(err, sms.err) {
		t.Fatalf("SendCode() error = %v, want it to wrap %v", err, sms.err)
	}
	sms.err = nil
	// Neither the cooldown nor the cap counted the failed send.
	for i := range 3 {
		if i > 0 {
			clock.Advance(time.Minute)
		}
		if got, _ := p.SendCode(ctx, s.Ticket); got.Status != actions.SendSent {
			t.Errorf("send %d after a failure: SendCode() = %+v, want sent", i+1, got)
		}
	}
}

func TestTicketExpiry(t *testing.T) {
	p, clock, sms := newPortal(t)
	ctx := bound(context.Background())
	tkt := smsTicket(t, p)
	clock.Advance(15 * time.Minute)
	if got, _ := p.CheckCode(ctx, tkt, sms.last()); got.Status != actions.CheckBlocked {
		t.Errorf("CheckCode() on an expired ticket = %+v, want blocked", got)
	}
	if got, _ := p.SendCode(ctx, tkt); got.Status != actions.SendLimit {
		t.Errorf("SendCode() on an expired ticket = %+v, want limit", got)
	}
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	clock.Advance(15 * time.Minute)
	if c, _ := connect(ctx, p, s.Ticket); c.Connected || c.Reason != "the sign-in has expired" {
		t.Errorf("Connect() on an expired ticket = %+v, want refused as expired", c)
	}
	if c, _ := connect(ctx, p, "tkt-made-up"); c.Connected || c.Reason != "the sign-in is unknown" {
		t.Errorf("Connect(unknown ticket) = %+v, want refused as unknown", c)
	}
}

func TestNativeSSO(t *testing.T) {
	p, clock, _ := newPortal(t)
	ctx := bound(context.Background())
	mail, err := p.OtherApp(ctx, "vendor-mail")
	if err != nil || mail.IDToken == "" || mail.DeviceSecret == "" || mail.Account != "sms@example.com" {
		t.Fatalf("OtherApp(vendor-mail) = %+v, %v", mail, err)
	}
	photos, _ := p.OtherApp(ctx, "vendor-photos")
	if _, err := p.OtherApp(ctx, "vendor-none"); !errors.Is(err, ErrNoSuchApp) {
		t.Errorf("OtherApp(unknown) error = %v, want ErrNoSuchApp", err)
	}
	tests := []struct {
		name       string
		id, secret string
		want       actions.SignInStatus
	}{
		{"valid", mail.IDToken, mail.DeviceSecret, actions.SignInOK},
		{"expired", photos.IDToken, photos.DeviceSecret, actions.SignInDenied},
		{"another app's ID token", photos.IDToken, mail.DeviceSecret, actions.SignInDenied},
		{"made up", "id", "ds", actions.SignInDenied},
		{"empty", "", "", actions.SignInDenied},
	}
	for _, tt := range tests {
		s, err := p.SSOSignIn(ctx, tt.id, tt.secret)
		if err != nil || s.Status != tt.want {
			t.Errorf("SSOSignIn(%s) = %+v, %v, want status %d", tt.name, s, err, tt.want)
		}
	}
	// A Native SSO sign-in needs no code, even for an account with a phone.
	s, _ := p.SSOSignIn(ctx, mail.IDToken, mail.DeviceSecret)
	c, err := connect(ctx, p, s.Ticket)
	if err != nil || !c.Connected || c.Account != "sms@example.com" || c.Tokens.DeviceSecret == "" {
		t.Fatalf("connect after SSOSignIn = %+v, %v, want connected to sms@example.com with a device secret", c, err)
	}
	// The connection's own sign-in works until token_ttl has passed.
	clock.Advance(24*time.Hour - time.Second)
	again, _ := p.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret)
	if again.Status != actions.SignInOK {
		t.Errorf("SSOSignIn(own sign-in) just before expiry = %+v, want ok", again)
	}
	// A fresh access token of the device (the first one expired hours
	// ago) authorises asking about its older refresh token.
	fresh, err := connect(ctx, p, again.Ticket)
	if err != nil || !fresh.Connected {
		t.Fatalf("connect again = %+v, %v", fresh, err)
	}
	if in, _ := p.Introspect(ctx, fresh.Tokens.AccessToken, c.Tokens.RefreshToken); !in.Active || in.Sub != "sms@example.com" {
		t.Errorf("Introspect(refresh token) just before expiry = %+v, want active", in)
	}
	if _, err := p.Introspect(ctx, c.Tokens.AccessToken, c.Tokens.RefreshToken); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Introspect authorised by an expired access token = %v, want ErrTokenRejected", err)
	}
	clock.Advance(time.Second)
	if s, _ := p.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn(own sign-in) at expiry = %+v, want denied", s)
	}
	if in, _ := p.Introspect(ctx, fresh.Tokens.AccessToken, c.Tokens.RefreshToken); in.Active {
		t.Errorf("Introspect(expired refresh token) = %+v, want not active", in)
	}
	// The fixture's session expires on 2025-07-01.
	clock.Set(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
	if s, _ := p.SSOSignIn(ctx, mail.IDToken, mail.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn(vendor-mail) on its expiry = %+v, want denied", s)
	}
}

func TestDeterministicCodes(t *testing.T) {
	run := func() []string {
		p, clock, sms := newPortal(t)
		for range 3 {
			smsTicket(t, p)
			clock.Advance(time.Minute)
		}
		return sms.codes
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("codes with the same seed = %v and %v, want equal", a, b)
	}
	for _, c := range a {
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Errorf("code %q, want 6 digits", c)
		}
	}
}

// connected signs in to an account without SMS authorisation and returns
// the access token it connects with.
func connected(t *testing.T, p *Portal, email, password string) string {
	t.Helper()
	ctx := bound(context.Background())
	s, err := p.PasswordSignIn(ctx, email, password, actions.CaptchaAnswer{})
	if err != nil || s.Status != actions.SignInOK {
		t.Fatalf("PasswordSignIn(%s) = %+v, %v", email, s, err)
	}
	c, err := connect(ctx, p, s.Ticket)
	if err != nil || !c.Connected {
		t.Fatalf("Connect = %+v, %v", c, err)
	}
	return c.Tokens.AccessToken
}

func TestLicences(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	tok := connected(t, p, "plain@example.com", "plain-pw-1")
	got, err := p.Licences(ctx, tok)
	if err != nil || len(got) != 2 || got[0].ID != "L-OLD" || got[1].ID != "L-1" {
		t.Errorf("Licences(plain's token) = %+v, %v, want L-OLD and L-1", got, err)
	}
	if _, err := p.Licences(ctx, "tok-made-up"); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Licences(made-up token) error = %v, want ErrTokenRejected", err)
	}
	a, err := p.Activate(ctx, tok, "L-OLD")
	if err != nil || a.Status != actions.ActivateInactive {
		t.Errorf("Activate(expired licence) = %+v, %v, want inactive", a, err)
	}
	a, err = p.Activate(ctx, tok, "L-1")
	if err != nil || a.Status != actions.ActivateActivated || a.Plan == "" || a.Licence != "L-1" {
		t.Errorf("Activate(L-1) = %+v, %v, want activated", a, err)
	}
	if in, _ := p.Introspect(ctx, tok, tok); !in.Active || in.Licence != "L-1" || in.Plan != a.Plan {
		t.Errorf("Introspect after activation = %+v, want licence L-1", in)
	}
	// The access token is bound to the device's key: without a proof of
	// it, it is refused.
	if _, err := p.Licences(api.WithBinding(ctx, api.Binding{Client: api.ClientID, JKT: "another-key"}), tok); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Licences with another key's proof: error = %v, want ErrTokenRejected", err)
	}
	if _, err := p.Activate(ctx, "tok-made-up", ""); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Activate(made-up token) error = %v, want ErrTokenRejected", err)
	}
}

func TestCreateAccount(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	tests := []struct {
		a    actions.NewAccount
		want actions.CreateStatus
	}{
		{actions.NewAccount{Email: "New@Example.com", Password: "n3w-password", Country: "BR"}, actions.CreateOK},
		{actions.NewAccount{Email: "new@example.com", Password: "other-pass-1", Country: "BR"}, actions.CreateExists},
		{actions.NewAccount{Email: "plain@example.com", Password: "other-pass-1", Country: "FR"}, actions.CreateExists},
		{actions.NewAccount{Email: "bad", Password: "other-pass-1", Country: "FR"}, actions.CreateInvalid},
		{actions.NewAccount{Email: "x@example.com", Password: "other-pass-1", Country: "ZZ"}, actions.CreateInvalid},
	}
	for _, tt := range tests {
		got, err := p.CreateAccount(ctx, tt.a)
		if err != nil || got.Status != tt.want {
			t.Errorf("CreateAccount(%s) = %+v, %v, want status %d", tt.a.Email, got, err, tt.want)
		}
	}
	s, _ := p.PasswordSignIn(ctx, "new@example.com", "n3w-password", actions.CaptchaAnswer{})
	if s.Status != actions.SignInOK {
		t.Errorf("PasswordSignIn(new account) = %+v, want ok", s)
	}
	c, _ := connect(ctx, p, s.Ticket)
	if l, err := p.Licences(ctx, c.Tokens.AccessToken); err != nil || len(l) != 0 {
		t.Errorf("Licences(new account) = %v, %v, want none", l, err)
	}
}

func TestRecordConsent(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	c := actions.Consent{Account: "plain@example.com", Document: "data-provisioning", Version: "2024-03", Region: "eu", AcceptedAt: t0}
	for i := 1; i <= 2; i++ {
		rec, err := p.RecordConsent(ctx, s.Ticket, c)
		if want := fmt.Sprintf("consent-%d", i); err != nil || !rec.Recorded || rec.ID != want {
			t.Errorf("RecordConsent() = %+v, %v, want %q", rec, err, want)
		}
	}
	if got := p.state.(*MemoryState).Consents(); len(got) != 2 || got[0].Consent != c {
		t.Errorf("Consents() = %+v, want two copies of %+v", got, c)
	}
	// A consent is tied to a live sign-in of its own account.
	for _, tt := range []struct{ ticket, account, want string }{
		{"tkt-forged", "plain@example.com", "the sign-in is unknown"},
		{"", "plain@example.com", "the sign-in is unknown"},
		{s.Ticket, "sms@example.com", "the sign-in is not this account's"},
	} {
		c.Account = tt.account
		rec, err := p.RecordConsent(ctx, tt.ticket, c)
		if err != nil || rec.Recorded || rec.Reason != tt.want {
			t.Errorf("RecordConsent(%q, %s) = %+v, %v, want refused: %s", tt.ticket, tt.account, rec, err, tt.want)
		}
	}
}
