package portaltest_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/demoportal/sqlite"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/portaltest"
)

// shippedFixture is the demo portal fixture the suite runs on.
const shippedFixture = "../../flows/demo/portal.yaml"

// world is what both harnesses share: the fixture, the clock, the SMS
// gateway and the CAPTCHA answers, seen from the portal's side.
type world struct {
	fx demoportal.Fixture

	mu      sync.Mutex
	p       *demoportal.Portal // the portal running
	now     time.Time
	codes   map[string][]string
	answers map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fx, err := demoportal.LoadFixture(shippedFixture)
	if err != nil {
		t.Fatal(err)
	}
	return &world{fx: fx, now: portaltest.Start, codes: map[string][]string{}, answers: map[string]string{}}
}

func (w *world) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) Advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *world) Send(_ context.Context, phone, text string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.codes[phone] = append(w.codes[phone], text[strings.LastIndexByte(text, ' ')+1:])
	return nil
}

func (w *world) Codes(phone string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.codes[phone]...)
}

func (w *world) notice(id, answer string) {
	w.mu.Lock()
	w.answers[id] = answer
	w.mu.Unlock()
}

func (w *world) CaptchaAnswer(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.answers[id]
}

// portal starts the demo portal on st, named issuer.
func (w *world) portal(t *testing.T, st demoportal.State, seed uint64, issuer string) *demoportal.Portal {
	t.Helper()
	p, err := demoportal.New(w.fx, w.Now, rand.New(rand.NewPCG(seed, 1)), w,
		demoportal.WithState(st), demoportal.WithCaptchaNotice(w.notice), demoportal.WithIssuer(issuer))
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.p = p
	w.mu.Unlock()
	return p
}

// OtherApp returns the portal's Native SSO sign-in of app.
func (w *world) OtherApp(t *testing.T, app string) actions.Credential {
	t.Helper()
	w.mu.Lock()
	p := w.p
	w.mu.Unlock()
	c, err := p.OtherApp(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// client returns a new device's client of the portal at url, through rt.
func (w *world) client(url string, rt http.RoundTripper) portaltest.Portal {
	c, err := portalhttp.New(url, portalhttp.Options{Backoff: time.Millisecond, Clock: w.Now, Transport: rt})
	if err != nil {
		panic(err)
	}
	return c.ForDevice(&portaltest.MemoryStore{})
}

// inProcess is the demo portal's server in process, on a MemoryState,
// reached without a socket: as tether run reaches it.
type inProcess struct {
	*world
	st      *demoportal.MemoryState
	handler atomic.Value // http.Handler
}

func (h *inProcess) start(t *testing.T, seed uint64) {
	h.handler.Store(http.Handler(portalserver.New(h.portal(t, h.st, seed, demoportal.DemoIssuer), portalserver.Options{Now: h.Now})))
}

func (h *inProcess) Client() portaltest.Portal {
	return h.client(demoportal.DemoIssuer, portalhttp.InProcess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.handler.Load().(http.Handler).ServeHTTP(w, r)
	})))
}

func (h *inProcess) Restart(t *testing.T) bool {
	h.start(t, 2)
	return true
}

// overHTTP is the HTTP client talking to portalserver in front of the
// demo portal, its state in SQLite.
type overHTTP struct {
	*world
	path    string
	st      *sqlite.State
	handler atomic.Value // http.Handler
	srv     *httptest.Server
}

func (h *overHTTP) start(t *testing.T, seed uint64) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), h.path)
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	h.handler.Store(http.Handler(portalserver.New(h.portal(t, st, seed, h.srv.URL), portalserver.Options{
		Logger: slog.New(slog.NewJSONHandler(testWriter{t}, nil)), Now: h.Now,
	})))
}

func (h *overHTTP) Client() portaltest.Portal { return h.client(h.srv.URL, nil) }

func (h *overHTTP) Restart(t *testing.T) bool {
	h.st.Close()
	h.start(t, 2)
	return true
}

// testWriter logs the server's records with the test, shown on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestContractInProcess(t *testing.T) {
	portaltest.Run(t, func(t *testing.T) portaltest.Harness {
		h := &inProcess{world: newWorld(t), st: demoportal.NewMemoryState()}
		h.start(t, 1)
		return h
	})
}

func TestContractOverHTTP(t *testing.T) {
	portaltest.Run(t, func(t *testing.T) portaltest.Harness {
		h := &overHTTP{world: newWorld(t), path: filepath.Join(t.TempDir(), "portal.db")}
		h.srv = httptest.NewServer(validating(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.handler.Load().(http.Handler).ServeHTTP(w, r)
		})))
		h.start(t, 1)
		t.Cleanup(func() { h.srv.Close(); h.st.Close() })
		return h
	})
}
