package portalserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// fakePortal answers every req the same way and counts the calls.
type fakePortal struct {
	mu    sync.Mutex
	calls map[string]int
	err   error          // returned by every req when set
	at    time.Time      // the time the last req carried (api.WithTime)
	key   string         // the last req's idempotency key
	args  map[string]any // the last req's arguments
}

func (f *fakePortal) note(ctx context.Context, op string, args map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
	f.at, _ = api.TimeOf(ctx)
	f.key, _ = api.IdempotencyKey(ctx)
	f.args = args
	return f.err
}

func (f *fakePortal) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakePortal) TokenSignIn(ctx context.Context, tok string) (actions.SignIn, error) {
	return actions.SignIn{Status: actions.SignInOK, Account: "a@example.com", Ticket: "tkt-secret-1"}, f.note(ctx, api.OpSignInToken, map[string]any{"token": tok})
}

func (f *fakePortal) PasswordSignIn(ctx context.Context, email, pw string, c actions.CaptchaAnswer) (actions.SignIn, error) {
	return actions.SignIn{Status: actions.SignInNeedsCode, Account: email, Ticket: "tkt-secret-1", PhoneMasked: "+49 ***"}, f.note(ctx, api.OpSignInPassword, map[string]any{"email": email, "password": pw, "captcha": c})
}

func (f *fakePortal) SendCode(ctx context.Context, tk string) (actions.CodeDelivery, error) {
	return actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: "+49 ***", ExpiresIn: 5 * time.Minute}, f.note(ctx, api.OpSendCode, map[string]any{"ticket": tk})
}

func (f *fakePortal) CheckCode(ctx context.Context, tk, code string) (actions.CodeCheck, error) {
	return actions.CodeCheck{Status: actions.CheckWrong, AttemptsLeft: 2}, f.note(ctx, api.OpCheckCode, map[string]any{"ticket": tk, "code": code})
}

func (f *fakePortal) Connect(ctx context.Context, tk string) (actions.Connection, error) {
	return actions.Connection{Connected: true, Account: "a@example.com", Country: "DE", Token: "tok-secret-2"}, f.note(ctx, api.OpConnect, map[string]any{"ticket": tk})
}

func (f *fakePortal) RecordConsent(ctx context.Context, tk string, c actions.Consent) (actions.ConsentRecord, error) {
	return actions.ConsentRecord{Recorded: true, ID: "consent-1"}, f.note(ctx, api.OpRecordConsent, map[string]any{"ticket": tk, "consent": c})
}

func (f *fakePortal) NewChallenge(ctx context.Context) (actions.Challenge, error) {
	return actions.Challenge{ID: "cap-1.sig", Text: "What is 2 plus 2?"}, f.note(ctx, api.OpNewCaptcha, nil)
}

func (f *fakePortal) Licences(ctx context.Context, tok string) ([]actions.Licence, error) {
	if tok != "tok-secret-2" {
		f.note(ctx, api.OpListLicences, nil)
		return nil, actions.ErrTokenRejected
	}
	return []actions.Licence{{ID: "L", Plan: "Family", Name: "Family", Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}}, f.note(ctx, api.OpListLicences, map[string]any{"token": tok})
}

func (f *fakePortal) Activate(ctx context.Context, tok, l string) (actions.Activation, error) {
	return actions.Activation{Status: actions.ActivateActivated, Plan: "Family", Licence: l}, f.note(ctx, api.OpActivate, map[string]any{"token": tok, "licence": l})
}

func (f *fakePortal) CreateAccount(ctx context.Context, a actions.NewAccount) (actions.AccountCreation, error) {
	return actions.AccountCreation{Status: actions.CreateOK, Account: a.Email}, f.note(ctx, api.OpCreateAccount, map[string]any{"account": a})
}

func (f *fakePortal) CheckToken(ctx context.Context, tok string) (actions.TokenCheck, error) {
	return actions.TokenCheck{Valid: true, Account: "a@example.com"}, f.note(ctx, api.OpCheckToken, map[string]any{"token": tok})
}

// req is one request to a test server.
type req struct {
	method, path, body string
	header             map[string]string
}

// do sends c to h and returns the answer.
func do(t *testing.T, h http.Handler, c req) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	if c.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.method == "POST" {
		r.Header.Set(api.HeaderIdempotencyKey, "s1.2.1")
	}
	for k, v := range c.header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// problemOf decodes a problem answer.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) api.Problem {
	t.Helper()
	var p api.Problem
	if ct := w.Header().Get("Content-Type"); ct != api.MediaProblem {
		t.Errorf("Content-Type = %q, want %s", ct, api.MediaProblem)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem: %s", w.Body)
	}
	return p
}

// goodRequest returns a request of rt that the server takes.
func goodRequest(rt api.Route) req {
	bodies := map[string]string{
		api.OpSignInPassword: `{"email":"a@example.com","password":"pw-secret-3"}`,
		api.OpSignInToken:    `{"token":"tok-secret-2"}`,
		api.OpSendCode:       `{"ticket":"tkt-secret-1"}`,
		api.OpCheckCode:      `{"ticket":"tkt-secret-1","code":"code-secret-4"}`,
		api.OpRecordConsent:  `{"ticket":"tkt-secret-1","account":"a@example.com","document":"d","version":"1","region":"eu","accepted_at":"2026-01-05T09:00:00Z"}`,
		api.OpConnect:        `{"ticket":"tkt-secret-1"}`,
		api.OpActivate:       `{"licence":"L"}`,
		api.OpCreateAccount:  `{"email":"a@example.com","password":"pw-secret-3","region":"DE"}`,
	}
	c := req{method: rt.Method, path: rt.Path, body: bodies[rt.Op]}
	if rt.Token {
		c.header = map[string]string{"Authorization": "Bearer tok-secret-2"}
	}
	return c
}

// TestRoutesAreTheDocument holds the server's routes and the OpenAPI
// document together: every operation of the document is served, at its
// method and path, and nothing else is.
func TestRoutesAreTheDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../api/portal.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("the document is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	var inDoc []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			inDoc = append(inDoc, method+" "+path+" "+op.OperationID)
		}
	}
	p := &fakePortal{}
	srv := New(p, Options{})
	var served []string
	for _, r := range srv.Routes() {
		served = append(served, r.Method+" "+r.Path+" "+r.Op)
	}
	slices.Sort(inDoc)
	slices.Sort(served)
	if !slices.Equal(inDoc, served) {
		t.Errorf("the document has\n%s\nthe server serves\n%s", strings.Join(inDoc, "\n"), strings.Join(served, "\n"))
	}
	for _, rt := range srv.Routes() {
		if w := do(t, srv, goodRequest(rt)); w.Code != http.StatusOK {
			t.Errorf("%s %s = %d %s, want 200", rt.Method, rt.Path, w.Code, w.Body)
		}
		if p.count(rt.Op) != 1 {
			t.Errorf("%s: the portal was called %d times, want 1", rt.Op, p.count(rt.Op))
		}
	}
	// Nothing else: another path is 404, another method 405 with Allow.
	for _, c := range []req{{method: "GET", path: "/"}, {method: "GET", path: "/v1/admin"}, {method: "POST", path: "/v1/sign-in"}, {method: "GET", path: "/v1/sign-in/password/x"}} {
		if w := do(t, srv, c); w.Code != http.StatusNotFound || problemOf(t, w).Code != api.CodeNotFound {
			t.Errorf("%s %s = %d %s, want 404 not-found", c.method, c.path, w.Code, w.Body)
		}
	}
	w := do(t, srv, req{method: "GET", path: "/v1/sign-in/password"})
	if w.Code != http.StatusMethodNotAllowed || problemOf(t, w).Code != api.CodeMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET /v1/sign-in/password = %d (Allow %q) %s, want 405, Allow POST", w.Code, w.Header().Get("Allow"), w.Body)
	}
	if w := do(t, srv, req{method: "DELETE", path: "/v1/licences"}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /v1/licences = %d, want 405", w.Code)
	}
}

// A request that is not the operation's is refused with its problem code
// before the portal is called; the detail quotes nothing of the body.
func TestRequestsAreChecked(t *testing.T) {
	signIn, _ := api.RouteOf(api.OpSignInPassword)
	good := goodRequest(signIn)
	long := strings.Repeat("k", 201)
	tests := []struct {
		name   string
		c      req
		status int
		code   string
	}{
		{"no key", req{"POST", good.path, good.body, map[string]string{api.HeaderIdempotencyKey: ""}}, 428, api.CodeKeyRequired},
		{"long key", req{"POST", good.path, good.body, map[string]string{api.HeaderIdempotencyKey: long}}, 400, api.CodeInvalidRequest},
		{"not JSON", req{"POST", good.path, `email=a&password=pw-secret-3`, nil}, 400, api.CodeInvalidRequest},
		{"text/plain", req{"POST", good.path, good.body, map[string]string{"Content-Type": "text/plain"}}, 415, api.CodeUnsupportedMediaType},
		{"no body", req{"POST", good.path, "", nil}, 415, api.CodeUnsupportedMediaType},
		{"too large", req{"POST", good.path, `{"email":"` + strings.Repeat("a", MaxBody) + `","password":"p"}`, nil}, 413, api.CodeRequestTooLarge},
		{"unknown member", req{"POST", good.path, `{"email":"a@b","password":"pw-secret-3","admin":true}`, nil}, 400, api.CodeInvalidRequest},
		{"missing member", req{"POST", good.path, `{"email":"a@b"}`, nil}, 400, api.CodeInvalidRequest},
		{"null member", req{"POST", good.path, `{"email":"a@b","password":null}`, nil}, 400, api.CodeInvalidRequest},
		{"wrong kind", req{"POST", good.path, `{"email":"a@b","password":42}`, nil}, 400, api.CodeInvalidRequest},
		{"two values", req{"POST", good.path, good.body + good.body, nil}, 400, api.CodeInvalidRequest},
		{"no token", req{"GET", "/v1/licences", "", nil}, 401, api.CodeTokenRejected},
		{"not bearer", req{"GET", "/v1/licences", "", map[string]string{"Authorization": "Basic dG9rOg=="}}, 401, api.CodeTokenRejected},
		{"rejected token", req{"GET", "/v1/licences", "", map[string]string{"Authorization": "Bearer tok-made-up"}}, 401, api.CodeTokenRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePortal{}
			w := do(t, New(p, Options{}), tt.c)
			pr := problemOf(t, w)
			if w.Code != tt.status || pr.Code != tt.code || pr.Status != tt.status || pr.Type != api.ProblemType(tt.code) || pr.Title == "" {
				t.Errorf("= %d %+v, want %d %s", w.Code, pr, tt.status, tt.code)
			}
			if strings.Contains(w.Body.String(), "pw-secret-3") || strings.Contains(w.Body.String(), "tok-made-up") {
				t.Errorf("the problem quotes a secret: %s", w.Body)
			}
			if tt.code != api.CodeTokenRejected && p.count(api.OpSignInPassword)+p.count(api.OpListLicences) != 0 {
				t.Error("the portal was called")
			}
		})
	}
}

// The portal's errors become their problems: an outage 503 with
// Retry-After, a reused key 422, anything else 500 telling nothing.
func TestPortalErrorsAreProblems(t *testing.T) {
	rt, _ := api.RouteOf(api.OpSendCode)
	for _, tt := range []struct {
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{actions.ErrUnavailable, 503, api.CodeUnavailable, "30"},
		{api.ErrKeyReused, 422, api.CodeKeyReused, ""},
		{io.ErrUnexpectedEOF, 500, api.CodeInternal, ""},
	} {
		var logs bytes.Buffer
		srv := New(&fakePortal{err: tt.err}, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		w := do(t, srv, goodRequest(rt))
		if pr := problemOf(t, w); w.Code != tt.status || pr.Code != tt.code || w.Header().Get("Retry-After") != tt.retryAfter {
			t.Errorf("%v: = %d %s (Retry-After %q), want %d %s (%q)", tt.err, w.Code, pr.Code, w.Header().Get("Retry-After"), tt.status, tt.code, tt.retryAfter)
		}
		if tt.status == 500 && (strings.Contains(w.Body.String(), tt.err.Error()) || !strings.Contains(logs.String(), tt.err.Error())) {
			t.Errorf("%v: the answer tells the portal's error, or the log does not: %s / %s", tt.err, w.Body, logs.String())
		}
	}
}

// The idempotency key and, for a server that follows it, the client's
// clock reach the portal; a server that does not follow it ignores it.
func TestKeyAndClockReachThePortal(t *testing.T) {
	rt, _ := api.RouteOf(api.OpSendCode)
	c := goodRequest(rt)
	c.header = map[string]string{api.HeaderClientClock: "2026-01-05T09:05:00Z", api.HeaderIdempotencyKey: "s9.4.2"}
	p := &fakePortal{}
	do(t, New(p, Options{FollowClientClock: true}), c)
	if want := time.Date(2026, 1, 5, 9, 5, 0, 0, time.UTC); !p.at.Equal(want) || p.key != "s9.4.2" {
		t.Errorf("the portal got time %s and key %q, want %s and s9.4.2", p.at, p.key, want)
	}
	do(t, New(p, Options{}), c)
	if !p.at.IsZero() {
		t.Errorf("a server that does not follow the client's clock passed %s", p.at)
	}
	c.header[api.HeaderClientClock] = "yesterday"
	if w := do(t, New(p, Options{FollowClientClock: true}), c); w.Code != 400 {
		t.Errorf("a bad clock = %d, want 400", w.Code)
	}
	// GETs change nothing and carry no key.
	lic, _ := api.RouteOf(api.OpListLicences)
	do(t, New(p, Options{}), goodRequest(lic))
	if p.key != "" {
		t.Errorf("a GET passed the key %q", p.key)
	}
}

// The log has a record per request with what an operator needs, and no
// secret: no body, no token, no key (only a hash of it).
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	srv := New(&fakePortal{}, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	for _, rt := range api.Routes() {
		c := goodRequest(rt)
		if c.header == nil {
			c.header = map[string]string{}
		}
		c.header[api.HeaderIdempotencyKey] = "key-secret-5"
		do(t, srv, c)
	}
	do(t, srv, req{method: "POST", path: "/v1/code/check", body: `{"ticket":"tkt-secret-1","code":"code-secret-4","x":1}`})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != len(api.Routes())+1 {
		t.Fatalf("%d log records for %d requests", len(lines), len(api.Routes())+1)
	}
	for _, secret := range []string{"pw-secret-3", "tok-secret-2", "tkt-secret-1", "code-secret-4", "key-secret-5", "Bearer"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
	var rec map[string]any
	json.Unmarshal([]byte(lines[3]), &rec)
	for _, k := range []string{"method", "path", "status", "ms", "op", "key_hash"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("the record %s lacks %s", lines[3], k)
		}
	}
}
