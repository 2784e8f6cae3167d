package portaltest_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/portaltest"
	"github.com/tetherflow/tether/api"
)

// interopFixture adds, to the shipped fixture's ways, an account like the
// draft's example user: SMS authorisation, no regulation to accept.
const interopFixture = `
portal:
  access_token_ttl: 1h
accounts:
  - {email: alice@example.com, password: Alice-pass-2026, country: US, phone: "+1 555 0100 200"}
  - {email: free@example.com, password: Free-pass-2024, country: US}
sso:
  - {app: vendor-mail, account: alice@example.com, expires: 2099-12-31T00:00:00Z}
`

// texts records the codes the portal texts.
type texts struct {
	mu    sync.Mutex
	codes []string
}

func (x *texts) Send(_ context.Context, _, text string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.codes = append(x.codes, text[strings.LastIndexByte(text, ' ')+1:])
	return nil
}

func (x *texts) last() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.codes[len(x.codes)-1]
}

// interopServer starts the portal server on the real clock at a loopback
// URL, its issuer.
func interopServer(t *testing.T) (*httptest.Server, *texts) {
	t.Helper()
	fx, err := demoportal.ParseFixture("interop.yaml", []byte(interopFixture))
	if err != nil {
		t.Fatal(err)
	}
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sms := &texts{}
	p, err := demoportal.New(fx, time.Now, rand.New(rand.NewPCG(1, 1)), sms, demoportal.WithIssuer(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	h.Store(http.Handler(validating(t, portalserver.New(p, portalserver.Options{}))))
	return srv, sms
}

// challenge posts a form to the authorization challenge endpoint with
// net/http alone (no library speaks the draft) and decodes the answer.
func challenge(t *testing.T, srv string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv+api.PathChallenge, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("the challenge answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

// A client built only on golang.org/x/oauth2 and coreos/go-oidc, with
// net/http for the draft's challenge endpoint, signs in to portal serve,
// exchanges the code with PKCE, and verifies the ID token and the access
// token against the JWKS the portal serves.
func TestInteropWithOAuth2AndGoOIDC(t *testing.T) {
	srv, _ := interopServer(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, srv.URL) // discovery; the issuer must be the URL
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var meta struct {
		Challenge string `json:"authorization_challenge_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil || meta.Challenge != srv.URL+api.PathChallenge {
		t.Fatalf("the metadata's authorization_challenge_endpoint = %q, %v", meta.Challenge, err)
	}
	conf := &oauth2.Config{ClientID: "vendor-mail", Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	status, body := challenge(t, srv.URL, url.Values{"client_id": {"vendor-mail"}, "response_type": {"code"}, "scope": {"openid"},
		"username": {"free@example.com"}, "password": {"Free-pass-2024"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}})
	code, _ := body["authorization_code"].(string)
	if status != 200 || code == "" {
		t.Fatalf("sign-in = %d %v, want an authorization code", status, body)
	}
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Error("x/oauth2 exchanged the code with another verifier")
	}
	// A refused exchange leaves the code: the right verifier redeems it.
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("x/oauth2 Exchange with PKCE: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := provider.Verifier(&oidc.Config{ClientID: "vendor-mail"}).Verify(ctx, raw)
	if err != nil || id.Subject != "free@example.com" {
		t.Fatalf("go-oidc verification of the ID token: %+v, %v", id, err)
	}
	at, err := provider.Verifier(&oidc.Config{ClientID: api.Audience(srv.URL)}).Verify(ctx, tok.AccessToken)
	if err != nil || at.Subject != "free@example.com" {
		t.Fatalf("go-oidc verification of the access token against the served JWKS: %+v, %v", at, err)
	}
	// The token works at the resource API, as a bearer token of a client
	// bound to no key.
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+api.PathLicences, nil)
	tok.SetAuthHeader(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("licences with the bearer token = %v, %v", resp, err)
	}
	// x/oauth2 refreshes (the refresh token rotates).
	old := tok.RefreshToken
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil || fresh.RefreshToken == "" || fresh.RefreshToken == old {
		t.Errorf("x/oauth2 refresh = %+v, %v, want a new refresh token", fresh, err)
	}
	// A token altered by a byte no longer verifies.
	altered := portaltest.FlipSignatureBit(tok.AccessToken)
	if _, err := provider.Verifier(&oidc.Config{ClientID: api.Audience(srv.URL)}).Verify(ctx, altered); err == nil {
		t.Error("go-oidc verified an altered access token")
	}
}

// exchange is one request and response of the draft's example.
type exchange struct {
	method, path string
	form         url.Values
	status       int
	header       http.Header
	body         map[string]any
}

// readExamples reads the draft's example messages from file.
func readExamples(t *testing.T, file string) []exchange {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") || strings.HasPrefix(l, "###") {
			lines = append(lines, l)
		}
	}
	parts := strings.Split(strings.Join(lines, "\n"), "###")
	var out []exchange
	for i := 0; i+1 < len(parts); i += 2 {
		reqHead, reqBody, _ := strings.Cut(strings.TrimSpace(parts[i]), "\n\n")
		method, rest, _ := strings.Cut(strings.SplitN(reqHead, "\n", 2)[0], " ")
		path, _, _ := strings.Cut(rest, " ")
		form, err := url.ParseQuery(strings.ReplaceAll(strings.TrimSpace(reqBody), "\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		respHead, respBody, _ := strings.Cut(strings.TrimSpace(parts[i+1]), "\n\n")
		hl := strings.Split(respHead, "\n")
		var ex = exchange{method: method, path: path, form: form, header: http.Header{}}
		_, rest, _ = strings.Cut(hl[0], " ")
		code, _, _ := strings.Cut(rest, " ")
		if ex.status, err = strconv.Atoi(code); err != nil {
			t.Fatalf("%s: %q is not a status line", file, hl[0])
		}
		for _, h := range hl[1:] {
			k, v, _ := strings.Cut(h, ": ")
			ex.header.Set(k, v)
		}
		if err := json.Unmarshal([]byte(respBody), &ex.body); err != nil {
			t.Fatalf("%s: an example answer is not JSON: %v", file, err)
		}
		out = append(out, ex)
	}
	return out
}

// TestDraftExamples replays the draft's example sequence (Appendix B.3,
// and B.4's refresh) against the portal, with what the portal's profile
// adds to the example's requests — the password with the username (the
// example's user has an OTP generator; the portal's, a password and an
// SMS code), a PKCE challenge and its verifier, the request that has the
// code texted — and the portal's values for the example's (the client,
// the user, the session, the code, the tokens). Each answer must be the
// example's: its status, its Content-Type and Cache-Control, its error,
// every member it names, of the same JSON type.
func TestDraftExamples(t *testing.T) {
	srv, sms := interopServer(t)
	verifier := oauth2.GenerateVerifier()
	got := map[string]string{} // the portal's values, by the example's
	examples := readExamples(t, "testdata/draft-04-appendix-b3.http")
	if len(examples) != 4 {
		t.Fatalf("read %d example exchanges, want the draft's 4", len(examples))
	}
	for i, ex := range examples {
		form := url.Values{}
		for k, v := range ex.form {
			form.Set(k, v[0])
			if real, ok := got[v[0]]; ok {
				form.Set(k, real)
			}
		}
		switch {
		case form.Get("client_id") == "bb16c14c73415":
			form.Set("client_id", "vendor-mail")
		case form.Get("client_id") == "" && form.Get("auth_session") == "":
			t.Fatalf("example %d names no client", i+1)
		}
		if form.Get("username") == "alice" {
			form.Set("username", "alice@example.com")
			form.Set("password", "Alice-pass-2026")
			form.Set("scope", "openid")
			form.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
			form.Set("code_challenge_method", "S256")
		}
		if form.Has("otp") {
			// The portal texts the code when asked.
			status, body := challenge(t, srv.URL, url.Values{"auth_session": {form.Get("auth_session")}, "otp_send": {"sms"}})
			if status != 403 || body["otp_sent"] != true {
				t.Fatalf("asking for the code = %d %v", status, body)
			}
			form.Set("otp", sms.last())
		}
		if form.Get("grant_type") == "authorization_code" {
			form.Set("code_verifier", verifier)
		}
		req, _ := http.NewRequest(ex.method, srv.URL+ex.path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", api.MediaForm)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("example %d: the answer is not JSON: %s", i+1, data)
		}
		if resp.StatusCode != ex.status {
			t.Fatalf("example %d (%s %s): status %d %s, want the example's %d", i+1, ex.method, ex.path, resp.StatusCode, data, ex.status)
		}
		for _, h := range []string{"Content-Type", "Cache-Control"} {
			if g, w := resp.Header.Get(h), ex.header.Get(h); g != w {
				t.Errorf("example %d: %s = %q, want the example's %q", i+1, h, g, w)
			}
		}
		for k, want := range ex.body {
			v, ok := body[k]
			switch {
			case !ok:
				t.Errorf("example %d: the answer lacks %q: %s", i+1, k, data)
			case reflect.TypeOf(v) != reflect.TypeOf(want):
				t.Errorf("example %d: %q is a %T, the example's a %T", i+1, k, v, want)
			case slices.Contains([]string{"error", "token_type", "otp_required"}, k) && v != want:
				t.Errorf("example %d: %q = %v, want the example's %v", i+1, k, v, want)
			}
			if s, ok := want.(string); ok {
				got[s], _ = v.(string)
			}
		}
	}
}
