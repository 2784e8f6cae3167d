package portalhttp

import (
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/portaltest"
)

// demoClient returns a device's client of the demo portal in process on
// the shipped fixture, its clock at *now.
func demoClient(t *testing.T, now *time.Time) (*Client, *demoportal.Portal) {
	t.Helper()
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	p, err := demoportal.New(fx, clock, rand.New(rand.NewPCG(1, 1)), &simulator{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(demoportal.DemoIssuer, Options{Transport: InProcess(portalserver.New(p, portalserver.Options{Now: clock})), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// connected connects free@example.com on d and returns its credential.
func connected(t *testing.T, d *Device) actions.Credential {
	t.Helper()
	ctx := context.Background()
	s, err := d.PasswordSignIn(ctx, "free@example.com", "Free-pass-2024", actions.CaptchaAnswer{})
	if err != nil || s.Status != actions.SignInOK {
		t.Fatalf("PasswordSignIn = %+v, %v", s, err)
	}
	conn, err := d.Connect(ctx, s.Ticket)
	if err != nil || !conn.Connected {
		t.Fatalf("Connect = %+v, %v", conn, err)
	}
	return actions.Credential{App: "tether", Account: conn.Account, Tokens: conn.Tokens}
}

// The offline check verifies the access token's signature against the
// saved keys, its issuer, audience and type, and the device key it is
// bound to; anything else is not connected.
func TestCheckOffline(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c, _ := demoClient(t, &now)
	ctx := context.Background()
	d := c.ForDevice(&portaltest.MemoryStore{})
	cr := connected(t, d)
	chk, err := d.CheckOffline(ctx, cr, cr.JWKS)
	if err != nil || !chk.Valid || chk.Account != "free@example.com" || !chk.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("CheckOffline = %+v, %v, want valid for free@ until an hour from now", chk, err)
	}
	now = now.Add(2 * time.Hour)
	if chk, _ := d.CheckOffline(ctx, cr, cr.JWKS); !chk.Valid || !chk.Expires.Before(now) {
		t.Errorf("an expired token offline = %+v, want valid with its expiry: renewed online", chk)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	other, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, (&jose.SignerOptions{}).WithType("at+jwt"))
	var claims map[string]any
	parsed, _ := jwt.ParseSigned(cr.AccessToken, []jose.SignatureAlgorithm{jose.EdDSA})
	parsed.UnsafeClaimsWithoutVerification(&claims)
	forged, _ := jwt.Signed(other).Claims(claims).Serialize()
	otherKeys := `{"keys":[` + jwkJSON(t, priv.Public()) + `]}`
	for name, tt := range map[string]struct {
		cr   actions.Credential
		jwks string
		dev  *Device
	}{
		"a token signed by another key":                        {with(cr, forged), cr.JWKS, d},
		"the portal's token against another's keys":            {cr, otherKeys, d},
		"an altered token":                                     {with(cr, portaltest.FlipSignatureBit(cr.AccessToken)), cr.JWKS, d},
		"the ID token in the access token's place":             {with(cr, cr.IDToken), cr.JWKS, d},
		"the old device token forged with the public demo key": {with(cr, portaltest.ForgeOldToken("free@example.com")), cr.JWKS, d},
		"another device's token":                               {cr, cr.JWKS, c.ForDevice(&portaltest.MemoryStore{})},
		"no keys":                                              {cr, "", d},
	} {
		chk, err := tt.dev.CheckOffline(ctx, tt.cr, tt.jwks)
		if err != nil || chk.Valid || chk.Why == "" {
			t.Errorf("%s: CheckOffline = %+v, %v, want not valid, with why", name, chk, err)
		}
	}
}

func with(cr actions.Credential, access string) actions.Credential {
	cr.AccessToken = access
	return cr
}

func jwkJSON(t *testing.T, key any) string {
	t.Helper()
	data, err := jose.JSONWebKey{Key: key, KeyID: "other"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Renew redeems the refresh token once the access token has expired; the
// spent refresh token used again revokes the grant, the new one with it.
func TestRenew(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c, _ := demoClient(t, &now)
	ctx := context.Background()
	d := c.ForDevice(&portaltest.MemoryStore{})
	cr := connected(t, d)
	if same, changed, err := d.Renew(ctx, cr); err != nil || changed || same.AccessToken != cr.AccessToken {
		t.Errorf("Renew of a fresh token = changed %v, %v; want it as it is", changed, err)
	}
	now = now.Add(2 * time.Hour)
	renewed, changed, err := d.Renew(ctx, cr)
	if err != nil || !changed || renewed.RefreshToken == cr.RefreshToken || renewed.AccessToken == cr.AccessToken ||
		renewed.DeviceSecret != cr.DeviceSecret || !renewed.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Renew of an expired token = %+v, changed %v, %v; want new tokens, the device secret kept", renewed.Tokens, changed, err)
	}
	if in, err := d.Introspect(ctx, renewed.AccessToken, renewed.AccessToken); err != nil || !in.Active {
		t.Errorf("the renewed access token introspects as %+v, %v", in, err)
	}
	// The spent refresh token again: a thief's copy. The grant is revoked.
	if _, _, err := d.Renew(ctx, cr); !errors.Is(err, actions.ErrTokenRejected) || strings.Contains(err.Error(), cr.RefreshToken) {
		t.Errorf("Renew with the spent refresh token: error = %v, want ErrTokenRejected without the token", err)
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := d.Renew(ctx, renewed); !errors.Is(err, actions.ErrTokenRejected) {
		t.Errorf("Renew with the latest refresh token after the reuse: error = %v, want ErrTokenRejected", err)
	}
}

// The PKCE verifier of a call is derived from the device key and the
// call's idempotency key: the same call again (a step run after a crash)
// has the same, another call another, another device another.
func TestVerifierDerivation(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c, _ := demoClient(t, &now)
	ctx := context.Background()
	store := &portaltest.MemoryStore{}
	d := c.ForDevice(store)
	a1, _ := d.verifier(ctx, "s.1.x.1")
	a2, _ := c.ForDevice(store).verifier(ctx, "s.1.x.1")
	b, _ := d.verifier(ctx, "s.1.x.2")
	e, _ := c.ForDevice(&portaltest.MemoryStore{}).verifier(ctx, "s.1.x.1")
	if a1 == "" || a1 != a2 || a1 == b || a1 == e || len(a1) < 43 {
		t.Errorf("verifiers %q %q %q %q: want the same call alike, the others apart, 43+ characters", a1, a2, b, e)
	}
}
