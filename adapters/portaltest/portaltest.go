// Package portaltest is the contract of the account portal's ports: one
// suite that every implementation must pass — the demo portal in process,
// and the HTTP client talking to portalserver in front of it — with the
// same assertions, on the shipped demo fixture (flows/demo/portal.yaml,
// whose thresholds come from connect.yaml's regional policy).
//
//	func TestContract(t *testing.T) {
//		portaltest.Run(t, func(t *testing.T) portaltest.Harness { return newHarness(t) })
//	}
//
// The suite checks what the portal, not the device, must enforce: failure
// counting and lockout per account across clients, the CAPTCHA it demands
// and cannot be skipped, the thresholds of the account's region, code
// lifetime, resend cooldown and cap, the SMS rate limit, the wrong-code
// limit across sign-ins, consent tied to the sign-in, device tokens
// checked on every use, and, for a harness that can restart its portal,
// that a restart forgets none of it.
package portaltest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// Portal is what the suite calls: the actions' portal ports, as one
// device reaches the portal, and what tether status and disconnect ask of
// it.
type Portal interface {
	actions.Portal
	actions.Licences
	actions.Accounts
	actions.ConsentLog
	actions.Captcha
	// Introspect says whether the portal takes a token (RFC 7662),
	// authorised by the device's access token access.
	Introspect(ctx context.Context, access, token string) (api.Introspection, error)
	// Revoke revokes a token's grant (RFC 7009).
	Revoke(ctx context.Context, token string) error
}

// Harness is one portal under test, started on the shipped demo fixture
// with its clock at Start.
type Harness interface {
	// Client returns a client of the portal. Each call may return a new
	// one (another device): what one client did, the others see.
	Client() Portal
	// Advance moves the portal's clock on.
	Advance(d time.Duration)
	// Codes returns the codes the portal texted to phone (as the fixture
	// writes it), oldest first: what the SMS gateway counted.
	Codes(phone string) []string
	// CaptchaAnswer returns the answer to the challenge id.
	CaptchaAnswer(id string) string
	// Restart stops the portal and starts it again on the same state,
	// or reports false when the harness cannot.
	Restart(t *testing.T) bool
	// OtherApp returns the Native SSO sign-in the fixture gives the
	// vendor application app, as the portal issues it.
	OtherApp(t *testing.T, app string) actions.Credential
}

// Start is the time a harness's clock starts at.
var Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// The shipped fixture's accounts the suite uses.
const (
	familyPhone = "+49 151 2345 1234"
)

// Run runs the suite; newHarness starts a fresh portal for each test.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"SignIn", testSignIn},
		{"CaptchaAfterFailures", testCaptchaAfterFailures},
		{"CaptchaCannotBeSkipped", testCaptchaCannotBeSkipped},
		{"ClientsShareFailures", testClientsShareFailures},
		{"StrictLocksAtFour", testStrictLocksAtFour},
		{"CodeLifetimeAndResend", testCodeLifetimeAndResend},
		{"SMSRateLimit", testSMSRateLimit},
		{"WrongCodeLimitAcrossSignIns", testWrongCodeLimitAcrossSignIns},
		{"ConnectAndActivate", testConnectAndActivate},
		{"ForgedTokenRefused", testForgedTokenRefused},
		{"ForgedConsentRefused", testForgedConsentRefused},
		{"CreateAccount", testCreateAccount},
		{"RestartForgetsNothing", testRestart},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newHarness(t)) })
	}
}

var ctx = context.Background()

// signIn signs in by password and fails the test on an error.
func signIn(t *testing.T, p Portal, email, password string, c actions.CaptchaAnswer) actions.SignIn {
	t.Helper()
	s, err := p.PasswordSignIn(ctx, email, password, c)
	if err != nil {
		t.Fatalf("PasswordSignIn(%s) error = %v", email, err)
	}
	return s
}

// solved returns a new challenge, answered right.
func solved(t *testing.T, h Harness, p Portal) actions.CaptchaAnswer {
	t.Helper()
	ch, err := p.NewChallenge(ctx)
	if err != nil || ch.ID == "" || ch.Text == "" {
		t.Fatalf("NewChallenge = %+v, %v", ch, err)
	}
	return actions.CaptchaAnswer{ID: ch.ID, Answer: h.CaptchaAnswer(ch.ID)}
}

func testSignIn(t *testing.T, h Harness) {
	p := h.Client()
	s := signIn(t, p, "solo@example.com", "Solo-pass-2024", actions.CaptchaAnswer{})
	j := s.Jurisdiction
	if s.Status != actions.SignInOK || s.Account != "solo@example.com" || s.Ticket == "" || j.Country != "FR" || j.Region != "eu" || !j.ConsentRequired || j.Document == "" || j.Version == "" {
		t.Errorf("solo@ = %+v, want ok, a ticket, and France's jurisdiction with its consent", s)
	}
	s = signIn(t, p, "  FAMILY@example.com ", "Family-pass-2024", actions.CaptchaAnswer{})
	if s.Status != actions.SignInNeedsCode || s.Account != "family@example.com" || s.PhoneMasked != "+49 *** *** 12 34" || s.Jurisdiction.Region != "eu-de" {
		t.Errorf("family@ = %+v, want needs_code to +49 *** *** 12 34, region eu-de", s)
	}
	s = signIn(t, p, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	if s.Status != actions.SignInOK || s.Jurisdiction.Country != "US" || s.Jurisdiction.ConsentRequired {
		t.Errorf("free@ = %+v, want ok in the US without consent", s)
	}
	for _, bad := range []struct{ email, password string }{
		{"solo@example.com", "solo-pass-2024"},
		{"nobody@example.com", "Solo-pass-2024"},
		{"locked@example.com", "Locked-pass-2024"},
	} {
		if s := signIn(t, p, bad.email, bad.password, actions.CaptchaAnswer{}); s.Status != actions.SignInDenied || s.Ticket != "" || s.Account != "" {
			t.Errorf("%s with %s = %+v, want denied, telling nothing", bad.email, bad.password, s)
		}
	}
	mail := h.OtherApp(t, "vendor-mail")
	if s, err := p.SSOSignIn(ctx, mail.IDToken, mail.DeviceSecret); err != nil || s.Status != actions.SignInOK || s.Account != "family@example.com" || s.Ticket == "" {
		t.Errorf("SSOSignIn(vendor-mail's sign-in) = %+v, %v, want ok for family@ with a session", s, err)
	}
	photos := h.OtherApp(t, "vendor-photos")
	if s, err := p.SSOSignIn(ctx, photos.IDToken, photos.DeviceSecret); err != nil || s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn(an expired sign-in) = %+v, %v, want denied", s, err)
	}
}

// The default region asks for a CAPTCHA after three failures; the answer
// goes with the password, is judged by the portal, and works once.
func testCaptchaAfterFailures(t *testing.T, h Harness) {
	p := h.Client()
	for i := 1; i <= 3; i++ {
		s := signIn(t, p, "free@example.com", "wrong", actions.CaptchaAnswer{})
		if s.Status != actions.SignInDenied || s.CaptchaRequired != (i >= 3) {
			t.Fatalf("wrong password %d = %+v, want denied, CAPTCHA required from the third", i, s)
		}
	}
	ch, err := p.NewChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := signIn(t, p, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{ID: ch.ID, Answer: h.CaptchaAnswer(ch.ID) + "0"}); s.Status != actions.SignInCaptcha || !s.CaptchaWrong {
		t.Errorf("a wrong answer = %+v, want captcha (wrong)", s)
	}
	forged := actions.CaptchaAnswer{ID: "cap-00000001.0123456789abcdef01234567", Answer: "12"}
	if s := signIn(t, p, "free@example.com", "Free-pass-2024", forged); s.Status != actions.SignInCaptcha {
		t.Errorf("a challenge the portal never signed = %+v, want captcha", s)
	}
	right := solved(t, h, p)
	if s := signIn(t, p, "free@example.com", "Free-pass-2024", right); s.Status != actions.SignInOK {
		t.Errorf("the right answer and password = %+v, want ok", s)
	}
	// Used once: the same answer again does not count, even where a
	// CAPTCHA is required again.
	for range 3 {
		signIn(t, p, "free@example.com", "wrong", solved(t, h, p))
	}
	if s := signIn(t, p, "free@example.com", "Free-pass-2024", right); s.Status != actions.SignInCaptcha {
		t.Errorf("a used answer = %+v, want captcha", s)
	}
}

// A client that sends no answer cannot get past the CAPTCHA, even with
// the right password; the refusal neither counts as a failure nor resets
// the count.
func testCaptchaCannotBeSkipped(t *testing.T, h Harness) {
	p := h.Client()
	// almost@example.com has four failures already.
	for range 10 {
		if s := signIn(t, p, "almost@example.com", "Almost-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInCaptcha || s.CaptchaWrong {
			t.Fatalf("the right password without an answer = %+v, want captcha (missing)", s)
		}
	}
	// Still four: one more wrong password locks it.
	signIn(t, p, "almost@example.com", "wrong", solved(t, h, p))
	if s := signIn(t, p, "almost@example.com", "Almost-pass-2024", solved(t, h, p)); s.Status != actions.SignInDenied {
		t.Errorf("after the fifth failure the right password = %+v, want denied (locked)", s)
	}
}

// Failures count per account, whatever client made them: a second client
// (another device) does not start again at zero.
func testClientsShareFailures(t *testing.T, h Harness) {
	a, b := h.Client(), h.Client()
	signIn(t, a, "free@example.com", "wrong", actions.CaptchaAnswer{})
	signIn(t, a, "free@example.com", "wrong", actions.CaptchaAnswer{})
	if s := signIn(t, b, "free@example.com", "wrong", actions.CaptchaAnswer{}); !s.CaptchaRequired {
		t.Errorf("the third failure, from another client = %+v, want the CAPTCHA required", s)
	}
	if s := signIn(t, b, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInCaptcha {
		t.Errorf("the other client without an answer = %+v, want captcha", s)
	}
	signIn(t, a, "free@example.com", "wrong", solved(t, h, a))
	signIn(t, b, "free@example.com", "wrong", solved(t, h, b))
	if s := signIn(t, a, "free@example.com", "Free-pass-2024", solved(t, h, a)); s.Status != actions.SignInDenied {
		t.Errorf("after five failures from two clients = %+v, want denied (locked)", s)
	}
}

// bundle@example.com is in Singapore, region strict: the CAPTCHA after two
// failures and the lock after four, on the portal as in the flow; an
// account of the default region is not locked at four.
func testStrictLocksAtFour(t *testing.T, h Harness) {
	p := h.Client()
	for i := 1; i <= 4; i++ {
		var c actions.CaptchaAnswer
		if i > 2 {
			c = solved(t, h, p)
		}
		if s := signIn(t, p, "bundle@example.com", "wrong", c); s.Status != actions.SignInDenied || s.CaptchaRequired != (i == 2 || i == 3) {
			t.Fatalf("strict: wrong password %d = %+v, want denied, CAPTCHA required after the second (and the count reset by the lock at the fourth)", i, s)
		}
	}
	if s := signIn(t, p, "bundle@example.com", "Bundle-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInDenied {
		t.Errorf("strict: after four failures the right password = %+v, want denied (locked)", s)
	}
	for i := 1; i <= 4; i++ {
		var c actions.CaptchaAnswer
		if i > 3 {
			c = solved(t, h, p)
		}
		signIn(t, p, "free@example.com", "wrong", c)
	}
	if s := signIn(t, p, "free@example.com", "Free-pass-2024", solved(t, h, p)); s.Status != actions.SignInOK {
		t.Errorf("default region: after four failures the right password = %+v, want ok (the lock is at five)", s)
	}
	h.Advance(15 * time.Minute)
	if s := signIn(t, p, "bundle@example.com", "Bundle-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInOK {
		t.Errorf("strict: after the 15m lock the right password = %+v, want ok", s)
	}
}

// needsCode signs family@example.com in and returns its ticket.
func needsCode(t *testing.T, p Portal) string {
	t.Helper()
	s := signIn(t, p, "family@example.com", "Family-pass-2024", actions.CaptchaAnswer{})
	if s.Status != actions.SignInNeedsCode {
		t.Fatalf("family@ sign-in = %+v, want needs_code", s)
	}
	return s.Ticket
}

func send(t *testing.T, p Portal, ticket string) actions.CodeDelivery {
	t.Helper()
	d, err := p.SendCode(ctx, ticket)
	if err != nil {
		t.Fatalf("SendCode error = %v", err)
	}
	return d
}

func check(t *testing.T, p Portal, ticket, code string) actions.CodeCheck {
	t.Helper()
	c, err := p.CheckCode(ctx, ticket, code)
	if err != nil {
		t.Fatalf("CheckCode error = %v", err)
	}
	return c
}

// A code lives five minutes; a sign-in gets three codes, no two within
// 30s; each new code voids the previous one.
func testCodeLifetimeAndResend(t *testing.T, h Harness) {
	p := h.Client()
	tk := needsCode(t, p)
	if c := check(t, p, tk, "000000"); c.Status != actions.CheckExpired {
		t.Errorf("a code before any was sent = %+v, want expired", c)
	}
	if d := send(t, p, tk); d.Status != actions.SendSent || d.ExpiresIn != 5*time.Minute || d.PhoneMasked != "+49 *** *** 12 34" {
		t.Fatalf("the first code = %+v, want sent, valid 5m", d)
	}
	first := h.Codes(familyPhone)[0]
	h.Advance(10 * time.Second)
	if d := send(t, p, tk); d.Status != actions.SendTooSoon || d.Wait != 20*time.Second {
		t.Errorf("a code 10s later = %+v, want too_soon, 20s to wait", d)
	}
	h.Advance(20 * time.Second)
	if d := send(t, p, tk); d.Status != actions.SendSent {
		t.Errorf("a code 30s later = %+v, want sent", d)
	}
	second := h.Codes(familyPhone)[1]
	if first != second {
		if c := check(t, p, tk, first); c.Status != actions.CheckWrong {
			t.Errorf("the voided first code = %+v, want wrong", c)
		}
	}
	h.Advance(5*time.Minute + time.Second)
	if c := check(t, p, tk, second); c.Status != actions.CheckExpired {
		t.Errorf("the second code after 5m = %+v, want expired", c)
	}
	send(t, p, tk)
	h.Advance(time.Minute)
	if d := send(t, p, tk); d.Status != actions.SendLimit {
		t.Errorf("a fourth code = %+v, want limit", d)
	}
	third := h.Codes(familyPhone)[2]
	if c := check(t, p, tk, third); c.Status != actions.CheckOK {
		t.Errorf("the third code = %+v, want ok", c)
	}
	if c := check(t, p, tk, third); c.Status != actions.CheckExpired {
		t.Errorf("the third code again = %+v, want expired (used)", c)
	}
	if n := len(h.Codes(familyPhone)); n != 3 {
		t.Errorf("texted %d codes, want 3", n)
	}
}

// Twenty sign-ins within the hour cannot text more than five codes to one
// phone; the hour after, codes go out again.
func testSMSRateLimit(t *testing.T, h Harness) {
	p := h.Client()
	var sent, refused int
	for range 20 {
		tk := needsCode(t, p)
		switch d := send(t, p, tk); d.Status {
		case actions.SendSent:
			sent++
		case actions.SendTooSoon:
			refused++
			if d.Wait <= 0 || d.Wait > time.Hour {
				t.Errorf("too_soon wait = %s, want within the hour", d.Wait)
			}
		default:
			t.Fatalf("SendCode = %+v", d)
		}
		h.Advance(time.Minute)
	}
	if n := len(h.Codes(familyPhone)); sent != 5 || refused != 15 || n != 5 {
		t.Errorf("20 sign-ins: %d sent, %d refused, %d texted; want 5, 15, 5", sent, refused, n)
	}
	h.Advance(time.Hour)
	if d := send(t, p, needsCode(t, p)); d.Status != actions.SendSent {
		t.Errorf("an hour later = %+v, want sent", d)
	}
}

// Each sign-in allows three wrong codes; ten wrong codes, every sign-in
// together, lock the account.
func testWrongCodeLimitAcrossSignIns(t *testing.T, h Harness) {
	p := h.Client()
	wrong := 0
	for round := 1; round <= 4; round++ {
		tk := needsCode(t, p)
		if d := send(t, p, tk); d.Status != actions.SendSent {
			t.Fatalf("round %d: SendCode = %+v", round, d)
		}
		for i := 1; i <= 3 && wrong < 10; i++ {
			wrong++
			c := check(t, p, tk, "999999x")
			switch {
			case wrong == 10 || i == 3:
				if c.Status != actions.CheckBlocked {
					t.Fatalf("round %d, wrong code %d (%d in all) = %+v, want blocked", round, i, wrong, c)
				}
			case c.Status != actions.CheckWrong || c.AttemptsLeft != min(3-i, 10-wrong):
				t.Fatalf("round %d, wrong code %d (%d in all) = %+v, want wrong with %d left", round, i, wrong, c, min(3-i, 10-wrong))
			}
		}
		h.Advance(time.Minute)
	}
	if s := signIn(t, p, "family@example.com", "Family-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInDenied {
		t.Errorf("after ten wrong codes the right password = %+v, want denied (locked)", s)
	}
}

// solo@example.com (France) connects after accepting its regulation; the
// access token lists and activates its licences, introspects as active,
// and the device's own Native SSO sign-in signs in again.
func testConnectAndActivate(t *testing.T, h Harness) {
	p := h.Client()
	s := signIn(t, p, "solo@example.com", "Solo-pass-2024", actions.CaptchaAnswer{})
	if c, _ := p.Connect(ctx, s.Ticket); c.Connected || !strings.Contains(c.Reason, "not accepted") {
		t.Errorf("Connect before the consent = %+v, want refused: not accepted", c)
	}
	j := s.Jurisdiction
	rec, err := p.RecordConsent(ctx, s.Ticket, actions.Consent{Account: "solo@example.com", Document: j.Document, Version: j.Version, Region: j.Region, AcceptedAt: Start})
	if err != nil || !rec.Recorded || rec.ID == "" {
		t.Fatalf("RecordConsent = %+v, %v", rec, err)
	}
	conn, err := p.Connect(ctx, s.Ticket)
	tk := conn.Tokens
	if err != nil || !conn.Connected || conn.Account != "solo@example.com" || conn.Country != "FR" || tk.AccessToken == "" || tk.RefreshToken == "" || tk.IDToken == "" || tk.DeviceSecret == "" || tk.JWKS == "" {
		t.Fatalf("Connect = %+v, %v, want solo@ in FR with an access, refresh and ID token, a device secret and the keys", conn, err)
	}
	if !tk.Expires.Equal(Start.Add(time.Hour)) {
		t.Errorf("access token expires %s, want in an hour", tk.Expires)
	}
	if again, _ := p.Connect(ctx, s.Ticket); again.Connected {
		t.Error("the session connected twice")
	}
	ls, err := p.Licences(ctx, tk.AccessToken)
	if err != nil || len(ls) != 2 {
		t.Fatalf("Licences = %+v, %v, want solo's two (one expired)", ls, err)
	}
	if a, _ := p.Activate(ctx, tk.AccessToken, "LIC-SOLO-2019"); a.Status != actions.ActivateInactive {
		t.Errorf("activating the expired licence = %+v, want inactive", a)
	}
	if a, _ := p.Activate(ctx, tk.AccessToken, "LIC-FAM-F"); a.Status != actions.ActivateInactive {
		t.Errorf("activating another account's licence = %+v, want inactive", a)
	}
	if a, err := p.Activate(ctx, tk.AccessToken, "LIC-SOLO-1"); err != nil || a.Status != actions.ActivateActivated || a.Plan != "Personal" || a.Licence != "LIC-SOLO-1" {
		t.Errorf("Activate = %+v, %v", a, err)
	}
	in, err := p.Introspect(ctx, tk.AccessToken, tk.AccessToken)
	if err != nil || !in.Active || in.Sub != "solo@example.com" || in.Country != "FR" || in.Plan != "Personal" || in.Licence != "LIC-SOLO-1" || in.TokenType != api.TokenTypeDPoP || in.Cnf == nil {
		t.Errorf("Introspect(access token) = %+v, %v, want active, solo@, FR, Personal LIC-SOLO-1, DPoP-bound", in, err)
	}
	if in, err := p.Introspect(ctx, tk.AccessToken, tk.RefreshToken); err != nil || !in.Active || in.Sub != "solo@example.com" {
		t.Errorf("Introspect(refresh token) = %+v, %v, want active", in, err)
	}
	if s, err := p.SSOSignIn(ctx, tk.IDToken, tk.DeviceSecret); err != nil || s.Status != actions.SignInOK || s.Account != "solo@example.com" {
		t.Errorf("SSOSignIn(the device's own sign-in) = %+v, %v", s, err)
	}
	h.Advance(2 * time.Hour)
	if in, err := p.Introspect(ctx, tk.AccessToken, tk.AccessToken); in.Active || !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("introspection by the access token after its hour = %+v, %v; want ErrTokenRejected", in, err)
	}
	if _, err := p.Licences(ctx, tk.AccessToken); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Licences with an expired access token: error = %v, want ErrTokenRejected", err)
	}
	h.Advance(91 * 24 * time.Hour)
	if s, _ := p.SSOSignIn(ctx, tk.IDToken, tk.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn after the connection's 90 days = %+v, want denied", s)
	}
}

// Tokens are checked on every use: one made up, one shaped like the old
// device tokens (forged with the old public HMAC key), one altered, one
// with alg none, one signed by a key the portal does not have, an expired
// Native SSO sign-in, and a real access token used by another device (no
// proof of its key) are refused everywhere; revocation ends the real one.
func testForgedTokenRefused(t *testing.T, h Harness) {
	p := h.Client()
	s := signIn(t, p, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	conn, err := p.Connect(ctx, s.Ticket)
	if err != nil || !conn.Connected {
		t.Fatalf("Connect = %+v, %v", conn, err)
	}
	real := conn.Tokens.AccessToken
	for name, tok := range forgeries(t, real) {
		if _, err := p.Licences(ctx, tok); !errors.Is(err, actions.ErrTokenRejected) {
			t.Errorf("Licences(%s) error = %v, want ErrTokenRejected", name, err)
		}
		if _, err := p.Activate(ctx, tok, ""); !errors.Is(err, actions.ErrTokenRejected) {
			t.Errorf("Activate(%s) error = %v, want ErrTokenRejected", name, err)
		}
		if in, err := p.Introspect(ctx, real, tok); err != nil || in.Active {
			t.Errorf("Introspect(%s) = %+v, %v, want not active", name, in, err)
		}
		in, err := p.Introspect(ctx, tok, real)
		if in.Active || !errors.Is(err, actions.ErrTokenRejected) {
			t.Errorf("introspection authorised by %s = %+v, %v; want ErrTokenRejected", name, in, err)
		}
		if err != nil && tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("an error holds the token: %v", err)
		}
	}
	thief := h.Client()
	if _, err := thief.Licences(ctx, real); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("another device's access token, without its key: error = %v, want ErrTokenRejected", err)
	}
	if in, err := thief.Introspect(ctx, real, real); in.Active || !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("another device, with the token but not its key, is told about it: %+v, %v", in, err)
	}
	if err := thief.Revoke(ctx, conn.Tokens.RefreshToken); err == nil {
		t.Error("another device revoked the token")
	}
	if in, err := p.Introspect(ctx, real, conn.Tokens.RefreshToken); err != nil || !in.Active {
		t.Errorf("after another device's revocation the token = %+v, %v; want still active", in, err)
	}
	mail := h.OtherApp(t, "vendor-mail")
	if s, err := p.SSOSignIn(ctx, mail.IDToken, conn.Tokens.DeviceSecret); err != nil || s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn(one app's ID token, another's device secret) = %+v, %v, want denied", s, err)
	}
	if a, err := p.Activate(ctx, real, ""); err != nil || a.Plan != actions.FreePlan {
		t.Errorf("Activate(the real token, Free) = %+v, %v", a, err)
	}
	if err := p.Revoke(ctx, conn.Tokens.RefreshToken); err != nil {
		t.Fatalf("Revoke = %v", err)
	}
	if _, err := p.Licences(ctx, real); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Licences after the revocation: error = %v, want ErrTokenRejected", err)
	}
	if in, err := p.Introspect(ctx, real, conn.Tokens.RefreshToken); in.Active || !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("introspection by a revoked grant's access token = %+v, %v; want ErrTokenRejected", in, err)
	}
}

// A consent is tied to the sign-in it was given in: a made-up ticket,
// another account's, one not yet authorised by its code, or one already
// used, records nothing.
func testForgedConsentRefused(t *testing.T, h Harness) {
	p := h.Client()
	consent := func(ticket, account string) actions.ConsentRecord {
		t.Helper()
		r, err := p.RecordConsent(ctx, ticket, actions.Consent{Account: account, Document: "gdpr-data-provisioning", Version: "2025.1", Region: "eu", AcceptedAt: Start})
		if err != nil {
			t.Fatalf("RecordConsent error = %v", err)
		}
		return r
	}
	if r := consent("tkt-made-up", "solo@example.com"); r.Recorded || r.Reason == "" {
		t.Errorf("a made-up ticket = %+v, want refused with a reason", r)
	}
	free := signIn(t, p, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	if r := consent(free.Ticket, "solo@example.com"); r.Recorded {
		t.Errorf("another account's ticket = %+v, want refused", r)
	}
	if r := consent(needsCode(t, p), "family@example.com"); r.Recorded {
		t.Errorf("a ticket still waiting for its code = %+v, want refused", r)
	}
	solo := signIn(t, p, "solo@example.com", "Solo-pass-2024", actions.CaptchaAnswer{})
	if c, _ := p.Connect(ctx, solo.Ticket); c.Connected {
		t.Error("solo@ connected with no consent recorded")
	}
	if r := consent(solo.Ticket, "solo@example.com"); !r.Recorded {
		t.Fatalf("the right ticket = %+v, want recorded", r)
	}
	if c, _ := p.Connect(ctx, solo.Ticket); !c.Connected {
		t.Fatal("solo@ did not connect after its consent")
	}
	if r := consent(solo.Ticket, "solo@example.com"); r.Recorded {
		t.Errorf("a used ticket = %+v, want refused", r)
	}
	h.Advance(16 * time.Minute)
	late := signIn(t, p, "solo@example.com", "Solo-pass-2024", actions.CaptchaAnswer{})
	h.Advance(16 * time.Minute)
	if r := consent(late.Ticket, "solo@example.com"); r.Recorded {
		t.Errorf("an expired ticket = %+v, want refused", r)
	}
}

func testCreateAccount(t *testing.T, h Harness) {
	p := h.Client()
	create := func(a actions.NewAccount) actions.AccountCreation {
		t.Helper()
		c, err := p.CreateAccount(ctx, a)
		if err != nil {
			t.Fatalf("CreateAccount error = %v", err)
		}
		return c
	}
	if c := create(actions.NewAccount{Email: "New@Example.com", Password: "New-pass-2026", Country: "DE"}); c.Status != actions.CreateOK || c.Account != "new@example.com" {
		t.Errorf("CreateAccount = %+v, want ok for new@example.com", c)
	}
	if c := create(actions.NewAccount{Email: "new@example.com", Password: "Other-pass-1", Country: "FR"}); c.Status != actions.CreateExists {
		t.Errorf("the same email again = %+v, want exists", c)
	}
	for _, bad := range []actions.NewAccount{{Email: "no-at", Password: "p", Country: "DE"}, {Email: "a@b", Password: "", Country: "DE"}, {Email: "a@b", Password: "p", Country: "Germany"}} {
		if c := create(bad); c.Status != actions.CreateInvalid || c.Reason == "" {
			t.Errorf("CreateAccount(%+v) = %+v, want invalid with a reason", bad, c)
		}
	}
	s := signIn(t, p, "new@example.com", "New-pass-2026", actions.CaptchaAnswer{})
	if s.Status != actions.SignInOK || s.Jurisdiction.Region != "eu-de" {
		t.Errorf("signing in with the new account = %+v, want ok in eu-de", s)
	}
}

// A restarted portal keeps a lock, a created account, the SMS count of
// the hour and the tokens it issued.
func testRestart(t *testing.T, h Harness) {
	p := h.Client()
	for range 5 {
		// An answer is ignored until the portal asks for one.
		signIn(t, p, "lapsed@example.com", "wrong", solved(t, h, p))
	}
	create, _ := p.CreateAccount(ctx, actions.NewAccount{Email: "kept@example.com", Password: "Kept-pass-2026", Country: "US"})
	for range 5 {
		send(t, p, needsCode(t, p))
		h.Advance(time.Minute)
	}
	free := signIn(t, p, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	conn, _ := p.Connect(ctx, free.Ticket)
	if create.Status != actions.CreateOK || !conn.Connected || len(h.Codes(familyPhone)) != 5 {
		t.Fatalf("before the restart: created %+v, connected %+v, %d codes", create, conn, len(h.Codes(familyPhone)))
	}
	if !h.Restart(t) {
		t.Skip("this harness cannot restart its portal")
	}
	device := p // the device that connected, with its key
	p = h.Client()
	if s := signIn(t, p, "lapsed@example.com", "Lapsed-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInDenied {
		t.Errorf("the locked account after the restart = %+v, want denied", s)
	}
	if s := signIn(t, p, "kept@example.com", "Kept-pass-2026", actions.CaptchaAnswer{}); s.Status != actions.SignInOK {
		t.Errorf("the created account after the restart = %+v, want ok", s)
	}
	if d := send(t, p, needsCode(t, p)); d.Status != actions.SendTooSoon {
		t.Errorf("a sixth code within the hour, after the restart = %+v, want too_soon", d)
	}
	if in, err := device.Introspect(ctx, conn.Tokens.AccessToken, conn.Tokens.RefreshToken); err != nil || !in.Active {
		t.Errorf("the refresh token issued before the restart = %+v, %v, want active", in, err)
	}
}
