package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/httpapi"
)

// loggers are NewLogger's handler and slog's JSON handler with Redact,
// each writing to a buffer of its own.
type loggers struct {
	ours, slogs       slog.Handler
	oursOut, slogsOut bytes.Buffer
}

func newLoggers() *loggers {
	l := &loggers{}
	l.ours = httpapi.NewLogger(&l.oursOut, slog.LevelDebug).Handler()
	l.slogs = slog.NewJSONHandler(&l.slogsOut, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: httpapi.Redact})
	return l
}

// same has both handlers handle r and reports what each wrote.
func (l *loggers) same(t *testing.T, r slog.Record) {
	t.Helper()
	l.oursOut.Reset()
	l.slogsOut.Reset()
	if err := l.ours.Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := l.slogs.Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	if got, want := l.oursOut.String(), l.slogsOut.String(); got != want {
		t.Errorf("NewLogger wrote\n%s\nslog's JSON handler with Redact\n%s", got, want)
	}
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("resolved") }

// NewLogger writes every record as slog's JSON handler with Redact does,
// byte for byte: the request log's lines, which it writes its own way,
// and every other, which it leaves to slog.
func TestLoggerAsSlog(t *testing.T) {
	when := time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	attrs := []slog.Attr{
		slog.String("request_id", "b656493940a1f179"), slog.String("method", "POST"),
		slog.String("route", "POST /v1/sessions/{id}/answers"), slog.Int("status", 200), slog.Int("bytes", 448),
		slog.Float64("duration_ms", 0.276), slog.String("client", "192.0.2.1"), slog.String("problem", "stale_version"),
		slog.Float64("f", 0), slog.Float64("f", math.Copysign(0, -1)), slog.Float64("f", 1e-6), slog.Float64("f", 9.99e-7),
		slog.Float64("f", 1e20), slog.Float64("f", 1e21), slog.Float64("f", 123456789.125), slog.Float64("f", -3.5),
		slog.Float64("f", math.NaN()), slog.Float64("f", math.Inf(1)), slog.Float64("f", 0.1+0.2),
		slog.Uint64("u", math.MaxUint64), slog.Int64("i", math.MinInt64), slog.Bool("b", true), slog.Bool("b", false),
		slog.String("s", ""), slog.String("s", `a "quoted" \ word`), slog.String("s", "line\nbreak"), slog.String("s", "<b>&amp;</b>"),
		slog.String("s", "Grüße"), slog.String("s", "\x7f"), slog.String("s", "\xff"), slog.String("s", "tab\there"),
		slog.String("password", "hunter2"), slog.String("Authorization", "Bearer s3cret"), slog.Int("code", 123456),
		slog.Float64("token", 1.5), slog.String("", "no key"), {}, slog.String("ke\"y", "v"), slog.String("kéy", "v"),
		slog.Duration("d", 1500*time.Millisecond), slog.Time("at", when), slog.Any("err", errors.New("it broke")),
		slog.Any("v", valuer{}), slog.Any("m", map[string]int{"a": 1}), slog.Group("fields", slog.String("password", "x"), slog.Int("n", 1)),
		slog.Group("g"), slog.Any("secret", valuer{}),
	}
	l := newLoggers()
	// The request log's line, and it with one attribute more.
	for _, a := range attrs {
		r := slog.NewRecord(when, slog.LevelInfo, "request", 0)
		r.AddAttrs(attrs[:7]...)
		r.AddAttrs(a)
		l.same(t, r)
	}
	// Records of a few attributes each, at every level, messages and
	// times of all kinds.
	msgs := []string{"request", "", "a \"quoted\" message", "Grüße", "line\nbreak"}
	times := []time.Time{when, when.In(berlin), time.Now(), {}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), when.Add(-when.Sub(time.Time{}))}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		r := slog.NewRecord(times[rnd.IntN(len(times))], levels[rnd.IntN(len(levels))], msgs[rnd.IntN(len(msgs))], 0)
		for range rnd.IntN(9) {
			r.AddAttrs(attrs[rnd.IntN(len(attrs))])
		}
		l.same(t, r)
	}
	// A handler with attributes or a group of its own.
	r := slog.NewRecord(when, slog.LevelInfo, "request", 0)
	r.AddAttrs(attrs[:7]...)
	for _, with := range []func(slog.Handler) slog.Handler{
		func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("component", "api"), slog.String("token", "t")})
		},
		func(h slog.Handler) slog.Handler { return h.WithGroup("http") },
		func(h slog.Handler) slog.Handler {
			return h.WithGroup("http").WithAttrs([]slog.Attr{slog.String("secret", "s")})
		},
	} {
		w := newLoggers()
		w.ours, w.slogs = with(w.ours), with(w.slogs)
		w.same(t, r)
	}
}

// The request log's lines, many at once, come out whole.
func TestLoggerConcurrent(t *testing.T) {
	var out bytes.Buffer
	log := httpapi.NewLogger(&out, slog.LevelInfo)
	done := make(chan bool)
	for g := range 4 {
		go func() {
			for i := range 100 {
				if (g+i)%2 == 0 {
					log.Info("request", "n", i, "ms", 0.5)
				} else {
					log.Info("other", "s", "a \"quoted\" word") // slog's way
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"time":"`) || !strings.HasSuffix(l, "}") || strings.Count(l, `"time"`) != 1 {
			t.Fatalf("a line not whole: %s", l)
		}
	}
}

// BenchmarkLogger writes the request log's line with NewLogger's handler
// and with slog's JSON handler with Redact.
func BenchmarkLogger(b *testing.B) {
	l := newLoggers()
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"NewLogger", l.ours}, {"slog", l.slogs}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				l.oursOut.Reset()
				l.slogsOut.Reset()
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				r.AddAttrs(slog.String("request_id", "b656493940a1f179"), slog.String("method", "POST"),
					slog.String("route", "POST /v1/sessions/{id}/answers"), slog.Int("status", 200), slog.Int("bytes", 448),
					slog.Float64("duration_ms", 0.276), slog.String("client", "192.0.2.1"))
				h.h.Handle(context.Background(), r)
			}
		})
	}
}
