package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a server over the shipped flows, the demo world, a memory
// store and a fake clock, with its log captured.
type fixture struct {
	t       *testing.T
	srv     *httpapi.Server
	http    *httptest.Server
	world   *demo.World
	host    *host.Host
	store   *memory.Store
	clock   *clock
	log     *bytes.Buffer
	logMu   sync.Mutex
	metrics *httpapi.Metrics
	// catalogs are the flows' locales and the built-in words.
	catalogs atomic.Pointer[ui.Catalogs]
}

type option func(*httpapi.Config)

func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	return newFixtureOn(t, "../../flows", nil, opts...)
}

// newFixtureOn is newFixture over the flows in dir, their versions kept
// in archive (nil: none).
func newFixtureOn(t *testing.T, dir string, archive catalog.Archive, opts ...option) *fixture {
	t.Helper()
	fx := &fixture{t: t, clock: &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}, store: memory.New(), log: &bytes.Buffer{}}
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
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Archive: archive})
	if err != nil {
		t.Fatal(err)
	}
	fx.metrics = httpapi.NewMetrics()
	fx.host, err = host.New(host.Config{Catalog: cat, Store: fx.store, Actions: fx.world.Actions, Now: fx.clock.Now,
		Rand: seeded{rand.New(rand.NewPCG(1, 2))}, IdleTimeout: 30 * time.Minute, Secrets: true, Observe: fx.metrics.Observe,
		DeviceKeys: devices.NewAccess(fx.store, nil, seeded{rand.New(rand.NewPCG(3, 4))})})
	if err != nil {
		t.Fatal(err)
	}
	var files []*syntax.File
	for _, name := range cat.Names() {
		if f, ok := cat.File(name); ok {
			files = append(files, f)
		}
	}
	cats, err := ui.Load(filepath.Join(dir, "locales"), files)
	if err != nil {
		t.Fatal(err)
	}
	fx.catalogs.Store(cats)
	// A reload brings the flows' texts, which are the source locale, as
	// tether serve's does.
	reload := func(ctx context.Context) (*catalog.Changes, error) {
		ch, err := cat.Reload(ctx)
		if err == nil && ch != nil && ch.Applied {
			var files []*syntax.File
			for _, name := range cat.Names() {
				if f, ok := cat.File(name); ok {
					files = append(files, f)
				}
			}
			cats, lerr := ui.Load(filepath.Join(dir, "locales"), files)
			if lerr != nil {
				return nil, lerr
			}
			fx.catalogs.Store(cats)
		}
		return ch, err
	}
	cfg := httpapi.Config{Host: fx.host, Log: httpapi.NewLogger(lockedWriter{fx}, slog.LevelInfo), Metrics: fx.metrics,
		CreateRate: rate.Inf, AnswerRate: rate.Inf, Reload: reload, Now: fx.clock.Now, Catalogs: fx.catalogs.Load}
	for _, o := range opts {
		o(&cfg)
	}
	fx.srv, err = httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fx.http = httptest.NewServer(fx.srv.Handler())
	t.Cleanup(fx.http.Close)
	return fx
}

type lockedWriter struct{ fx *fixture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.fx.logMu.Lock()
	defer w.fx.logMu.Unlock()
	return w.fx.log.Write(p)
}

func (fx *fixture) logs() string {
	fx.logMu.Lock()
	defer fx.logMu.Unlock()
	return fx.log.String()
}

type seeded struct{ r *rand.Rand }

func (s seeded) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.Uint32())
	}
	return len(p), nil
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) session(t *testing.T) *httpapi.Session {
	t.Helper()
	var s httpapi.Session
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatalf("response %d %s: %v", r.status, r.body, err)
	}
	return &s
}

func (r *response) problem(t *testing.T) *httpapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("problem with Content-Type %q, want application/problem+json (body %s)", ct, r.body)
	}
	var p struct {
		httpapi.Problem
		Session *httpapi.Session `json:"session"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem %d %s: %v", r.status, r.body, err)
	}
	p.Problem.Session = p.Session
	return &p.Problem
}

// do sends a request; body is JSON-encoded unless it is a string.
func (fx *fixture) do(method, path string, body any, header ...string) *response {
	fx.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, fx.http.URL+path, rd)
	if err != nil {
		fx.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fx.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// create starts a session and fails the test unless it is created.
func (fx *fixture) create(flow, country string) (*httpapi.Session, string) {
	fx.t.Helper()
	r := fx.do("POST", "/v1/sessions", map[string]string{"flow": flow, "country": country})
	if r.status != http.StatusCreated {
		fx.t.Fatalf("create: %d %s", r.status, r.body)
	}
	s := r.session(fx.t)
	if len(s.Warnings) > 0 {
		fx.t.Errorf("create: warnings %q for a request with nothing deprecated", s.Warnings)
	}
	if r.header.Get("Location") != "/v1/sessions/"+s.ID || r.header.Get("ETag") != etag(s.Version) {
		fx.t.Errorf("create: Location %q, ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	return s, s.Secret
}

// answer answers s's prompt at its version under a fresh key.
func (fx *fixture) answer(s *httpapi.Session, secret, choice string, fields map[string]any) *response {
	fx.t.Helper()
	return fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": choice, "fields": fields},
		"Authorization", "Bearer "+secret, "If-Match", etag(s.Version), "Idempotency-Key", "k-"+strconv.Itoa(s.Version)+"-"+choice)
}

// step answers and fails the test unless the answer is taken.
func (fx *fixture) step(s *httpapi.Session, secret, choice string, fields map[string]any) *httpapi.Session {
	fx.t.Helper()
	r := fx.answer(s, secret, choice, fields)
	if r.status != http.StatusOK {
		fx.t.Fatalf("answer %s at %s: %d %s", choice, s.State, r.status, r.body)
	}
	next := r.session(fx.t)
	if r.header.Get("ETag") != etag(next.Version) {
		fx.t.Errorf("ETag %q, version %d", r.header.Get("ETag"), next.Version)
	}
	return next
}

func etag(v int) string { return `"` + strconv.Itoa(v) + `"` }
