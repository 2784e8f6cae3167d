package portalhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/portaltest"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/engine/syntax"
)

var (
	_ actions.Portal     = (*Device)(nil)
	_ actions.Licences   = (*Device)(nil)
	_ actions.Accounts   = (*Device)(nil)
	_ actions.ConsentLog = (*Device)(nil)
	_ actions.Captcha    = (*Device)(nil)
)

func TestURLs(t *testing.T) {
	for _, ok := range []string{"https://portal.example.com", "https://portal.example.com:8443/base/", "http://127.0.0.1:8470", "http://127.8.9.10", "http://localhost:1", "http://[::1]:8470"} {
		if _, err := New(ok, Options{}); err != nil {
			t.Errorf("New(%s) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"http://portal.example.com", "http://10.0.0.1:8470", "ftp://portal.example.com", "portal.example.com", "https://user:pw@portal.example.com", "https://portal.example.com/?token=x", "https://", "http://127.0.0.1.example.com"} {
		_, err := New(bad, Options{})
		if !errors.Is(err, ErrInsecureURL) {
			t.Errorf("New(%s) = %v, want ErrInsecureURL", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("New(%s): the error quotes the password: %v", bad, err)
		}
	}
}

const fixture = `
portal:
  sms_per_hour: 5
accounts:
  - {email: sms@example.com, password: Sms-pass-2026, country: US, phone: "+1 555 0100 200"}
`

// simulator is the demo portal behind portalserver, with a fault plan,
// and the SMS it texted.
type simulator struct {
	srv    *httptest.Server
	faults *portalserver.Faults
	portal *demoportal.Portal
	mu     sync.Mutex
	codes  []string
}

func (s *simulator) Send(_ context.Context, _, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes = append(s.codes, text[strings.LastIndexByte(text, ' ')+1:])
	return nil
}

func (s *simulator) texted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.codes...)
}

func newSimulator(t *testing.T, faults *portalserver.Faults, fx string) *simulator {
	t.Helper()
	return startSimulator(t, faults, fx, false)
}

// startSimulator starts the simulator, over TLS when tls is set.
func startSimulator(t *testing.T, faults *portalserver.Faults, fx string, tls bool) *simulator {
	t.Helper()
	f, err := demoportal.ParseFixture("fx.yaml", []byte(fx))
	if err != nil {
		t.Fatal(err)
	}
	s := &simulator{faults: faults}
	var h atomic.Value
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	if tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	p, err := demoportal.New(f, time.Now, rand.New(rand.NewPCG(1, 1)), s, demoportal.WithIssuer(s.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	s.portal = p
	h.Store(http.Handler(portalserver.New(p, portalserver.Options{Faults: faults, FollowClientClock: true})))
	return s
}

func schedule(t *testing.T, yaml string) *portalserver.Faults {
	t.Helper()
	f, err := portalserver.ParseSchedule("faults.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// client returns a new device's client of the portal at url.
func client(t *testing.T, url string, opts Options) *Device {
	t.Helper()
	if opts.Backoff == 0 {
		opts.Backoff, opts.MaxBackoff = time.Millisecond, 5*time.Millisecond
	}
	c, err := New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c.ForDevice(&portaltest.MemoryStore{})
}

// Requests that time out, get a 5xx, or lose their answer to a reset or a
// body cut short are tried again and recover; a code whose answer was lost
// twice is texted once.
func TestRetriesRecover(t *testing.T) {
	sim := newSimulator(t, schedule(t, `
- {op: signInPassword, request: 1, fault: 5xx}
- {op: sendCode, request: 1, fault: reset}
- {op: sendCode, request: 2, fault: truncate}
- {op: checkCode, request: 1, fault: latency, delay: 2s}
`), fixture)
	c := client(t, sim.srv.URL, Options{AttemptTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	s, err := c.PasswordSignIn(ctx, "sms@example.com", "Sms-pass-2026", actions.CaptchaAnswer{})
	if err != nil || s.Status != actions.SignInNeedsCode {
		t.Fatalf("PasswordSignIn after a 5xx = %+v, %v", s, err)
	}
	d, err := c.SendCode(ctx, s.Ticket)
	if err != nil || d.Status != actions.SendSent {
		t.Fatalf("SendCode after a reset and a truncated answer = %+v, %v", d, err)
	}
	if n := sim.faults.Requests(api.OpSendCode); n != 3 {
		t.Errorf("sendCode was requested %d times, want 3", n)
	}
	codes := sim.texted()
	if len(codes) != 1 {
		t.Fatalf("texted %d codes for one SendCode tried three times, want 1", len(codes))
	}
	chk, err := c.CheckCode(ctx, s.Ticket, codes[0])
	if err != nil || chk.Status != actions.CheckOK {
		t.Errorf("CheckCode after a timed-out attempt = %+v, %v", chk, err)
	}
}

// A portal that keeps failing is unavailable: the error wraps
// actions.ErrUnavailable, says what happened, and holds no secret.
func TestPermanentFailureIsUnavailable(t *testing.T) {
	faults, err := portalserver.ParseFaults("5xx=1")
	if err != nil {
		t.Fatal(err)
	}
	sim := newSimulator(t, faults, fixture)
	var logs bytes.Buffer
	c := client(t, sim.srv.URL, Options{Attempts: 4, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	_, err = c.PasswordSignIn(context.Background(), "sms@example.com", "Sms-pass-2026", actions.CaptchaAnswer{})
	if !errors.Is(err, actions.ErrUnavailable) || !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("error = %v, want ErrUnavailable", err)
	}
	if want := "portal metadata: the portal answered 503 unavailable, 4 attempts"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to say %q", err, want)
	}
	if n := faults.Requests(api.OpMetadata); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if strings.Count(logs.String(), "trying again") != 3 {
		t.Errorf("log:\n%s\nwant a record for each of the 3 retries", logs.String())
	}
	for _, out := range []string{err.Error(), logs.String()} {
		if strings.Contains(out, "Sms-pass-2026") {
			t.Errorf("the password leaked: %s", out)
		}
	}
	// Nothing listens: refused, retried, unavailable.
	sim.srv.Close()
	_, err = c.SendCode(context.Background(), "tkt-x")
	if !errors.Is(err, actions.ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a closed portal: error = %v, want unavailable, refused", err)
	}
}

// Retry-After is honoured: a short one is waited for and the request
// retried; one longer than the client waits makes the portal unavailable
// at once, leaving it to the flow's retry or the person.
func TestRetryAfter(t *testing.T) {
	var mu sync.Mutex
	n := 0
	wait := "0"
	srv := fake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", wait)
			w.Header().Set("Content-Type", api.MediaJSON)
			w.WriteHeader(503)
			w.Write([]byte(`{"error":"temporarily_unavailable"}`))
			return
		}
		w.Header().Set("Content-Type", api.MediaJSON)
		w.WriteHeader(403)
		w.Write([]byte(`{"error":"insufficient_authorization","captcha_required":true,"captcha_id":"cap-1.s","captcha_challenge":"What is 2 plus 2?"}`))
	})
	defer srv.Close()
	c := client(t, srv.URL, Options{})
	if ch, err := c.NewChallenge(context.Background()); err != nil || ch.ID != "cap-1.s" || n != 2 {
		t.Errorf("after Retry-After: 0 = %+v, %v after %d requests, want the challenge after 2", ch, err, n)
	}
	n, wait = 0, "30"
	_, err := c.NewChallenge(context.Background())
	if !errors.Is(err, actions.ErrUnavailable) || n != 1 || !strings.Contains(err.Error(), "asked to wait 30s") {
		t.Errorf("after Retry-After: 30 = %v after %d requests, want unavailable after 1", err, n)
	}
	// The demo portal's fixture outages answer so.
	sim := newSimulator(t, nil, fixture+"outages:\n  - {op: createAccount, times: 1}\n")
	if _, err := client(t, sim.srv.URL, Options{}).CreateAccount(context.Background(), actions.NewAccount{Email: "n@example.com", Password: "New-pass-1", Country: "US"}); !errors.Is(err, actions.ErrUnavailable) {
		t.Errorf("a fixture outage: %v, want unavailable", err)
	}
}

// A 4xx is final: one request, an error that is not ErrUnavailable.
func TestClientErrorsAreFinal(t *testing.T) {
	n := 0
	srv := fake(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", api.MediaProblem)
		w.WriteHeader(422)
		w.Write([]byte(`{"type":"urn:tether:portal:problem:idempotency-key-reused","title":"The idempotency key was used for another request","status":422,"code":"idempotency-key-reused"}`))
	})
	defer srv.Close()
	_, err := client(t, srv.URL, Options{}).SendCode(context.Background(), "tkt-1")
	var pe *ProblemError
	if !errors.As(err, &pe) || pe.Problem.Code != api.CodeKeyReused || errors.Is(err, actions.ErrUnavailable) || n != 1 {
		t.Errorf("error = %v after %d requests, want the problem after 1", err, n)
	}
}

// headers records the headers of the requests it passes on.
type headers struct {
	next http.Handler
	mu   sync.Mutex
	got  []http.Header
}

func (h *headers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	hd := r.Header.Clone()
	hd.Set("X-Method", r.Method)
	h.got = append(h.got, hd)
	h.mu.Unlock()
	h.next.ServeHTTP(w, r)
}

// posts keeps the POSTs' headers only.
func (h *headers) posts() {
	h.got = slices.DeleteFunc(h.got, func(hd http.Header) bool { return hd.Get("X-Method") != "POST" })
}

// Every POST carries an Idempotency-Key, the same on every attempt: in a
// session, the engine's key for the call; outside one, a random one.
func TestIdempotencyKeys(t *testing.T) {
	sim := newSimulator(t, schedule(t, "- {op: newCaptcha, request: 1, fault: 5xx}\n- {op: newCaptcha, request: 3, fault: 5xx}\n"), fixture)
	rec := &headers{next: sim.srv.Config.Handler}
	sim.srv.Config.Handler = rec
	c := client(t, sim.srv.URL, Options{Clock: func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }})
	if _, err := c.NewChallenge(context.Background()); err != nil {
		t.Fatal(err)
	}
	// In a session: an action that asks for a challenge.
	var id string
	reg, err := engine.NewRegistry(engine.Func(engine.Spec{Name: "captcha.new", Remote: true, Outcomes: []string{"ready"}},
		func(ctx context.Context, _ engine.Args) (engine.Result, error) {
			_, err := c.NewChallenge(ctx)
			return engine.Result{Outcome: "ready"}, err
		}))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := syntax.Load("t.yaml", []byte("flow: t\nstart: a\nstates:\n  a:\n    run: captcha.new\n    on: {ready: end, unavailable: end}\n  end: {final: done}\n"))
	fl, err := engine.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fl.Start(context.Background(), engine.Ports{Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	id = s.ID()
	rec.posts()
	if len(rec.got) != 4 {
		t.Fatalf("%d POSTs, want 4 (two calls, a 5xx each)", len(rec.got))
	}
	key := func(i int) string { return rec.got[i].Get(api.HeaderIdempotencyKey) }
	if k := key(0); !strings.HasPrefix(k, "c-") || len(k) != 34 || key(1) != k {
		t.Errorf("outside a session: keys %q and %q, want one random key for both attempts", k, key(1))
	}
	if want := callkey.Prefix(id) + "2.1"; key(2) != want || key(3) != want {
		t.Errorf("in a session: keys %q and %q, want the engine's %q", key(2), key(3), want)
	}
	for _, h := range rec.got {
		if h.Get(api.HeaderClientClock) != "2026-01-05T09:00:00Z" {
			t.Errorf("Tether-Client-Clock = %q", h.Get(api.HeaderClientClock))
		}
	}
}

// HTTPS: a portal whose certificate a given CA signed is trusted; without
// the CA it is not, and the client does not retry.
func TestTLS(t *testing.T) {
	tls := startSimulator(t, nil, fixture, true).srv
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw})
	if _, err := client(t, tls.URL, Options{CA: ca}).NewChallenge(context.Background()); err != nil {
		t.Errorf("with the CA: %v", err)
	}
	_, err := client(t, tls.URL, Options{}).NewChallenge(context.Background())
	if !errors.Is(err, actions.ErrUnavailable) || !strings.Contains(err.Error(), "certificate is not trusted") {
		t.Errorf("without the CA: %v, want unavailable, the certificate not trusted", err)
	}
	if _, err := New(tls.URL, Options{CA: []byte("not PEM")}); err == nil {
		t.Error("a CA file without a certificate was accepted")
	}
}

// A portal that echoes what it was sent does not get a secret into the
// client's errors; nor does one that redirects get followed.
func TestHostilePortal(t *testing.T) {
	srv := fake(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == api.PathChallenge && strings.Contains(string(body), "otp="):
			w.Header().Set("Content-Type", api.MediaJSON)
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"invalid_client","error_description":` + string(jsonString(string(body))) + `}`))
		case r.URL.Path == api.PathChallenge:
			w.Header().Set("Content-Type", api.MediaJSON)
			w.WriteHeader(400)
			w.Write([]byte(`{"error":` + string(jsonString(string(body))) + `}`))
		case r.URL.Path == api.PathLicences:
			http.Redirect(w, r, "http://evil.example.com/steal", http.StatusFound)
		}
	})
	c := client(t, srv.URL, Options{})
	ctx := context.Background()
	_, err := c.CheckCode(ctx, "tkt-secret-1", "code-secret-2")
	if err == nil || strings.Contains(err.Error(), "tkt-secret-1") || strings.Contains(err.Error(), "code-secret-2") {
		t.Errorf("CheckCode error = %v, want one without the ticket or code", err)
	}
	_, err = c.PasswordSignIn(ctx, "a@example.com", "pw-secret-3", actions.CaptchaAnswer{})
	if err == nil || strings.Contains(err.Error(), "pw-secret-3") {
		t.Errorf("PasswordSignIn error = %v, want one without the password", err)
	}
	_, err = c.Licences(ctx, "tok-secret-4")
	if err == nil || strings.Contains(err.Error(), "tok-secret-4") || strings.Contains(err.Error(), "evil") {
		t.Errorf("Licences error = %v, want a refusal without the token, not a redirect followed", err)
	}
}

// fake is a portal that serves its metadata, and handle for anything
// else.
func fake(t *testing.T, handle http.HandlerFunc) *httptest.Server {
	t.Helper()
	var url string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == api.PathOpenID {
			w.Header().Set("Content-Type", api.MediaJSON)
			data, _ := json.Marshal(api.MetadataFor(url))
			w.Write(data)
			return
		}
		handle(w, r)
	}))
	url = srv.URL
	t.Cleanup(srv.Close)
	return srv
}

func jsonString(s string) []byte {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return []byte(b.String())
}
