package httpapi_test

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/httpapi"
)

const familyPassword = "Family-pass-2024"

// The seed's procedure end to end: sign in, the SMS code, consent, choose
// a subscription; and the Free tier. Every response describes the screen;
// none echoes a secret.
func TestConnectFamily(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	if len(s.ID) != 32 || len(secret) < 43 || s.Status != "waiting" || s.State != "sign_in" || s.Region != "eu-de" || s.Country != "DE" || !strings.HasPrefix(s.Device, "dev-") {
		t.Fatalf("created %+v", s)
	}
	if want := fx.clock.Now().Add(30 * time.Minute); !s.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %v, want %v", s.ExpiresAt, want)
	}
	p := s.Prompt
	if p.Title.Text != "Sign in to your account" || p.Title.ID != "connect.sign_in.text" || len(p.Fields) != 2 || len(p.Choices) != 3 || p.Locale != "en" || s.Locale != "en" {
		t.Fatalf("sign-in prompt = %+v", p)
	}
	email, pw := p.Fields[0], p.Fields[1]
	if email.Type != "email" || email.Label.Text != "Email address" || email.Label.ID != "connect.sign_in.field.email" || !email.Required || email.Masked || email.Autocomplete != "username" {
		t.Errorf("email field = %+v", email)
	}
	if pw.Type != "secret" || !pw.Masked || pw.Autocomplete != "current-password" {
		t.Errorf("password field = %+v", pw)
	}
	roles := []string{}
	for _, c := range p.Choices {
		roles = append(roles, c.Role)
	}
	if c := p.Choices[0]; c.Name != "continue" || c.Label.Text != "Sign in" || !slices.Equal(c.Fields, []string{"email", "password"}) || !slices.Equal(roles, []string{"primary", "secondary", "cancel"}) {
		t.Errorf("first choice = %+v, roles %v", c, roles)
	}
	// GET shows the same.
	r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
	if got := r.session(t); r.status != 200 || got.Version != s.Version || got.Secret != "" || got.Prompt.Title.Text != p.Title.Text {
		t.Errorf("GET = %d %+v", r.status, got)
	}

	s = fx.step(s, secret, "continue", map[string]any{"email": "family@example.com", "password": familyPassword})
	if s.State != "enter_code" || !strings.HasPrefix(s.Prompt.Title.Text, "Enter the code we sent to +49 ") {
		t.Fatalf("after sign-in: %+v", s.Prompt)
	}
	code := s.Prompt.Fields[0]
	if code.Type != "code" || !code.Masked || code.InputMode != "numeric" || code.Autocomplete != "one-time-code" ||
		code.Length != 6 || code.Pattern != "[0-9]{6}" || code.Constraint == nil || code.Constraint.Text != "Exactly 6 digits" {
		t.Errorf("code field = %+v", code)
	}
	if c := s.Prompt.Choices[1]; c.Name != "resend" || c.AvailableAt.IsZero() || c.Wait == nil || c.Wait.Text != "Available in 30 seconds" || c.Wait.Params["wait"] != float64(30) {
		t.Errorf("resend during its cooldown = %+v", c)
	}
	sms := fx.world.LastCode()
	// A wrong code: the flow says so in a message.
	s = fx.step(s, secret, "continue", map[string]any{"code": "000000"})
	if s.State != "enter_code" || len(s.Prompt.Messages) != 1 || s.Prompt.Messages[0].Text.Text != "That code is not right. 2 attempts left." ||
		s.Prompt.Messages[0].ID != "connect.code_wrong" || s.Prompt.Messages[0].Params["attempts_left"] != float64(2) {
		t.Fatalf("after a wrong code: %+v", s.Prompt)
	}
	s = fx.step(s, secret, "continue", map[string]any{"code": sms})
	if s.State != "consent" || !strings.Contains(s.Prompt.Title.Text, "Regulation on data provisioning") {
		t.Fatalf("after the code: %+v", s.Prompt)
	}
	if labels := []string{s.Prompt.Choices[0].Label.Text, s.Prompt.Choices[1].Label.Text}; labels[0] != "Accept and connect" || labels[1] != "Decline" {
		t.Errorf("consent choices = %v", labels)
	}
	if l := s.Prompt.Choices[2]; l.Role != "link" || l.URL != "https://portal.example.com/regulations/gdpr-data-provisioning-de?version=2025.1-de" || len(l.Fields) != 0 {
		t.Errorf("the regulation's link = %+v", l)
	}
	if b := s.Prompt.Body; len(b) != 1 || b[0].ID != "connect.consent_summary" || b[0].Params["document"] != "gdpr-data-provisioning-de" || strings.Contains(s.Prompt.Title.Text, "2025.1") {
		t.Errorf("the regulation's summary = %+v, title %q", b, s.Prompt.Title.Text)
	}
	s = fx.step(s, secret, "accept", nil)
	if s.State != "choose_subscription" || len(s.Prompt.Fields) != 1 || s.Prompt.Fields[0].Type != "choice" || len(s.Prompt.Fields[0].Options) != 2 {
		t.Fatalf("after consent: %+v", s.Prompt)
	}
	// A licence: its id, plan, name and expiry, to lay out without its label.
	if o := s.Prompt.Fields[0].Options[1]; o.Value != "LIC-FAM-F" || o.Label.Text != "Family (5 devices), until 31 December 2099" ||
		o.Data["plan"] != "Family" || o.Data["name"] != "Family (5 devices)" || o.Data["expires"] != "2099-12-31T00:00:00Z" || o.Data["id"] != "LIC-FAM-F" {
		t.Errorf("option = %+v", o)
	}
	s = fx.step(s, secret, "select", map[string]any{"licence": "LIC-FAM-F"})
	if s.Status != "ended" || s.Prompt != nil || s.Result == nil || !s.Result.Success || s.Result.Outcome != "connected" ||
		s.Result.Message == nil || s.Result.Message.Text != "family@example.com, plan Family, licence LIC-FAM-F" || s.Result.Output["plan"] != "Family" {
		t.Fatalf("result = %+v %+v", s.Status, s.Result)
	}
	// Nothing said a secret back, nor logged one.
	fx.noSecrets(t, familyPassword, sms, secret)
}

func TestConnectFree(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "US")
	s = fx.step(s, secret, "continue", map[string]any{"email": "free@example.com", "password": "Free-pass-2024"})
	if s.Status != "ended" || !s.Result.Success || s.Result.Output["plan"] != "Free" {
		t.Fatalf("free: %+v %+v", s.State, s.Result)
	}
}

// noSecrets fails the test when a secret appears in the log or in any
// response the store remembers.
func (fx *fixture) noSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	logs := fx.logs()
	if !strings.Contains(logs, `"request_id"`) {
		t.Errorf("the log has no request lines: %s", logs)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
}

func TestStaleVersion(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	next := fx.step(s, secret, "create_account", nil)
	// An answer for the version before: 409, nothing changes.
	r := fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": "cancel"},
		"Authorization", "Bearer "+secret, "If-Match", etag(s.Version), "Idempotency-Key", "other")
	p := r.problem(t)
	if r.status != http.StatusConflict || p.Code != "stale_version" || p.Session == nil || p.Session.Version != next.Version || p.Session.State != next.State {
		t.Fatalf("stale answer: %d %+v", r.status, p)
	}
	cur := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret).session(t)
	if cur.Version != next.Version || cur.State != next.State {
		t.Errorf("after the stale answer: version %d state %s, want %d %s", cur.Version, cur.State, next.Version, next.State)
	}
	// A stale cancellation too.
	r = fx.do("DELETE", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret, "If-Match", etag(s.Version))
	if p := r.problem(t); r.status != http.StatusConflict || p.Code != "stale_version" {
		t.Errorf("stale cancel: %d %+v", r.status, p)
	}
}

func TestIdempotentReplay(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	send := func(key string) *response {
		return fx.do("POST", "/v1/sessions/"+s.ID+"/answers",
			map[string]any{"choice": "continue", "fields": map[string]any{"email": "family@example.com", "password": familyPassword}},
			"Authorization", "Bearer "+secret, "If-Match", etag(s.Version), "Idempotency-Key", key)
	}
	first := send("key-1")
	code := fx.world.LastCode()
	again := send("key-1")
	if first.status != 200 || again.status != 200 || string(first.body) != string(again.body) {
		t.Fatalf("first %d %s\nagain %d %s", first.status, first.body, again.status, again.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("Idempotent-Replayed: first %q, again %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
	}
	if fx.world.LastCode() != code {
		t.Errorf("the replay sent another SMS code")
	}
	cur := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret).session(t)
	if cur.Version != first.session(t).Version {
		t.Errorf("version %d after the replay, want %d: a second step was taken", cur.Version, first.session(t).Version)
	}
	// Another key with the old version is another request: stale.
	if r := send("key-2"); r.status != http.StatusConflict {
		t.Errorf("another key at the old version: %d", r.status)
	}
	// A refused answer is replayed as refused.
	bad := func() *response {
		return fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": "continue", "fields": map[string]any{"code": "12x"}},
			"Authorization", "Bearer "+secret, "If-Match", etag(cur.Version), "Idempotency-Key", "key-3")
	}
	b1, b2 := bad(), bad()
	if b1.status != 422 || b2.status != 422 || string(b1.body[:len(b1.body)]) == "" || b2.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("refused answer: %d %s / replay %d %s", b1.status, b1.body, b2.status, b2.body)
	}
	if p1, p2 := b1.problem(t), b2.problem(t); p1.Code != "invalid_answer" || p1.Field != "code" || p1.Session.Version != p2.Session.Version {
		t.Errorf("refusals: %+v / %+v", p1, p2)
	}
}

func TestSecretRequired(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	other, otherSecret := fx.create("connect", "DE")
	for _, c := range []struct {
		auth   string
		status int
		code   string
	}{
		{"", 401, "secret_required"},
		{"Bearer", 401, "secret_required"},
		{"Basic " + secret, 401, "secret_required"},
		{"Bearer wrong", 404, "session_not_found"},
		{"Bearer " + otherSecret, 404, "session_not_found"},
		{"Bearer " + secret[:len(secret)-1], 404, "session_not_found"},
	} {
		for _, r := range []*response{
			fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", c.auth),
			fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": "cancel"}, "Authorization", c.auth, "If-Match", etag(s.Version), "Idempotency-Key", "k"),
			fx.do("DELETE", "/v1/sessions/"+s.ID, nil, "Authorization", c.auth),
		} {
			if p := r.problem(t); r.status != c.status || p.Code != c.code || p.Session != nil {
				t.Errorf("Authorization %q: %d %+v, want %d %s", c.auth, r.status, p, c.status, c.code)
			}
		}
	}
	// Nothing changed; the right secrets still work.
	if r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret); r.status != 200 || r.session(t).Version != s.Version {
		t.Errorf("GET with the secret: %d %s", r.status, r.body)
	}
	if r := fx.do("DELETE", "/v1/sessions/"+other.ID, nil, "Authorization", "bearer "+otherSecret); r.status != 200 || r.session(t).Result.Outcome != "cancelled" {
		t.Errorf("DELETE with the secret: %d %s", r.status, r.body)
	}
	// An unknown id reads as a wrong secret.
	if r := fx.do("GET", "/v1/sessions/00000000000000000000000000000000", nil, "Authorization", "Bearer "+secret); r.status != 404 {
		t.Errorf("unknown id: %d", r.status)
	}
}

func TestExpiry(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	fx.clock.add(29 * time.Minute)
	s = fx.step(s, secret, "create_account", nil) // activity moves the expiry on
	fx.clock.add(29 * time.Minute)
	if r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret); r.status != 200 {
		t.Fatalf("58 minutes in, 29 after the last step: %d %s", r.status, r.body)
	}
	fx.clock.add(time.Minute)
	r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
	if p := r.problem(t); r.status != http.StatusGone || p.Code != "session_expired" {
		t.Errorf("30 minutes after the last step: %d %+v", r.status, p)
	}
	if r := fx.answer(s, secret, "cancel", nil); r.status != http.StatusGone {
		t.Errorf("answer to an expired session: %d", r.status)
	}
	if n, err := fx.host.Reap(t.Context(), 10); n != 1 || err != nil {
		t.Errorf("Reap = %d, %v", n, err)
	}
	if r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret); r.status != 404 {
		t.Errorf("after reaping: %d", r.status)
	}
}

func TestRateLimits(t *testing.T) {
	fx := newFixture(t, func(c *httpapi.Config) {
		c.CreateRate, c.CreateBurst = rate.Every(time.Hour), 2
		c.AnswerRate, c.AnswerBurst = rate.Every(time.Hour), 3
	})
	s, secret := fx.create("connect", "DE")
	fx.create("connect", "DE")
	// A client naming another address itself gets no new burst: no proxy
	// is trusted.
	r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect"}, "X-Forwarded-For", "198.51.100.7")
	if p := r.problem(t); r.status != 429 || p.Code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("third create: %d %+v Retry-After %q", r.status, p, r.header.Get("Retry-After"))
	}
	for i := range 3 {
		if r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	if r := fx.answer(s, secret, "cancel", nil); r.status != 429 {
		t.Errorf("fourth request on the session: %d", r.status)
	}
	// Health is not limited.
	if r := fx.do("GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
}

// Behind a trusted proxy (here, the test's own loopback), each client the
// proxy forwards has its own limit, and the log names the client; what a
// client writes left of the proxy's hop does not count.
func TestRateLimitsBehindProxy(t *testing.T) {
	fx := newFixture(t, func(c *httpapi.Config) {
		c.CreateRate, c.CreateBurst = rate.Every(time.Hour), 1
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	create := func(xff string) int {
		return fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect"}, "X-Forwarded-For", xff).status
	}
	if got := create("198.51.100.1"); got != 201 {
		t.Fatalf("first client's create: %d", got)
	}
	if got := create("198.51.100.2"); got != 201 {
		t.Errorf("second client's create: %d, want 201 (its own limit)", got)
	}
	if got := create("203.0.113.9, 198.51.100.1"); got != 429 {
		t.Errorf("first client again, a forged hop in front: %d, want 429", got)
	}
	if !strings.Contains(fx.logs(), `"client":"198.51.100.2"`) {
		t.Errorf("the log does not name the forwarded client:\n%s", fx.logs())
	}
}

func TestProblems(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	auth := "Bearer " + secret
	path := "/v1/sessions/" + s.ID + "/answers"
	for _, c := range []struct {
		name   string
		r      *response
		status int
		code   string
	}{
		{"unknown flow", fx.do("POST", "/v1/sessions", map[string]string{"flow": "conect"}), 422, "unknown_flow"},
		{"bad country", fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "country": "UK"}), 422, "invalid_country"},
		{"bad country, by its old name", fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "region": "UK"}), 422, "invalid_region"},
		{"bad device", fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "device": "../etc/passwd"}), 422, "invalid_device"},
		{"no flow", fx.do("POST", "/v1/sessions", map[string]string{}), 422, "invalid_request"},
		{"not JSON", fx.do("POST", "/v1/sessions", "{flow:"), 400, "bad_request"},
		{"no If-Match", fx.do("POST", path, map[string]any{"choice": "cancel"}, "Authorization", auth, "Idempotency-Key", "k"), 428, "version_required"},
		{"bad If-Match", fx.do("POST", path, map[string]any{"choice": "cancel"}, "Authorization", auth, "If-Match", "abc", "Idempotency-Key", "k"), 400, "invalid_version"},
		{"no key", fx.do("POST", path, map[string]any{"choice": "cancel"}, "Authorization", auth, "If-Match", etag(s.Version)), 428, "idempotency_key_required"},
		{"bad key", fx.do("POST", path, map[string]any{"choice": "cancel"}, "Authorization", auth, "If-Match", etag(s.Version), "Idempotency-Key", "a b"), 400, "invalid_idempotency_key"},
		{"unknown choice", fx.do("POST", path, map[string]any{"choice": "fly"}, "Authorization", auth, "If-Match", etag(s.Version), "Idempotency-Key", "k1"), 422, "invalid_answer"},
		{"bad email", fx.do("POST", path, map[string]any{"choice": "continue", "fields": map[string]any{"email": "Secret-typo", "password": "x"}}, "Authorization", auth, "If-Match", etag(s.Version+1), "Idempotency-Key", "k2"), 422, "invalid_answer"},
		{"no such path", fx.do("GET", "/v2/things", nil), 404, "not_found"},
	} {
		p := c.r.problem(t)
		if c.r.status != c.status || p.Code != c.code || p.Status != c.status || p.RequestID == "" || !strings.HasSuffix(p.Type, "#"+c.code) {
			t.Errorf("%s: %d %+v, want %d %s", c.name, c.r.status, p, c.status, c.code)
		}
		if strings.Contains(string(c.r.body), "Secret-typo") {
			t.Errorf("%s: the response echoes the input: %s", c.name, c.r.body)
		}
		if c.code == "unknown_flow" && (p.Detail != "no such flow conect (did you mean connect?)" || strings.Contains(string(c.r.body), "../../flows")) {
			t.Errorf("%s: detail %q; want the name and a hint, not the server's directory", c.name, p.Detail)
		}
	}
	// An ended session refuses answers with its result.
	end := fx.do("DELETE", "/v1/sessions/"+s.ID, nil, "Authorization", auth).session(t)
	r := fx.answer(end, secret, "continue", nil)
	if p := r.problem(t); r.status != 409 || p.Code != "session_ended" || p.Session == nil || p.Session.Result.Outcome != "cancelled" {
		t.Errorf("answer to an ended session: %d %+v", r.status, p)
	}
}

func TestBodyTooLarge(t *testing.T) {
	fx := newFixture(t, func(c *httpapi.Config) { c.MaxBody = 1024 })
	big := `{"flow":"connect","device":"` + strings.Repeat("a", 2000) + `"}`
	r := fx.do("POST", "/v1/sessions", big)
	if p := r.problem(t); r.status != 413 || p.Code != "body_too_large" {
		t.Errorf("a 2 KB body: %d %+v", r.status, p)
	}
	// Without a Content-Length (chunked), the limit holds as it reads.
	req, _ := http.NewRequest("POST", fx.http.URL+"/v1/sessions", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("a chunked 2 KB body: %d", resp.StatusCode)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	fx.step(s, secret, "cancel", nil)
	if r := fx.do("GET", "/readyz", nil); r.status != 200 {
		t.Errorf("readyz: %d", r.status)
	}
	m := string(fx.do("GET", "/metrics", nil).body)
	for _, want := range []string{
		`tether_steps_total{op="start"} 1`, `tether_steps_total{op="answer"} 1`,
		`tether_outcomes_total{flow="connect",outcome="cancelled"} 1`, `tether_step_duration_seconds_count{op="answer"} 1`,
		`tether_http_requests_total{route="POST /v1/sessions",status="201"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	fx.srv.Drain()
	if r := fx.do("GET", "/readyz", nil); r.status != 503 {
		t.Errorf("readyz while draining: %d", r.status)
	}
	if r := fx.do("GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz while draining: %d", r.status)
	}
}

// The create request names its country country; region, its old name, is
// taken until the next release, with a warning in the response. A
// country is an ISO 3166-1 alpha-2 code and nothing else: a region's name,
// lower case, a reserved or unknown code or a long string is refused and
// not echoed.
func TestCreateCountry(t *testing.T) {
	fx := newFixture(t)
	create := func(body map[string]string) *response {
		return fx.do("POST", "/v1/sessions", map[string]any{"flow": "connect", "country": body["country"], "region": body["region"]})
	}
	for _, c := range []struct {
		name, country, region string
		warned                bool
	}{
		{"country", "DE", "", false},
		{"region, the old name", "", "DE", true},
		{"both, the same", "DE", "DE", true},
	} {
		r := create(map[string]string{"country": c.country, "region": c.region})
		if r.status != http.StatusCreated {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
			continue
		}
		s := r.session(t)
		if s.Country != "DE" || s.Region != "eu-de" {
			t.Errorf("%s: country %q, region %q; want DE under eu-de", c.name, s.Country, s.Region)
		}
		want := []string(nil)
		if c.warned {
			want = []string{"deprecated: the request member region is the old name of country and goes in the next release; send country"}
		}
		if !slices.Equal(s.Warnings, want) {
			t.Errorf("%s: warnings %q, want %q", c.name, s.Warnings, want)
		}
		if got := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+s.Secret).session(t); len(got.Warnings) > 0 {
			t.Errorf("%s: a later GET repeats the warnings %q", c.name, got.Warnings)
		}
	}
	long := strings.Repeat("D", 10<<10)
	for _, c := range []struct {
		name, country, region, code, detail string
	}{
		{"both, differing", "DE", "FR", "invalid_country", "region is country's old name: give country only"},
		{"lower case", "de", "", "invalid_country", `"de" is not upper case; did you mean DE?`},
		{"unassigned", "ZZ", "", "invalid_country", "ZZ is not an assigned ISO 3166-1 alpha-2 code"},
		{"a group", "EU", "", "invalid_country", "EU is not an assigned ISO 3166-1 alpha-2 code"},
		{"a region's name", "eu-de", "", "invalid_country", "eu-de is a region (a policy overlay), not a country; give one of its countries: AT, DE, LI"},
		{"a region's name, by the old member", "", "eu-de", "invalid_region", "eu-de is a region (a policy overlay), not a country; give one of its countries: AT, DE, LI"},
		{"10 KB", long, "", "invalid_request", ""},
		{"10 KB, by the old member", "", long, "invalid_request", ""},
	} {
		r := create(map[string]string{"country": c.country, "region": c.region})
		p := r.problem(t)
		if r.status != 422 || p.Code != c.code || c.detail != "" && p.Detail != c.detail {
			t.Errorf("%s: %d %s %q, want 422 %s %q", c.name, r.status, p.Code, p.Detail, c.code, c.detail)
		}
		if strings.Contains(string(r.body), "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD") {
			t.Errorf("%s: the problem echoes the 10 KB country", c.name)
		}
	}
}
