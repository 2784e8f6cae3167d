package portalserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/api"
)

const issuer = "http://portal.test"

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

type discardSMS struct{ codes []string }

func (d *discardSMS) Send(_ context.Context, _, text string) error {
	d.codes = append(d.codes, text[strings.LastIndexByte(text, ' ')+1:])
	return nil
}

// env is a server in front of the demo portal on the shipped fixture,
// and a device's key to prove.
type env struct {
	t      *testing.T
	portal *demoportal.Portal
	srv    *Server
	key    ed25519.PrivateKey
	sms    *discardSMS
	now    time.Time
	logs   bytes.Buffer
}

func newEnv(t *testing.T, mods ...func(*demoportal.Fixture)) *env {
	t.Helper()
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		m(&fx)
	}
	e := &env{t: t, sms: &discardSMS{}, now: t0}
	e.portal, err = demoportal.New(fx, func() time.Time { return e.now }, rand.New(rand.NewPCG(1, 1)), e.sms, demoportal.WithIssuer(issuer))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = New(e.portal, Options{Now: func() time.Time { return e.now }, Logger: slog.New(slog.NewJSONHandler(&e.logs, nil))})
	_, e.key, _ = ed25519.GenerateKey(nil)
	return e
}

// proofClaims are a DPoP proof's, as a test makes them.
type testProof struct {
	JTI string           `json:"jti,omitempty"`
	HTM string           `json:"htm,omitempty"`
	HTU string           `json:"htu,omitempty"`
	IAT *jwt.NumericDate `json:"iat,omitempty"`
	ATH string           `json:"ath,omitempty"`
}

var jtis int

// proof returns a DPoP proof by key for method and path, with the access
// token's hash when token is set; change may spoil it.
func (e *env) proof(key ed25519.PrivateKey, method, path, token string, change func(*testProof, *jose.SignerOptions)) string {
	e.t.Helper()
	jtis++
	c := testProof{JTI: "jti-" + string(rune('a'+jtis%26)) + strings.Repeat("x", jtis/26) + time.Now().Format("150405.000000000"), HTM: method, HTU: issuer + path, IAT: jwt.NewNumericDate(e.now)}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		c.ATH = base64.RawURLEncoding.EncodeToString(h[:])
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	if change != nil {
		change(&c, opts)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// req is one request to the test server.
type req struct {
	method, path string
	form         url.Values
	body         string
	header       map[string]string
}

// do sends r and returns the answer.
func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	body := r.body
	ctype := "application/json"
	if r.form != nil {
		body, ctype = r.form.Encode(), api.MediaForm
	}
	hr := httptest.NewRequest(r.method, issuer+r.path, strings.NewReader(body))
	if body != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, hr)
	return w
}

// post sends form to the OAuth endpoint at path with a fresh proof of
// e.key.
func (e *env) post(path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, form: form, header: map[string]string{api.HeaderDPoP: e.proof(e.key, "POST", path, "", nil)}})
}

// oauthError decodes an OAuth error.
func oauthError(t *testing.T, w *httptest.ResponseRecorder) api.OAuthError {
	t.Helper()
	var oe api.OAuthError
	if err := json.Unmarshal(w.Body.Bytes(), &oe); err != nil || oe.Error == "" {
		t.Fatalf("answer %d %q is not an OAuth error", w.Code, w.Body.String())
	}
	return oe
}

// problemOf decodes a problem answer.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code == "" || w.Header().Get("Content-Type") != api.MediaProblem {
		t.Fatalf("answer %d %q is not a problem", w.Code, w.Body.String())
	}
	return p
}

var verifier = strings.Repeat("v", 43)

// signIn signs solo@example.com in (no SMS code) and accepts its
// regulation, returning the session's authorization code.
func (e *env) signIn() (session, code string) {
	e.t.Helper()
	w := e.post(api.PathChallenge, url.Values{"client_id": {"tether"}, "response_type": {"code"}, "scope": {api.Scope},
		"username": {"solo@example.com"}, "password": {"Solo-pass-2024"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
	var a api.ChallengeResponse
	json.Unmarshal(w.Body.Bytes(), &a)
	if w.Code != 403 || a.Error != api.ErrInsufficientAuthorization || !a.ConsentRequired || a.AuthSession == "" {
		e.t.Fatalf("sign-in = %d %s, want 403 insufficient_authorization asking for the consent", w.Code, w.Body)
	}
	w = e.post(api.PathChallenge, url.Values{"auth_session": {a.AuthSession}, "consent_account": {"solo@example.com"},
		"consent_document": {a.ConsentDocument}, "consent_version": {a.ConsentVersion}, "consent_region": {a.Region}, "consent_accepted_at": {t0.Format(time.RFC3339)}})
	json.Unmarshal(w.Body.Bytes(), &a)
	if w.Code != 200 || a.AuthorizationCode == "" || a.ConsentID == "" || w.Header().Get("Cache-Control") != "no-store" {
		e.t.Fatalf("consent = %d %s %v, want 200 with a code, not to be stored", w.Code, w.Body, w.Header())
	}
	return a.AuthSession, a.AuthorizationCode
}

// tokens signs in and redeems the code.
func (e *env) tokens() api.TokenResponse {
	e.t.Helper()
	_, code := e.signIn()
	w := e.post(api.PathToken, url.Values{"grant_type": {"authorization_code"}, "client_id": {"tether"}, "code": {code}, "code_verifier": {verifier}})
	var tr api.TokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || w.Code != 200 || tr.TokenType != "DPoP" || tr.AccessToken == "" {
		e.t.Fatalf("token = %d %s, want DPoP-bound tokens", w.Code, w.Body)
	}
	return tr
}

// TestEndpointsAreTheDocument holds the server's endpoints and the
// OpenAPI document together: every operation of the document is served,
// at its method and path, and nothing else is.
func TestEndpointsAreTheDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../api/portal.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var inDoc, served []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc = append(inDoc, method+" "+path)
		}
	}
	e := newEnv(t)
	for _, ep := range e.srv.Endpoints() {
		served = append(served, ep.Method+" "+ep.Path)
	}
	slices.Sort(inDoc)
	slices.Sort(served)
	if !slices.Equal(inDoc, served) {
		t.Errorf("the document has %v,\nthe server serves %v", inDoc, served)
	}
}

// Discovery: the metadata names the challenge endpoint and the DPoP
// algorithms; the JWKS holds public keys only.
func TestMetadataAndJWKS(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{api.PathMetadata, api.PathOpenID} {
		w := e.do(req{method: "GET", path: path})
		var m api.Metadata
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || m.Issuer != issuer ||
			m.AuthorizationChallengeEndpoint != issuer+"/authorize-challenge" || !slices.Contains(m.DPoPSigningAlgs, "EdDSA") ||
			!slices.Equal(m.CodeChallengeMethods, []string{"S256"}) {
			t.Errorf("GET %s = %d %s", path, w.Code, w.Body)
		}
	}
	w := e.do(req{method: "GET", path: api.PathJWKS})
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].KeyID == "" {
		t.Errorf("GET /jwks.json = %d %s, want one public key with a key id", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), `"d"`) {
		t.Error("the JWKS holds a private key")
	}
}

// A request that is not the endpoint's is refused before the portal is
// called.
func TestRequestsAreChecked(t *testing.T) {
	e := newEnv(t)
	pw := url.Values{"client_id": {"tether"}, "username": {"solo@example.com"}, "password": {"Solo-pass-2024"}, "code_challenge": {"c"}, "code_challenge_method": {"S256"}}
	with := func(v url.Values, k, val string) url.Values {
		out := url.Values{}
		for kk, vv := range v {
			out[kk] = slices.Clone(vv)
		}
		if val == "" {
			delete(out, k)
		} else {
			out.Set(k, val)
		}
		return out
	}
	twice := with(pw, "", "")
	twice.Add("password", "again")
	for _, tt := range []struct {
		name   string
		w      *httptest.ResponseRecorder
		status int
		code   string
	}{
		{"no DPoP proof from tether", e.do(req{method: "POST", path: api.PathChallenge, form: pw}), 400, api.ErrInvalidDPoPProof},
		{"an unknown client", e.post(api.PathChallenge, with(pw, "client_id", "evil")), 401, api.ErrInvalidClient},
		{"no client", e.post(api.PathChallenge, with(pw, "client_id", "")), 400, api.ErrInvalidRequest},
		{"a parameter twice", e.post(api.PathChallenge, twice), 400, api.ErrInvalidRequest},
		{"no password", e.post(api.PathChallenge, with(pw, "password", "")), 400, api.ErrInvalidRequest},
		{"no PKCE", e.post(api.PathChallenge, with(pw, "code_challenge", "")), 400, api.ErrInvalidRequest},
		{"PKCE plain", e.post(api.PathChallenge, with(pw, "code_challenge_method", "plain")), 400, api.ErrInvalidRequest},
		{"a response_type not code", e.post(api.PathChallenge, with(pw, "response_type", "token")), 400, api.ErrUnsupportedResponseType},
		{"no grant_type", e.post(api.PathToken, url.Values{"client_id": {"tether"}}), 400, api.ErrInvalidRequest},
		{"the password grant", e.post(api.PathToken, url.Values{"client_id": {"tether"}, "grant_type": {"password"}}), 400, api.ErrUnsupportedGrantType},
		{"a token request with no client", e.post(api.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {"c"}}), 400, api.ErrInvalidRequest},
		{"parameters in the URL", e.do(req{method: "POST", path: api.PathToken + "?code=x", form: url.Values{"client_id": {"tether"}}}), 400, api.ErrInvalidRequest},
	} {
		if tt.w.Code != tt.status {
			t.Errorf("%s: status %d %s, want %d", tt.name, tt.w.Code, tt.w.Body, tt.status)
			continue
		}
		if oe := oauthError(t, tt.w); oe.Error != tt.code {
			t.Errorf("%s: error %q, want %q", tt.name, oe.Error, tt.code)
		}
		if strings.Contains(tt.w.Body.String(), "Solo-pass") {
			t.Errorf("%s: the answer quotes the password", tt.name)
		}
	}
	if w := e.do(req{method: "POST", path: api.PathChallenge, body: `{"username":"x"}`}); w.Code != 415 || problemOf(t, w).Code != api.CodeUnsupportedMediaType {
		t.Errorf("a JSON challenge = %d %s, want 415", w.Code, w.Body)
	}
	if w := e.do(req{method: "GET", path: "/v1/sign-in/password"}); w.Code != 404 || problemOf(t, w).Code != api.CodeNotFound {
		t.Errorf("the old sign-in operation = %d, want 404: gone", w.Code)
	}
	if w := e.do(req{method: "GET", path: api.PathToken}); w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET /token = %d (Allow %q), want 405 POST", w.Code, w.Header().Get("Allow"))
	}
	if w := e.do(req{method: "POST", path: api.PathAccounts, body: strings.Repeat(" ", MaxBody+1)}); w.Code != 413 {
		t.Errorf("a body over the limit = %d, want 413", w.Code)
	}
}

// DPoP proofs are checked as RFC 9449 says; each spoiled one is refused.
func TestDPoPProofsChecked(t *testing.T) {
	e := newEnv(t)
	_, other, _ := ed25519.GenerateKey(nil)
	form := url.Values{"client_id": {"tether"}, "new_captcha": {"true"}}
	send := func(proof string) *httptest.ResponseRecorder {
		return e.do(req{method: "POST", path: api.PathChallenge, form: form, header: map[string]string{api.HeaderDPoP: proof}})
	}
	good := e.proof(e.key, "POST", api.PathChallenge, "", nil)
	if w := send(good); w.Code != 403 || !strings.Contains(w.Body.String(), "captcha_challenge") {
		t.Fatalf("a good proof = %d %s, want a CAPTCHA challenge", w.Code, w.Body)
	}
	for name, proof := range map[string]string{
		"a replayed proof (same jti)": good,
		"another method":              e.proof(e.key, "GET", api.PathChallenge, "", nil),
		"another URL":                 e.proof(e.key, "POST", api.PathToken, "", nil),
		"an old proof":                e.proof(e.key, "POST", api.PathChallenge, "", func(c *testProof, _ *jose.SignerOptions) { c.IAT = jwt.NewNumericDate(t0.Add(-time.Hour)) }),
		"a proof from the future":     e.proof(e.key, "POST", api.PathChallenge, "", func(c *testProof, _ *jose.SignerOptions) { c.IAT = jwt.NewNumericDate(t0.Add(time.Hour)) }),
		"no jti":                      e.proof(e.key, "POST", api.PathChallenge, "", func(c *testProof, _ *jose.SignerOptions) { c.JTI = "" }),
		"another typ":                 e.proof(e.key, "POST", api.PathChallenge, "", func(_ *testProof, o *jose.SignerOptions) { o.WithType("JWT") }),
		"no key in the header":        e.proof(e.key, "POST", api.PathChallenge, "", func(_ *testProof, o *jose.SignerOptions) { o.EmbedJWK = false }),
		"signed by another key":       swapJWK(t, e.proof(other, "POST", api.PathChallenge, "", nil), e.key),
		"alg none":                    algNone(t, e.proof(e.key, "POST", api.PathChallenge, "", nil)),
		"not a JWT":                   "proof",
	} {
		w := send(proof)
		if w.Code != 400 || oauthError(t, w).Error != api.ErrInvalidDPoPProof || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "DPoP ") {
			t.Errorf("%s = %d %s, want 400 invalid_dpop_proof", name, w.Code, w.Body)
		}
	}
}

// swapJWK puts key's public part in proof's header, keeping the signature
// another key made.
func swapJWK(t *testing.T, proof string, key ed25519.PrivateKey) string {
	t.Helper()
	parts := strings.Split(proof, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	json.Unmarshal(raw, &h)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: key.Public()})
	var m map[string]any
	json.Unmarshal(jwk, &m)
	h["jwk"] = m
	raw, _ = json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + parts[1] + "." + parts[2]
}

// algNone returns proof's header with alg none and no signature.
func algNone(t *testing.T, proof string) string {
	t.Helper()
	parts := strings.Split(proof, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	json.Unmarshal(raw, &h)
	h["alg"] = "none"
	raw, _ = json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + parts[1] + "."
}

// The resource APIs take the access token with a proof of its key, whose
// ath is the token's hash: without it, or with another key's, 401.
func TestResourcesNeedTheTokensKey(t *testing.T) {
	e := newEnv(t)
	tr := e.tokens()
	_, thief, _ := ed25519.GenerateKey(nil)
	get := func(scheme string, proof string) *httptest.ResponseRecorder {
		h := map[string]string{"Authorization": scheme + " " + tr.AccessToken}
		if proof != "" {
			h[api.HeaderDPoP] = proof
		}
		return e.do(req{method: "GET", path: api.PathLicences, header: h})
	}
	if w := get("DPoP", e.proof(e.key, "GET", api.PathLicences, tr.AccessToken, nil)); w.Code != 200 || !strings.Contains(w.Body.String(), "LIC-SOLO-1") {
		t.Fatalf("licences with the token and its key = %d %s", w.Code, w.Body)
	}
	for name, tt := range map[string]struct {
		w    *httptest.ResponseRecorder
		want int
	}{
		"the token without a proof":  {get("DPoP", ""), 401},
		"the token as a bearer":      {get("Bearer", ""), 401},
		"the token with another key": {get("DPoP", e.proof(thief, "GET", api.PathLicences, tr.AccessToken, nil)), 401},
		"a proof without ath":        {get("DPoP", e.proof(e.key, "GET", api.PathLicences, "", nil)), 400},
	} {
		w := tt.w
		if w.Code != tt.want {
			t.Errorf("%s = %d %s, want %d", name, w.Code, w.Body, tt.want)
		}
		if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "DPoP ") {
			t.Errorf("%s: WWW-Authenticate = %q, want a DPoP challenge", name, w.Header().Get("WWW-Authenticate"))
		}
	}
}

// The portal's failures become their answers: an outage 503
// temporarily_unavailable with Retry-After, a reused key 422.
func TestPortalErrors(t *testing.T) {
	e := newEnv(t, func(fx *demoportal.Fixture) { fx.Outages = []demoportal.Outage{{Op: api.OpNewCaptcha, Times: 1}} })
	form := url.Values{"client_id": {"tether"}, "new_captcha": {"true"}}
	w := e.post(api.PathChallenge, form)
	if w.Code != 503 || oauthError(t, w).Error != api.ErrTemporarilyUnavailable || w.Header().Get("Retry-After") != "30" {
		t.Errorf("an outage = %d %s (Retry-After %q), want 503 temporarily_unavailable, 30", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	key := map[string]string{api.HeaderIdempotencyKey: "k-1"}
	body := func(email string) string {
		return `{"email":"` + email + `","password":"Pass-word-2026","country":"DE"}`
	}
	if w := e.do(req{method: "POST", path: api.PathAccounts, body: body("k1@example.com"), header: key}); w.Code != 200 {
		t.Fatalf("createAccount = %d %s", w.Code, w.Body)
	}
	if w := e.do(req{method: "POST", path: api.PathAccounts, body: body("k2@example.com"), header: key}); w.Code != 422 || problemOf(t, w).Code != api.CodeKeyReused {
		t.Errorf("another request under the key = %d %s, want 422", w.Code, w.Body)
	}
}

// An account creation names its country country; region, its old name,
// is taken in its place until the next release (docs/portal-protocol.md).
func TestCreateAccountCountry(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name, email, members string
		code                 int
		detail               string
	}{
		{"country", "c1@example.com", `"country":"DE"`, 200, ""},
		{"region, the old name", "c2@example.com", `"region":"FR"`, 200, ""},
		{"both, the same", "c3@example.com", `"country":"BR","region":"BR"`, 200, ""},
		{"both, differing", "c4@example.com", `"country":"DE","region":"FR"`, 400, "region is country's old name: give country only"},
		{"neither", "c5@example.com", `"country":""`, 400, `the body lacks "country"`},
	} {
		body := `{"email":"` + tt.email + `","password":"Pass-word-2026",` + tt.members + `}`
		w := e.do(req{method: "POST", path: api.PathAccounts, body: body})
		if w.Code != tt.code {
			t.Errorf("%s: %s = %d %s, want %d", tt.name, body, w.Code, w.Body, tt.code)
			continue
		}
		if tt.code != 200 {
			if p := problemOf(t, w); p.Code != api.CodeInvalidRequest || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("%s: problem %+v, want invalid-request saying %q", tt.name, p, tt.detail)
			}
			if _, ok, _ := e.portal.Account(context.Background(), tt.email); ok {
				t.Errorf("%s: the account was created", tt.name)
			}
			continue
		}
		want := map[string]string{"c1@example.com": "DE", "c2@example.com": "FR", "c3@example.com": "BR"}[tt.email]
		if info, ok, _ := e.portal.Account(context.Background(), tt.email); !ok || info.Country != want {
			t.Errorf("%s: account %+v (found %t), want country %s", tt.name, info, ok, want)
		}
	}
}

// The idempotency key and, for a server that follows it, the client's
// clock reach the portal: the same request under the same key is done
// once.
func TestKeyAndClockReachThePortal(t *testing.T) {
	e := newEnv(t)
	session, _ := e.signIn()
	_ = session
	sms := func(key string) *httptest.ResponseRecorder {
		w := e.post(api.PathChallenge, url.Values{"client_id": {"tether"}, "response_type": {"code"}, "scope": {api.Scope},
			"username": {"family@example.com"}, "password": {"Family-pass-2024"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
		var a api.ChallengeResponse
		json.Unmarshal(w.Body.Bytes(), &a)
		for range 2 {
			w = e.do(req{method: "POST", path: api.PathChallenge, form: url.Values{"auth_session": {a.AuthSession}, "otp_send": {"sms"}},
				header: map[string]string{api.HeaderIdempotencyKey: key, api.HeaderDPoP: e.proof(e.key, "POST", api.PathChallenge, "", nil)}})
		}
		return w
	}
	if w := sms("send-1"); w.Code != 403 || !strings.Contains(w.Body.String(), `"otp_sent":true`) || len(e.sms.codes) != 1 || w.Header().Get(api.HeaderReplayed) != "true" {
		t.Errorf("a code asked twice under one key = %d %s (%s: %q), %d texts, want one text and the same answer, said replayed",
			w.Code, w.Body, api.HeaderReplayed, w.Header().Get(api.HeaderReplayed), len(e.sms.codes))
	}
	follow := New(e.portal, Options{FollowClientClock: true, Now: func() time.Time { return e.now }})
	r := httptest.NewRequest("POST", issuer+api.PathAccounts, strings.NewReader(`{"email":"c@example.com","password":"Pass-word-2026","country":"DE"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(api.HeaderClientClock, "yesterday")
	w := httptest.NewRecorder()
	follow.ServeHTTP(w, r)
	if w.Code != 400 {
		t.Errorf("a bad clock = %d, want 400", w.Code)
	}
}

// The log has a record per request with what an operator needs, and no
// secret: no body, no token, session, code or key (only a hash of it).
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	session, code := e.signIn()
	w := e.do(req{method: "POST", path: api.PathToken, form: url.Values{"grant_type": {"authorization_code"}, "client_id": {"tether"}, "code": {code}, "code_verifier": {verifier}},
		header: map[string]string{api.HeaderDPoP: e.proof(e.key, "POST", api.PathToken, "", nil), api.HeaderIdempotencyKey: "key-secret-5"}})
	var tr api.TokenResponse
	json.Unmarshal(w.Body.Bytes(), &tr)
	e.do(req{method: "GET", path: api.PathLicences, header: map[string]string{"Authorization": "DPoP " + tr.AccessToken, api.HeaderDPoP: e.proof(e.key, "GET", api.PathLicences, tr.AccessToken, nil)}})
	e.introspect(e.key, tr.AccessToken, tr.RefreshToken)
	logs := e.logs.String()
	for _, secret := range []string{"Solo-pass-2024", session, code, verifier, tr.AccessToken, tr.RefreshToken, tr.IDToken, tr.DeviceSecret, "key-secret-5", "DPoP ey"} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret (%.12s...):\n%s", secret, logs)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log records for 5 requests:\n%s", len(lines), logs)
	}
	var rec map[string]any
	json.Unmarshal([]byte(lines[2]), &rec)
	for _, k := range []string{"method", "path", "status", "ms", "op", "key_hash"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("the record %s lacks %s", lines[2], k)
		}
	}
	if rec["op"] != api.OpTokenCode {
		t.Errorf("the token request's op = %v, want %s", rec["op"], api.OpTokenCode)
	}
}
