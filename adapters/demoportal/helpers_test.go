package demoportal

import (
	"context"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// device is the binding of the tests' calls: client tether with a DPoP
// key, as a server hands it the portal once it checked the proof.
var device = api.Binding{Client: api.ClientID, JKT: "jkt-test-device"}

// bound returns ctx bound to the tests' device.
func bound(ctx context.Context) context.Context { return api.WithBinding(ctx, device) }

// testVerifier is the PKCE verifier of the tests' codes.
var testVerifier = strings.Repeat("v", 43)

// connect redeems an authorised session for tokens as a device does:
// the session's code, bound to a PKCE challenge, then the exchange. The
// calls carry keys of their own when ctx carries one.
func connect(ctx context.Context, p *Portal, ticket string) (actions.Connection, error) {
	actx := api.WithAuthRequest(ctx, api.AuthRequest{CodeChallenge: oauth2.S256ChallengeFromVerifier(testVerifier), Scope: api.Scope})
	tctx := ctx
	if key, ok := api.IdempotencyKey(ctx); ok {
		actx, tctx = api.WithIdempotencyKey(actx, key+"#a"), api.WithIdempotencyKey(ctx, key+"#t")
	}
	g, err := p.Authorize(actx, ticket)
	if err != nil || g.Code == "" {
		return actions.Connection{Reason: g.Reason}, err
	}
	tr, err := p.ExchangeCode(tctx, g.Code, testVerifier)
	if err != nil {
		return actions.Connection{}, err
	}
	return actions.Connection{Connected: true, Account: g.Account, Country: g.Country, Tokens: actions.Tokens{
		AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, IDToken: tr.IDToken, DeviceSecret: tr.DeviceSecret}}, nil
}

// kidOf returns the key id in a JWT's header.
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Headers[0].KeyID
}
