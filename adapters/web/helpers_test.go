package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/web"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/fake"
	"github.com/tetherflow/tether/ui"
)

// fixture is the pages over the shipped flows, the demo world, a memory
// store and a fake clock, served by an httptest server.
type fixture struct {
	t     *testing.T
	clock *fake.Clock
	world *demo.World
	host  *host.Host
	http  *httptest.Server
	log   *fake.Log
}

// setup is what a fixture is made with.
type setup struct {
	cfg web.Config
	tls bool
}

// option changes a fixture's setup.
type option func(*setup)

// withTLS serves the pages over TLS.
func withTLS(s *setup) { s.tls = true }

func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	fx := &fixture{t: t, clock: fake.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)), log: &fake.Log{}}
	pfx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	credDir := t.TempDir()
	fx.world, err = demo.New(pfx, demo.Options{Now: fx.clock.Now, Seed: 1, Store: func(device string) actions.CredentialStore {
		return credstore.New(filepath.Join(credDir, device+".json"))
	}})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := fx.world.Actions(context.Background(), "catalog")
	cat, err := catalog.Load("../../flows", catalog.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	fx.host, err = host.New(host.Config{Catalog: cat, Store: store, Actions: fx.world.Actions, Now: fx.clock.Now,
		Rand: fake.Rand(1), IdleTimeout: 30 * time.Minute, Secrets: true, DeviceKeys: devices.NewAccess(store, nil, fake.Rand(2))})
	if err != nil {
		t.Fatal(err)
	}
	var files []*syntax.File
	for _, name := range cat.Names() {
		if f, ok := cat.File(name); ok {
			files = append(files, f)
		}
	}
	cats, err := ui.Load("../../flows/locales", files)
	if err != nil {
		t.Fatal(err)
	}
	su := &setup{cfg: web.Config{Host: fx.host, Now: fx.clock.Now, Log: httpapi.NewLogger(fx.log, slog.LevelInfo),
		StartRate: rate.Inf, AnswerRate: rate.Inf, Catalogs: func() *ui.Catalogs { return cats }}}
	for _, o := range opts {
		o(su)
	}
	pages, err := web.New(su.cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pages.Register(mux)
	if su.tls {
		fx.http = httptest.NewTLSServer(mux)
	} else {
		fx.http = httptest.NewServer(mux)
	}
	t.Cleanup(fx.http.Close)
	return fx
}

// browser is a client with its own cookies that does not follow
// redirects, so that a test sees each response.
type browser struct {
	fx     *fixture
	client *http.Client
	// lang, when set, is every request's Accept-Language.
	lang string
}

func (fx *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := fx.http.Client()
	client := &http.Client{Transport: c.Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return &browser{fx: fx, client: client}
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) *response {
	b.fx.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.fx.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// get GETs path.
func (b *browser) get(path string) *response {
	b.fx.t.Helper()
	req, _ := http.NewRequest("GET", b.fx.http.URL+path, nil)
	return b.do(req)
}

// post posts form to path.
func (b *browser) post(path string, form url.Values) *response {
	b.fx.t.Helper()
	req, _ := http.NewRequest("POST", b.fx.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	csrfRE    = regexp.MustCompile(`name="tether.csrf" value="([^"]+)"`)
	versionRE = regexp.MustCompile(`name="tether.version" value="([^"]+)"`)
	screenRE  = regexp.MustCompile(`data-screen="([^"]+)"`)
	tagRE     = regexp.MustCompile(`(?s)<[^>]*>`)
)

// screen returns the key of the page's screen ("enter_code/7", "start").
func (r *response) screen() string {
	if m := screenRE.FindStringSubmatch(r.body); m != nil {
		return m[1]
	}
	return ""
}

// start opens the start page and starts a session in the country cc; it
// returns the first screen.
func (b *browser) start(cc string) *response {
	b.fx.t.Helper()
	page := b.get("/")
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil {
		b.fx.t.Fatalf("start page without a CSRF token: %s", page.body)
	}
	r := b.post("/web/start", url.Values{"tether.csrf": {m[1]}, "country": {cc}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		b.fx.t.Fatalf("start: %d %v %s", r.status, r.header, r.body)
	}
	return b.get("/")
}

// answer answers the prompt page shows with choice and fields, as its
// form would, and returns the response to the post.
func (b *browser) answer(page *response, choice string, fields map[string]string) *response {
	b.fx.t.Helper()
	c, v := csrfRE.FindStringSubmatch(page.body), versionRE.FindStringSubmatch(page.body)
	if c == nil || v == nil {
		b.fx.t.Fatalf("no answer form on %s: %s", page.screen(), page.body)
	}
	form := url.Values{"tether.csrf": {c[1]}, "tether.version": {v[1]}, "tether.choice": {choice}}
	for k, val := range fields {
		form.Set(k, val)
	}
	return b.post("/web/answer", form)
}

// step answers and follows the redirect, failing the test unless the post
// was redirected to /.
func (b *browser) step(page *response, choice string, fields map[string]string) *response {
	b.fx.t.Helper()
	r := b.answer(page, choice, fields)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		b.fx.t.Fatalf("answer %s on %s: %d %v %s", choice, page.screen(), r.status, r.header, r.body)
	}
	return b.get("/")
}

// signIn signs in with email and password from the sign-in page.
func (b *browser) signIn(page *response, email, password string) *response {
	b.fx.t.Helper()
	return b.step(page, "continue", map[string]string{"email": email, "password": password})
}

// text is the page's main element with the tags taken out and the
// spaces squeezed: what a person reads.
func (r *response) text() string {
	main := r.body
	if i := strings.Index(main, "<main"); i >= 0 {
		main = main[i:]
	}
	main = tagRE.ReplaceAllString(main, " ")
	return strings.Join(strings.Fields(html.UnescapeString(main)), " ")
}

// mustContain fails the test unless the page's text has every want.
func (r *response) mustContain(t *testing.T, want ...string) {
	t.Helper()
	text := r.text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page %s lacks %q; it reads:\n%s", r.screen(), w, text)
		}
	}
}
