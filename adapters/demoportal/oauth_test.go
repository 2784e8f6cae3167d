package demoportal

import (
	"context"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/internal/seal"
)

// refusal returns the code of the *api.Refusal err is, or "".
func refusal(err error) string {
	var r *api.Refusal
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// A portal in another process (a fresh state) with the same keys takes
// the tokens an earlier one issued — what the demo portal of a later run
// does — and one with other keys takes none of them.
func TestTokensOfAnotherRun(t *testing.T) {
	ctx := bound(context.Background())
	fx, err := LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	keys, err := NewKeys(randReader{rand.New(rand.NewPCG(5, 5))})
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := New(fx, clock, rand.New(rand.NewPCG(1, 1)), &fakeSMS{}, WithKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := earlier.PasswordSignIn(ctx, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	c, err := connect(ctx, earlier, s.Ticket)
	if err != nil || !c.Connected {
		t.Fatalf("connect = %+v, %v", c, err)
	}
	later, _ := New(fx, clock, rand.New(rand.NewPCG(2, 2)), &fakeSMS{}, WithKeys(keys))
	if _, err := later.Licences(ctx, c.Tokens.AccessToken); err != nil {
		t.Errorf("Licences with an earlier run's access token: %v", err)
	}
	if s, _ := later.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret); s.Status != actions.SignInOK || s.Account != "free@example.com" {
		t.Errorf("SSOSignIn with an earlier run's sign-in = %+v, want ok", s)
	}
	if tr, err := later.Refresh(ctx, c.Tokens.RefreshToken); err != nil || tr.AccessToken == "" {
		t.Errorf("Refresh with an earlier run's refresh token = %+v, %v", tr, err)
	}
	other, _ := New(fx, clock, rand.New(rand.NewPCG(2, 2)), &fakeSMS{})
	if _, err := other.Licences(ctx, c.Tokens.AccessToken); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Licences at a portal with other keys: error = %v, want ErrTokenRejected", err)
	}
	if s, _ := other.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn at a portal with other keys = %+v, want denied", s)
	}
	if _, err := other.Refresh(ctx, c.Tokens.RefreshToken); refusal(err) != api.ErrInvalidGrant {
		t.Errorf("Refresh at a portal with other keys: error = %v, want invalid_grant", err)
	}
}

// A refresh token is spent by its use; one used twice revokes the whole
// grant: the tokens of the thief and of the device alike.
func TestRefreshReuseRevokesTheFamily(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	c, err := connect(ctx, p, s.Ticket)
	if err != nil || !c.Connected {
		t.Fatalf("connect = %+v, %v", c, err)
	}
	first := c.Tokens.RefreshToken
	next, err := p.Refresh(ctx, first)
	if err != nil || next.RefreshToken == "" || next.RefreshToken == first || next.TokenType != api.TokenTypeDPoP {
		t.Fatalf("Refresh = %+v, %v, want a new DPoP-bound grant generation", next, err)
	}
	if _, err := p.Licences(ctx, next.AccessToken); err != nil {
		t.Errorf("Licences with the refreshed access token: %v", err)
	}
	if _, err := p.Refresh(ctx, first); refusal(err) != api.ErrInvalidGrant || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("Refresh with the spent token: error = %v, want invalid_grant: revoked", err)
	}
	if _, err := p.Refresh(ctx, next.RefreshToken); refusal(err) != api.ErrInvalidGrant {
		t.Errorf("Refresh with the latest token after the reuse: error = %v, want invalid_grant", err)
	}
	for _, tok := range []string{next.AccessToken, c.Tokens.AccessToken} {
		if _, err := p.Licences(ctx, tok); !errors.Is(err, actions.ErrTokenRejected) {
			t.Errorf("Licences with a token of the revoked grant: error = %v, want ErrTokenRejected", err)
		}
	}
}

// Refresh tokens are bound to the client and the DPoP key they were
// issued to.
func TestRefreshBinding(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	c, _ := connect(ctx, p, s.Ticket)
	for name, b := range map[string]api.Binding{
		"another key":    {Client: api.ClientID, JKT: "jkt-thief"},
		"no proof":       {Client: api.ClientID},
		"another client": {Client: "vendor-mail"},
	} {
		if _, err := p.Refresh(api.WithBinding(ctx, b), c.Tokens.RefreshToken); refusal(err) == "" {
			t.Errorf("Refresh by %s: error = %v, want refused", name, err)
		}
	}
	if _, err := p.Refresh(ctx, c.Tokens.RefreshToken); err != nil {
		t.Errorf("Refresh by the device after the refused attempts: %v", err)
	}
}

// An authorization code is redeemed once, by the client and key it was
// issued to, with the verifier of its challenge; a second redemption
// revokes what the first got.
func TestCodeRedemption(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	actx := api.WithAuthRequest(ctx, api.AuthRequest{CodeChallenge: oauth2.S256ChallengeFromVerifier(testVerifier), Scope: api.Scope})
	g, err := p.Authorize(actx, s.Ticket)
	if err != nil || g.Code == "" {
		t.Fatalf("Authorize = %+v, %v", g, err)
	}
	for name, tt := range map[string]struct {
		ctx      context.Context
		verifier string
	}{
		"a wrong verifier":   {ctx, strings.Repeat("w", 43)},
		"no verifier":        {ctx, ""},
		"the challenge":      {ctx, oauth2.S256ChallengeFromVerifier(testVerifier)},
		"another key":        {api.WithBinding(ctx, api.Binding{Client: api.ClientID, JKT: "jkt-thief"}), testVerifier},
		"no proof":           {api.WithBinding(ctx, api.Binding{Client: api.ClientID}), testVerifier},
		"another client":     {api.WithBinding(ctx, api.Binding{Client: "vendor-mail"}), testVerifier},
		"a session's answer": {ctx, testVerifier + "x"},
	} {
		if _, err := p.ExchangeCode(tt.ctx, g.Code, tt.verifier); refusal(err) == "" {
			t.Errorf("ExchangeCode with %s: error = %v, want refused", name, err)
		}
	}
	tr, err := p.ExchangeCode(ctx, g.Code, testVerifier)
	if err != nil || tr.AccessToken == "" {
		t.Fatalf("ExchangeCode = %+v, %v", tr, err)
	}
	if _, err := p.ExchangeCode(ctx, g.Code, testVerifier); refusal(err) != api.ErrInvalidGrant {
		t.Errorf("the code redeemed twice: error = %v, want invalid_grant", err)
	}
	if _, err := p.Licences(ctx, tr.AccessToken); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("the first redemption's token after the second: error = %v, want ErrTokenRejected", err)
	}
	// A new code voids the session's previous one.
	s, _ = p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	old, _ := p.Authorize(actx, s.Ticket)
	fresh, _ := p.Authorize(actx, s.Ticket)
	if _, err := p.ExchangeCode(ctx, old.Code, testVerifier); refusal(err) != api.ErrInvalidGrant {
		t.Errorf("a voided code: error = %v, want invalid_grant", err)
	}
	if _, err := p.ExchangeCode(ctx, fresh.Code, testVerifier); err != nil {
		t.Errorf("the session's latest code: %v", err)
	}
}

// A sign-in session opened by one client (or DPoP key) is unknown to
// another.
func TestSessionBoundToClient(t *testing.T) {
	p, _, sms := newPortal(t)
	ctx := bound(context.Background())
	tkt := smsTicket(t, p)
	thief := api.WithBinding(context.Background(), api.Binding{Client: "vendor-mail"})
	thiefKey := api.WithBinding(context.Background(), api.Binding{Client: api.ClientID, JKT: "jkt-thief"})
	for name, c := range map[string]context.Context{"another client": thief, "another key": thiefKey} {
		if got, _ := p.CheckCode(c, tkt, sms.last()); got.Status != actions.CheckBlocked {
			t.Errorf("CheckCode by %s = %+v, want blocked (an unknown session)", name, got)
		}
		if got, _ := p.SendCode(c, tkt); got.Status != actions.SendLimit {
			t.Errorf("SendCode by %s = %+v, want limit (an unknown session)", name, got)
		}
		if g, _ := p.Authorize(c, tkt); g.Code != "" || g.Reason != "the sign-in is unknown" {
			t.Errorf("Authorize by %s = %+v, want refused as unknown", name, g)
		}
	}
	if got, _ := p.CheckCode(ctx, tkt, sms.last()); got.Status != actions.CheckOK {
		t.Errorf("CheckCode by the device = %+v, want ok", got)
	}
}

// Revoking any token of a grant ends the grant; revoking a device secret
// ends its Native SSO session. Another client cannot revoke.
func TestRevoke(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	s, _ := p.PasswordSignIn(ctx, "plain@example.com", "plain-pw-1", actions.CaptchaAnswer{})
	c, _ := connect(ctx, p, s.Ticket)
	if err := p.Revoke(api.WithBinding(ctx, api.Binding{Client: "vendor-mail"}), c.Tokens.AccessToken); refusal(err) != api.ErrInvalidClient {
		t.Errorf("Revoke by another client: error = %v, want invalid_client", err)
	}
	if _, err := p.Licences(ctx, c.Tokens.AccessToken); err != nil {
		t.Errorf("the token after another client's attempt: %v", err)
	}
	if err := p.Revoke(ctx, "tok-unknown"); err != nil {
		t.Errorf("Revoke(an unknown token) = %v, want nil (RFC 7009)", err)
	}
	if err := p.Revoke(ctx, c.Tokens.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refresh(ctx, c.Tokens.RefreshToken); refusal(err) != api.ErrInvalidGrant {
		t.Errorf("Refresh after the access token's revocation: error = %v, want invalid_grant", err)
	}
	if s, _ := p.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret); s.Status != actions.SignInOK {
		t.Errorf("SSOSignIn before the device secret's revocation = %+v, want ok", s)
	}
	if err := p.Revoke(ctx, c.Tokens.DeviceSecret); err != nil {
		t.Fatal(err)
	}
	if s, _ := p.SSOSignIn(ctx, c.Tokens.IDToken, c.Tokens.DeviceSecret); s.Status != actions.SignInDenied {
		t.Errorf("SSOSignIn after the device secret's revocation = %+v, want denied", s)
	}
}

// A DPoP proof is taken once, within the window around the portal's
// clock.
func TestUseProof(t *testing.T) {
	p, clock, _ := newPortal(t)
	ctx := context.Background()
	if err := p.UseProof(ctx, "jkt", "j1", clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.UseProof(ctx, "jkt", "j1", clock.Now()); refusal(err) != api.ErrInvalidDPoPProof {
		t.Errorf("the same jti again: error = %v, want invalid_dpop_proof", err)
	}
	if err := p.UseProof(ctx, "other-jkt", "j1", clock.Now()); err != nil {
		t.Errorf("the same jti of another key: %v", err)
	}
	if err := p.UseProof(ctx, "jkt", "j2", clock.Now().Add(-ProofWindow-time.Second)); refusal(err) != api.ErrInvalidDPoPProof {
		t.Errorf("a proof older than the window: error = %v, want invalid_dpop_proof", err)
	}
	clock.Advance(ProofWindow / 2)
	if err := p.UseProof(ctx, "jkt", "j1", clock.Now().Add(-ProofWindow/2)); refusal(err) != api.ErrInvalidDPoPProof {
		t.Errorf("the first jti again, later: error = %v, want invalid_dpop_proof", err)
	}
}

// Keys rotate: the new key signs, tokens of the old one verify until it is
// retired, and the JWKS names both meanwhile.
func TestRotateKeys(t *testing.T) {
	p, _, _ := newPortal(t)
	ctx := bound(context.Background())
	old := connected(t, p, "plain@example.com", "plain-pw-1")
	if err := p.RotateKeys(ctx, nil, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(p.JWKS().Keys); n != 2 {
		t.Fatalf("JWKS after a rotation has %d keys, want 2", n)
	}
	fresh := connected(t, p, "plain@example.com", "plain-pw-1")
	if oldKid, newKid := kidOf(t, old), kidOf(t, fresh); oldKid == newKid || newKid != p.JWKS().Keys[1].KeyID {
		t.Errorf("key ids: old %s, new %s, JWKS %v: want the new token signed by the new key", oldKid, newKid, p.JWKS().Keys)
	}
	if _, err := p.Licences(ctx, old); err != nil {
		t.Errorf("a token of the previous key after the rotation: %v", err)
	}
	if err := p.RotateKeys(ctx, nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Licences(ctx, old); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("a token of a retired key: error = %v, want ErrTokenRejected", err)
	}
}

// The portal's keys in its state are sealed with the Sealer it is given;
// a portal restarted without it, or with another, does not start.
func TestKeysSealedInState(t *testing.T) {
	fx, err := ParseFixture("test.yaml", []byte(testFixture))
	if err != nil {
		t.Fatal(err)
	}
	st := NewMemoryState()
	k1 := testSealer(t)
	p, err := New(fx, newClock().Now, newRand(1), &fakeSMS{}, WithState(st), WithKeySeal(k1))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.m.records {
		if strings.Contains(string(r.Value), `"d"`) || strings.Contains(string(r.Value), `"k"`) {
			t.Errorf("a record holds a private key in clear: %s", r.Value)
		}
	}
	again, err := New(fx, newClock().Now, newRand(2), &fakeSMS{}, WithState(st), WithKeySeal(k1))
	if err != nil || again.JWKS().Keys[0].KeyID != p.JWKS().Keys[0].KeyID {
		t.Errorf("restarted with the seal key: %v, keys %v and %v, want the same", err, again.JWKS().Keys, p.JWKS().Keys)
	}
	if _, err := New(fx, newClock().Now, newRand(2), &fakeSMS{}, WithState(st)); err == nil {
		t.Error("a portal without the seal key started on sealed keys")
	}
	if _, err := New(fx, newClock().Now, newRand(2), &fakeSMS{}, WithState(st), WithKeySeal(testSealer(t))); err == nil {
		t.Error("a portal with another seal key started on sealed keys")
	}
}

func testSealer(t *testing.T) *seal.Keys {
	t.Helper()
	line, err := seal.GenerateLine("k1", crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParseKeys("keys", []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
