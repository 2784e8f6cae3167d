package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/web"
)

const familyPassword = "Family-pass-2024"

// A form without the right CSRF token is refused, and nothing happens:
// no step on the session, no session started.
func TestCSRFRefused(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.start("DE")
	if page.screen() != "sign_in/2" {
		t.Fatalf("first screen %q", page.screen())
	}
	other := fx.browser()
	otherPage := other.start("")
	otherToken := csrfRE.FindStringSubmatch(otherPage.body)[1]
	for name, token := range map[string]string{"none": "", "made up": "AAAA", "another session's": otherToken} {
		form := url.Values{"tether.version": {"2"}, "tether.choice": {"continue"}, "email": {"family@example.com"}, "password": {familyPassword}}
		if token != "" {
			form.Set("tether.csrf", token)
		}
		r := b.post("/web/answer", form)
		if r.status != http.StatusForbidden || !strings.Contains(r.text(), "This form has expired") {
			t.Errorf("%s token: %d %s", name, r.status, r.text())
		}
		if strings.Contains(r.body, familyPassword) {
			t.Errorf("%s token: the refusal shows the password", name)
		}
	}
	if got := b.get("/").screen(); got != "sign_in/2" {
		t.Errorf("after the refused posts the session is at %q, want sign_in/2", got)
	}

	// The start form: without the browser's form cookie, or with a token
	// made for another browser, no session starts.
	fresh := fx.browser()
	r := fresh.post("/web/start", url.Values{"tether.csrf": {otherToken}, "country": {"DE"}})
	if r.status != http.StatusForbidden {
		t.Errorf("start without the form cookie: %d", r.status)
	}
	fresh.get("/") // now it has a form cookie of its own
	r = fresh.post("/web/start", url.Values{"tether.csrf": {otherToken}, "country": {"DE"}})
	if r.status != http.StatusForbidden {
		t.Errorf("start with another browser's token: %d", r.status)
	}
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "tether_session=") {
			t.Errorf("a refused start set %s", c)
		}
	}
	if got := fresh.get("/").screen(); got != "start" {
		t.Errorf("after the refused start: screen %q", got)
	}
}

// cookies returns the cookies a response sets, by name.
func cookies(t *testing.T, r *response) map[string]*http.Cookie {
	t.Helper()
	out := map[string]*http.Cookie{}
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		out[c.Name] = c
	}
	return out
}

// Every cookie is HttpOnly, SameSite=Strict and for the whole site;
// Secure, with the __Host- prefix, over TLS or when the deployment says
// TLS ends in front of it.
func TestCookieAttributes(t *testing.T) {
	cases := []struct {
		name   string
		opts   []option
		secure bool
	}{
		{"http", nil, false},
		{"tls", []option{withTLS}, true},
		{"http behind a TLS proxy", []option{func(s *setup) { s.cfg.SecureCookies = true }}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newFixture(t, c.opts...)
			b := fx.browser()
			page := b.get("/")
			token := csrfRE.FindStringSubmatch(page.body)[1]
			r := b.post("/web/start", url.Values{"tether.csrf": {token}, "country": {"DE"}})
			set := cookies(t, page)
			for k, v := range cookies(t, r) {
				set[k] = v
			}
			prefix := ""
			if c.secure {
				prefix = "__Host-"
			}
			for _, name := range []string{"tether_form", "tether_device", "tether_device_key", "tether_session"} {
				ck := set[prefix+name]
				if ck == nil {
					t.Errorf("no cookie %s%s among %v", prefix, name, r.header.Values("Set-Cookie"))
					continue
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != c.secure {
					t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q Domain %q Secure %v", ck.Name, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain, ck.Secure)
				}
			}
			if s := set[prefix+"tether_session"]; s != nil && (s.MaxAge != 0 || !s.Expires.IsZero()) {
				t.Errorf("the session cookie outlives the browser: MaxAge %d Expires %v", s.MaxAge, s.Expires)
			}
			for _, name := range []string{"tether_device", "tether_device_key"} {
				if d := set[prefix+name]; d != nil && d.MaxAge < 300*24*3600 {
					t.Errorf("the cookie %s lives %ds", name, d.MaxAge)
				}
			}
			if got := b.get("/").screen(); got != "sign_in/2" {
				t.Errorf("with its cookies the browser is at %q", got)
			}
		})
	}
}

// Every response of the pages — a page, a redirect, a refusal, an asset,
// a missing page — carries the security headers.
func TestSecurityHeaders(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.start("")
	responses := map[string]*response{
		"page":     page,
		"redirect": b.answer(page, "continue", map[string]string{"email": "nobody@example.com", "password": "x"}),
		"refusal":  b.post("/web/answer", url.Values{"tether.csrf": {"nope"}}),
		"css":      b.get("/web/assets/tether.css"),
		"script":   b.get("/web/assets/tether.js"),
		"missing":  b.get("/web/nothing"),
		"asset":    b.get("/web/assets/..%2fweb.go"),
	}
	for name, r := range responses {
		h := r.header
		if got := h.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy %q", name, got)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s %q, want %q", name, k, h.Get(k), want)
			}
		}
	}
	if !strings.Contains(web.ContentSecurityPolicy, "default-src 'none'") || strings.Contains(web.ContentSecurityPolicy, "unsafe") {
		t.Errorf("the policy allows more than the pages' own resources: %s", web.ContentSecurityPolicy)
	}
	if r := responses["missing"]; r.status != http.StatusNotFound {
		t.Errorf("missing page: %d", r.status)
	}
	if r := responses["asset"]; r.status != http.StatusNotFound {
		t.Errorf("an asset path out of the assets: %d %s", r.status, r.body)
	}
	if r := responses["css"]; r.status != 200 || r.header.Get("Content-Type") != "text/css; charset=utf-8" || r.header.Get("ETag") == "" {
		t.Errorf("css: %d %v", r.status, r.header)
	}
	// No inline script or style for the policy to block.
	for _, bad := range []string{"<script>", "style=", "<style", " on"} {
		if strings.Contains(page.body, bad) {
			t.Errorf("the page has inline %q", bad)
		}
	}
}

// A refused answer redirects to a page that says why, and shows none of
// what was typed: not the password, not the code, not the email address,
// and never the session's secret. No URL holds a secret, and neither does
// the log.
func TestNoSecretAfterRefusal(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.start("DE")
	wrongPassword := "Wrong-pass-8123"
	r := b.answer(page, "continue", map[string]string{"email": "family@example.com", "password": wrongPassword})
	if loc := r.header.Get("Location"); loc != "/" {
		t.Errorf("redirected to %q", loc)
	}
	page = b.get("/")
	page.mustContain(t, "The email address or password is not right.")
	page = b.signIn(page, "family@example.com", familyPassword)
	if !strings.HasPrefix(page.screen(), "enter_code/") {
		t.Fatalf("after sign-in: %s", page.text())
	}
	sms := fx.world.LastCode()
	typed := []string{"12ab34", "918273"}
	for _, code := range typed {
		page = b.step(page, "continue", map[string]string{"code": code})
	}
	page.mustContain(t, "That code is not right.")
	bad := b.step(page, "continue", map[string]string{"code": "12ab"})
	bad.mustContain(t, "There is a problem", "Code: The code is made of digits only.")
	if !strings.Contains(bad.body, `aria-invalid="true"`) || !strings.Contains(bad.body, `role="alert"`) || !strings.Contains(bad.body, "<title>Error: ") {
		t.Errorf("the refused field is not marked for assistive technology: %s", bad.body)
	}
	var secret string
	for _, c := range b.client.Jar.Cookies(mustURL(t, fx.http.URL)) {
		if c.Name == "tether_session" {
			_, secret, _ = strings.Cut(c.Value, ".")
		}
	}
	if secret == "" {
		t.Fatal("no session cookie")
	}
	for _, p := range []*response{page, bad} {
		for _, s := range append([]string{wrongPassword, familyPassword, secret, "family@example.com", "12ab"}, typed...) {
			if strings.Contains(p.body, s) {
				t.Errorf("page %s holds %q", p.screen(), s)
			}
		}
		if strings.Contains(p.body, ` value="`+sms) {
			t.Errorf("page %s holds the SMS code", p.screen())
		}
	}
	page = b.step(bad, "continue", map[string]string{"code": sms})
	if !strings.HasPrefix(page.screen(), "consent/") {
		t.Fatalf("after the code: %s", page.text())
	}
	logs := fx.log.String()
	for _, s := range append([]string{wrongPassword, familyPassword, secret, sms}, typed...) {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	if strings.Contains(logs, "tether_session") || strings.Contains(logs, "?") {
		t.Errorf("the log holds a cookie or a query: %s", logs)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Every post is answered with a redirect to / (post-redirect-get); the
// same form posted again takes no second step; why an answer was refused
// is said once.
func TestPostRedirectGet(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.start("")
	r := b.answer(page, "continue", map[string]string{"email": "bundle@example.com", "password": "Bundle-pass-2024"})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" || r.body != "" {
		t.Fatalf("answer: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	next := b.get("/")
	if next.screen() != "result" {
		t.Fatalf("after the answer: %s", next.text())
	}
	next.mustContain(t, "Connected to bundle@example.com — Personal")
	// The same form again (a reload of the post, a double click): the
	// first answer's result, no second step.
	again := b.answer(page, "continue", map[string]string{"email": "bundle@example.com", "password": "Bundle-pass-2024"})
	if again.status != http.StatusSeeOther || b.get("/").screen() != "result" {
		t.Errorf("the form again: %d, then %s", again.status, b.get("/").screen())
	}

	// A refusal is said on the next page, and not on the one after.
	b2 := fx.browser()
	page = b2.start("")
	refused := b2.step(page, "continue", map[string]string{"email": "not an address", "password": "x"})
	refused.mustContain(t, "Email address: Enter an email address, like name@example.com.")
	if !strings.Contains(refused.body, `<a href="#field-email">`) {
		t.Errorf("the error does not link to its field: %s", refused.body)
	}
	if later := b2.get("/"); strings.Contains(later.text(), "not an email address") {
		t.Errorf("the refusal is said again: %s", later.text())
	}
	// A page kept open after the session moved on: its answer is not
	// taken, and the next page says so.
	stale := b2.step(page, "create_account", nil)
	stale.mustContain(t, "This page had changed since you last saw it.")
	if !strings.HasPrefix(stale.screen(), "sign_in/") {
		t.Errorf("the stale answer was taken: %s", stale.screen())
	}
}

// "Get a new code" is disabled with the wait while the cooldown lasts,
// the script that counts it down included; after it, the button is
// enabled and the page has no script.
func TestResendWait(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.signIn(b.start("DE"), "family@example.com", familyPassword)
	resend := `<button type="submit" name="tether.choice" value="resend" class="secondary" formnovalidate disabled data-wait="30" data-label="Get a new code" aria-describedby="wait-resend">Get a new code (30 s)</button>`
	if !strings.Contains(page.body, resend) || !strings.Contains(page.body, `<script src="/web/assets/tether.js" defer></script>`) {
		t.Fatalf("code page:\n%s", page.body)
	}
	page.mustContain(t, "“Get a new code” is available in 30 s. Reload this page when the wait is over.")
	fx.clock.Add(12 * time.Second)
	page = b.get("/")
	if !strings.Contains(page.body, `data-wait="18"`) || !strings.Contains(page.body, "Get a new code (18 s)") {
		t.Errorf("12s on: %s", page.text())
	}
	fx.clock.Add(18 * time.Second)
	page = b.get("/")
	if !strings.Contains(page.body, `<button type="submit" name="tether.choice" value="resend" class="secondary" formnovalidate>Get a new code</button>`) ||
		strings.Contains(page.body, "data-wait") || strings.Contains(page.body, "<script") {
		t.Errorf("after the cooldown: %s", page.body)
	}
	page = b.step(page, "resend", nil)
	page.mustContain(t, "A new code was sent. The previous code no longer works.", "Get a new code (30 s)")
}

// The country comes from ?country=, else the deployment's default; a bad
// one is said, and the select keeps the default.
func TestCountry(t *testing.T) {
	fx := newFixture(t, func(s *setup) { s.cfg.Country = "BR" })
	b := fx.browser()
	if page := b.get("/"); !strings.Contains(page.body, `<option value="BR" selected>Brazil</option>`) {
		t.Errorf("the default country is not selected")
	}
	if page := b.get("/?country=DE"); !strings.Contains(page.body, `<option value="DE" selected>Germany</option>`) || strings.Contains(page.body, `value="BR" selected`) {
		t.Errorf("?country=DE is not selected")
	}
	page := b.get("/?country=de")
	page.mustContain(t, `"de" is not upper case; did you mean DE?`)
	if !strings.Contains(page.body, `<option value="BR" selected>`) {
		t.Errorf("a bad country: the default is not selected")
	}
	page = b.get("/?country=" + url.QueryEscape(`<script>alert(1)</script>`+strings.Repeat("x", 5000)))
	if page.status != 200 || strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "xxxxxxxxx") {
		t.Errorf("a hostile country: %d %s", page.status, page.body)
	}
	// Germany asks for the regulation whoever signs in; Singapore's
	// account then does not.
	page = b.signIn(b.start("DE"), "bundle@example.com", "Bundle-pass-2024")
	if !strings.HasPrefix(page.screen(), "consent/") {
		t.Errorf("in Germany: %s", page.text())
	}
	page.mustContain(t, "Regulation on data provisioning Under the EU General Data Protection Regulation (GDPR), as the German text", "Read the regulation (version 2025.1-de) Accept and connect", "Decline")
	if !strings.Contains(page.body, `<a href="https://portal.example.com/regulations/gdpr-data-provisioning-de?version=2025.1-de" rel="noopener noreferrer">Read the regulation (version 2025.1-de)</a>`) {
		t.Errorf("the regulation is not linked:\n%s", page.body)
	}
	if _, err := web.New(web.Config{Host: fx.host, Country: "UK"}); err == nil || !strings.Contains(err.Error(), "GB") {
		t.Errorf("a default country of UK: %v", err)
	}
}

// ?region=, the old name of ?country=, is taken until the next release:
// the browser is sent to the address it has now, which it shows from then
// on. A start page of the release before, whose form names its select
// region, still starts in the country picked.
func TestCountryOldName(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	for _, c := range []struct{ path, want string }{
		{"/?region=DE", "/?country=DE"},
		{"/?region=DE&country=FR", "/?country=FR"},
		{"/?region=", "/?country="},
		{"/?region=de&x=1", "/?country=de&x=1"},
	} {
		r := b.get(c.path)
		if r.status != http.StatusMovedPermanently || r.header.Get("Location") != c.want {
			t.Errorf("GET %s: %d Location %q, want 301 %s", c.path, r.status, r.header.Get("Location"), c.want)
		}
	}
	page := b.get("/")
	token := csrfRE.FindStringSubmatch(page.body)[1]
	r := b.post("/web/start", url.Values{"tether.csrf": {token}, "region": {"DE"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("start with the old field: %d %s", r.status, r.header.Get("Location"))
	}
	page = b.signIn(b.get("/"), "bundle@example.com", "Bundle-pass-2024")
	if !strings.HasPrefix(page.screen(), "consent/") {
		t.Errorf("started with region=DE, not in Germany: %s", page.text())
	}
}

// Every way a session ends that is not a success has a page that says so
// and what to do next, with a button that starts again in the same
// country.
func TestOutcomePages(t *testing.T) {
	type path func(fx *fixture, b *browser, page *response) *response
	cases := []struct {
		name, country string
		path          path
		want          []string
		// again is the screen Start again leads to: sign-in, unless the
		// device was connected (its saved connection signs it in).
		again string
	}{
		{"cancelled", "DE", func(fx *fixture, b *browser, page *response) *response {
			return b.step(page, "cancel", nil)
		}, []string{"This device is not connected", "You cancelled before the device was connected."}, "sign_in/"},
		{"declined", "DE", func(fx *fixture, b *browser, page *response) *response {
			page = b.signIn(page, "bundle@example.com", "Bundle-pass-2024")
			return b.step(page, "decline", nil)
		}, []string{"This device is not connected", "You declined the regulation on data provisioning", "choose Accept and connect"}, "sign_in/"},
		{"code_blocked", "", func(fx *fixture, b *browser, page *response) *response {
			page = b.signIn(page, "family@example.com", familyPassword)
			for range 3 {
				page = b.step(page, "continue", map[string]string{"code": "000000"})
			}
			return page
		}, []string{"Too many wrong codes", "Start again to sign in and get a new code."}, "sign_in/"},
		{"no_subscription", "", func(fx *fixture, b *browser, page *response) *response {
			page = b.signIn(page, "family@example.com", familyPassword)
			page = b.step(page, "continue", map[string]string{"code": fx.world.LastCode()})
			page = b.step(page, "accept", nil)
			return b.step(page, "cancel", nil)
		}, []string{"No subscription is active on this device", "This device is connected to family@example.com, but no subscription is active on it", "Start again to choose one"}, "consent/"},
		{"locked", "", func(fx *fixture, b *browser, page *response) *response {
			for range 5 {
				fields := map[string]string{"email": "locked@example.com", "password": "Locked-pass-2024"}
				if strings.Contains(page.body, `name="captcha"`) {
					answer, _ := fx.world.Lookup("captcha")
					fields["captcha"] = answer
				}
				page = b.step(page, "continue", fields)
			}
			return page
		}, []string{"Too many attempts to sign in", "Wait a quarter of an hour, then start again."}, "sign_in/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newFixture(t)
			b := fx.browser()
			page := c.path(fx, b, b.start(c.country))
			if page.screen() != "result" {
				t.Fatalf("ended at %s: %s", page.screen(), page.text())
			}
			page.mustContain(t, c.want...)
			if !strings.Contains(page.body, `<input type="hidden" name="country" value="`+c.country+`">`) || !strings.Contains(page.body, ">Start again</button>") {
				t.Fatalf("no Start again in country %q: %s", c.country, page.body)
			}
			token := csrfRE.FindStringSubmatch(page.body)[1]
			r := b.post("/web/start", url.Values{"tether.csrf": {token}, "country": {c.country}})
			if r.status != http.StatusSeeOther || !strings.HasPrefix(b.get("/").screen(), c.again) {
				t.Errorf("Start again: %d, then %s", r.status, b.get("/").screen())
			}
		})
	}
}

// A session left alone past its expiry is gone: the start page says so,
// and the cookie is cleared.
func TestExpired(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.start("")
	fx.clock.Add(31 * time.Minute)
	r := b.answer(page, "cancel", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("answer to an expired session: %d", r.status)
	}
	page = b.get("/")
	if page.screen() != "start" {
		t.Fatalf("after expiry: %s", page.text())
	}
	page.mustContain(t, "Your last sign-in here has ended, or expired after a while with nothing done.")
	for _, c := range b.client.Jar.Cookies(mustURL(t, fx.http.URL)) {
		if c.Name == "tether_session" {
			t.Errorf("the expired session's cookie is kept")
		}
	}
}

// Hostile requests get an error page, never a crash or a step.
func TestHostile(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	startToken := csrfRE.FindStringSubmatch(b.get("/").body)[1]
	page := b.start("")
	token := csrfRE.FindStringSubmatch(page.body)[1]
	cases := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"a body over 16 KiB", url.Values{"tether.csrf": {token}, "x": {strings.Repeat("a", 20<<10)}}, http.StatusRequestEntityTooLarge},
		{"no version", url.Values{"tether.csrf": {token}, "tether.choice": {"cancel"}}, http.StatusBadRequest},
		{"a version that is not one", url.Values{"tether.csrf": {token}, "tether.version": {"-1"}, "tether.choice": {"cancel"}}, http.StatusBadRequest},
		{"a long choice", url.Values{"tether.csrf": {token}, "tether.version": {"2"}, "tether.choice": {strings.Repeat("c", 100)}}, http.StatusBadRequest},
	}
	for _, c := range cases {
		r := b.post("/web/answer", c.form)
		if r.status != c.status {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.status)
		}
	}
	// A choice the prompt does not have is refused by the flow.
	r := b.answer(page, "launch_missiles", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("an unknown choice: %d", r.status)
	}
	b.get("/").mustContain(t, "That is not one of the answers this screen takes (continue, create_account, cancel).")
	// A garbled cookie is no session.
	req, _ := http.NewRequest("GET", fx.http.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "tether_session", Value: strings.Repeat("z.", 3000)})
	if r := fx.browser().do(req); r.status != 200 || r.screen() != "start" {
		t.Errorf("a garbled session cookie: %d %s", r.status, r.screen())
	}
	// A code that is no country, posted: back to the start page, which
	// says so.
	r = b.post("/web/start", url.Values{"tether.csrf": {startToken}, "country": {"XX"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/?country=XX" {
		t.Errorf("start in XX: %d %s", r.status, r.header.Get("Location"))
	}
	if got := b.get("/").screen(); !strings.HasPrefix(got, "sign_in/") {
		t.Errorf("the refused start replaced the session: %s", got)
	}
}

// A flash cookie set by someone else — a forged reason for a refusal —
// is not shown: only the pages' own, signed with the session's secret.
func TestForgedFlash(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.start("")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"refused","t":"Call +1 555 0100 to unlock your account"}`))
	for _, v := range []string{forged, forged + ".bm90IGEgc2lnbmF0dXJl"} {
		b.client.Jar.SetCookies(mustURL(t, fx.http.URL), []*http.Cookie{{Name: "tether_flash", Value: v, Path: "/"}})
		if page := b.get("/"); strings.Contains(page.body, "555") || page.screen() != "sign_in/2" {
			t.Errorf("a forged flash %q is shown: %s", v, page.text())
		}
	}
}

// Past its rate, an address is told to wait.
func TestRateLimit(t *testing.T) {
	fx := newFixture(t, func(s *setup) { s.cfg.StartRate, s.cfg.StartBurst = rate.Every(time.Hour), 1 })
	b := fx.browser()
	b.start("")
	page := b.get("/?country=FR")
	token := csrfRE.FindStringSubmatch(page.body)[1]
	r := b.post("/web/start", url.Values{"tether.csrf": {token}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("a second start within the hour: %d %v", r.status, r.header)
	}
	r.mustContain(t, "Too many tries")

	// Reading a session is limited as answering it is.
	fx = newFixture(t, func(s *setup) { s.cfg.AnswerRate, s.cfg.AnswerBurst = rate.Every(time.Hour), 3 })
	b = fx.browser()
	b.start("") // its GET / of the new session takes one token
	b.get("/")
	b.get("/")
	if r := b.get("/"); r.status != http.StatusTooManyRequests {
		t.Errorf("a fourth read of the session within the hour: %d", r.status)
	}
	if r := fx.browser().get("/"); r.status != http.StatusOK {
		t.Errorf("the start page, with no session, is limited: %d", r.status)
	}
}

// "Choose subscription" lists each licence — plan, devices, end of term —
// with its own Select.
func TestChooseSubscription(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	page := b.signIn(b.start(""), "family@example.com", familyPassword)
	page = b.step(page, "continue", map[string]string{"code": fx.world.LastCode()})
	page = b.step(page, "accept", nil)
	if !strings.HasPrefix(page.screen(), "choose_subscription/") {
		t.Fatalf("screen %s", page.screen())
	}
	page.mustContain(t, "Choose subscription",
		"Personal, until 31 December 2099 Select",
		"Family (5 devices), until 31 December 2099 Select", "Not now")
	if n := strings.Count(page.body, `value="select"`); n != 2 {
		t.Errorf("%d Select buttons, want 2", n)
	}
	if strings.Contains(page.text(), "LIC-FAM-F Family") {
		t.Errorf("the terminal's list is shown too: %s", page.text())
	}
	page = b.step(page, "select", map[string]string{"licence": "LIC-FAM-F"})
	page.mustContain(t, "Connected to family@example.com — Family", "licence LIC-FAM-F")
}
