package portalserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tetherflow/tether/api"
)

// introspect asks the introspection endpoint about token, authorised by
// the access token access ("" for none) with a proof of key (nil: no
// proof).
func (e *env) introspect(key ed25519.PrivateKey, access, token string) *httptest.ResponseRecorder {
	e.t.Helper()
	h := map[string]string{}
	if access != "" {
		h["Authorization"] = "DPoP " + access
	}
	if key != nil {
		h[api.HeaderDPoP] = e.proof(key, "POST", api.PathIntrospection, access, nil)
	}
	return e.do(req{method: "POST", path: api.PathIntrospection, form: url.Values{"token": {token}}, header: h})
}

// randomToken is what a scanner sends: 32 random bytes, base64url.
func randomToken(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// The introspection endpoint requires authorisation (RFC 7662 section
// 2.1): without an access token of the portal bound to the key the
// request proves, it answers 401 invalid_token with a DPoP challenge,
// the same bytes whether the token asked about is real or made up, so
// that it says nothing about it. The metadata says how to authorise.
func TestIntrospectionNeedsAuthorization(t *testing.T) {
	e := newEnv(t)
	tr := e.tokens()
	_, thief, _ := ed25519.GenerateKey(nil)
	w := e.do(req{method: "GET", path: api.PathMetadata})
	var m api.Metadata
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || !slices.Equal(m.IntrospectionAuthMethods, []string{"DPoP"}) {
		t.Errorf("introspection_endpoint_auth_methods_supported = %q, want [DPoP]", m.IntrospectionAuthMethods)
	}
	cases := map[string]func(token string) *httptest.ResponseRecorder{
		"no authorisation":              func(tok string) *httptest.ResponseRecorder { return e.introspect(nil, "", tok) },
		"a proof, no access token":      func(tok string) *httptest.ResponseRecorder { return e.introspect(e.key, "", tok) },
		"the access token, no proof":    func(tok string) *httptest.ResponseRecorder { return e.introspect(nil, tr.AccessToken, tok) },
		"the access token, thief's key": func(tok string) *httptest.ResponseRecorder { return e.introspect(thief, tr.AccessToken, tok) },
		"a made-up access token":        func(tok string) *httptest.ResponseRecorder { return e.introspect(e.key, "made-up", tok) },
		"the refresh token as access":   func(tok string) *httptest.ResponseRecorder { return e.introspect(e.key, tr.RefreshToken, tok) },
	}
	for name, ask := range cases {
		var first *httptest.ResponseRecorder
		for _, tok := range []string{tr.AccessToken, tr.RefreshToken, randomToken(t), ""} {
			w := ask(tok)
			if w.Code != 401 || oauthError(t, w).Error != api.ErrInvalidToken || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `DPoP error="invalid_token"`) {
				t.Errorf("%s: %d %s %v, want 401 invalid_token with a DPoP challenge", name, w.Code, w.Body, w.Header())
			}
			if strings.Contains(w.Body.String(), "active") || strings.Contains(w.Body.String(), "solo") {
				t.Errorf("%s: the answer tells of the token: %s", name, w.Body)
			}
			if first == nil {
				first = w
			} else if !bytes.Equal(w.Body.Bytes(), first.Body.Bytes()) || w.Header().Get("WWW-Authenticate") != first.Header().Get("WWW-Authenticate") {
				t.Errorf("%s: the answer differs with the token asked about: %s, then %s", name, first.Body, w.Body)
			}
		}
	}
	// Authorised, the device is told of its own tokens.
	var in api.Introspection
	w = e.introspect(e.key, tr.AccessToken, tr.RefreshToken)
	if err := json.Unmarshal(w.Body.Bytes(), &in); err != nil || w.Code != 200 || !in.Active || in.Sub != "solo@example.com" {
		t.Errorf("introspection of its own refresh token = %d %s, want active", w.Code, w.Body)
	}
}

// A scanner holding a real access token and its key (a device of its
// own) learns nothing of tokens it guesses, nor of another device's:
// every answer is the one for no token, {"active":false}.
func TestIntrospectionScan(t *testing.T) {
	e := newEnv(t)
	victim := e.tokens()
	victimKey := e.key
	_, e.key, _ = ed25519.GenerateKey(nil) // the scanner's device
	scanner := e.tokens()
	tokens := []string{victim.AccessToken, victim.RefreshToken, victim.DeviceSecret, victim.IDToken}
	for range 50 {
		tokens = append(tokens, randomToken(t))
	}
	for i, tok := range tokens {
		w := e.introspect(e.key, scanner.AccessToken, tok)
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"active":false}` {
			t.Errorf("the scanner asking about token %d = %d %s, want {\"active\":false}", i, w.Code, w.Body)
		}
	}
	// The victim, with its own key, is told of its token.
	if w := e.introspect(victimKey, victim.AccessToken, victim.RefreshToken); !strings.Contains(w.Body.String(), `"active":true`) {
		t.Errorf("the victim's own introspection = %d %s, want active", w.Code, w.Body)
	}
}

// Revocation (RFC 7009) stays open to the public client, but only the
// client holding a token revokes it: another device (another key, the
// same client id), with the victim's refresh or access token, is
// refused and revokes nothing; the holder's revocation ends the grant.
func TestRevocationByTheHolderOnly(t *testing.T) {
	e := newEnv(t)
	victim := e.tokens()
	victimKey := e.key
	_, e.key, _ = ed25519.GenerateKey(nil)
	for name, tok := range map[string]string{"refresh": victim.RefreshToken, "access": victim.AccessToken} {
		w := e.post(api.PathRevocation, url.Values{"client_id": {"tether"}, "token": {tok}})
		if w.Code != 401 || oauthError(t, w).Error != api.ErrInvalidClient {
			t.Errorf("another device revoking the %s token = %d %s, want 401 invalid_client", name, w.Code, w.Body)
		}
	}
	if w := e.introspect(victimKey, victim.AccessToken, victim.RefreshToken); !strings.Contains(w.Body.String(), `"active":true`) {
		t.Fatalf("after another's revocation the victim's token = %d %s, want still active", w.Code, w.Body)
	}
	e.key = victimKey
	if w := e.post(api.PathRevocation, url.Values{"client_id": {"tether"}, "token": {victim.RefreshToken}}); w.Code != 200 {
		t.Fatalf("the holder's revocation = %d %s, want 200", w.Code, w.Body)
	}
	if w := e.introspect(victimKey, victim.AccessToken, victim.RefreshToken); w.Code != 401 {
		t.Errorf("introspection authorised by a revoked grant's token = %d %s, want 401", w.Code, w.Body)
	}
}
