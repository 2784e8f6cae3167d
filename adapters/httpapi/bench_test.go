package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// benchFlow: two prompts answered in turn, each answer one step.
const benchFlow = `flow: loop
start: a
vars: {n: 0}
states:
  a:
    ask: {text: "A {{ n }}", choices: [next, stop]}
    after: {5m: a}
    on: {next: {set: {n: n + 1}, go: b}, stop: done}
  b:
    ask: {text: "B {{ n }}", choices: [next]}
    on: {next: {set: {n: n + 1}, go: a}}
  done: {final: done}
`

// BenchmarkHTTPSteps measures steps per second over HTTP: clients answer
// sessions of their own through the API (secret, If-Match, Idempotency-Key,
// JSON both ways) on a loopback connection, the store memory or SQLite
// (durable). Run it on the machine's cores (2 here):
//
//	go test -run '^$' -bench HTTPSteps -benchtime 2000x ./adapters/httpapi
func BenchmarkHTTPSteps(b *testing.B) {
	for _, name := range []string{"memory", "sqlite"} {
		b.Run(fmt.Sprintf("store=%s/clients=8", name), func(b *testing.B) {
			var store host.ServerStore = memory.New()
			if name == "sqlite" {
				s, err := sqlite.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "s.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				store = s
			}
			benchHTTP(b, store, 8)
		})
	}
}

// benchServer is a server over the bench flow and store, logging as
// tether serve does (to w), with no rate limits.
func benchServer(b *testing.B, store host.ServerStore, w io.Writer) *httpapi.Server {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte(benchFlow), 0o644)
	reg, _ := engine.NewRegistry()
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil || cat.Err() != nil {
		b.Fatal(err, cat.Err())
	}
	h, err := host.New(host.Config{Catalog: cat, Store: store, IdleTimeout: time.Hour, Secrets: true,
		Actions: func(context.Context, string) (*engine.Registry, error) { return reg, nil }})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Host: h, CreateRate: rate.Inf, AnswerRate: rate.Inf,
		Log: httpapi.NewLogger(w, slog.LevelInfo)})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

func benchHTTP(b *testing.B, store host.ServerStore, clients int) {
	ctx := context.Background()
	srv := benchServer(b, store, io.Discard)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	c, _ := wire.NewClient(ts.URL, hc)
	refs := make([]wire.Ref, clients)
	versions := make([]int, clients)
	for i := range refs {
		s, ref, err := c.Create(ctx, "loop", "", "bench", "")
		if err != nil {
			b.Fatal(err)
		}
		refs[i], versions[i] = ref, s.Version
	}
	b.ResetTimer()
	took, err := storetest.Parallel(b.N, clients, func(i int) error {
		s, err := c.Answer(ctx, refs[i], versions[i], "next", nil)
		if err != nil {
			return err
		}
		versions[i] = s.Version
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "steps/s")
}

// BenchmarkHandlerSteps measures the server's own work per step, in
// this goroutine, without connections: the API's handler (middleware,
// routing, request and response JSON, the request log) answering a
// session of the memory store, the response written to a recorder. Its
// allocations are deterministic, what the serve benchmark's CPU per step
// follows.
func BenchmarkHandlerSteps(b *testing.B) {
	srv := benchServer(b, memory.New(), io.Discard)
	h := srv.Handler()
	create := httptest.NewRequest(http.MethodPost, "/v1/sessions", strings.NewReader(`{"flow":"loop","device":"bench"}`))
	create.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, create)
	var s wire.Session
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}
	version := s.Version
	body := strings.NewReader("")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		body.Reset(`{"choice":"next"}`)
		r := httptest.NewRequest(http.MethodPost, "/v1/sessions/"+s.ID+"/answers", body)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+s.Secret)
		r.Header.Set("If-Match", `"`+strconv.Itoa(version)+`"`)
		r.Header.Set("Idempotency-Key", "k"+strconv.Itoa(i))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("answer: %d %s", w.Code, w.Body)
		}
		version++
	}
}
