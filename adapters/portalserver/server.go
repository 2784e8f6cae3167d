// Package portalserver serves the account portal over HTTP: the protocol
// of package api (api/portal.openapi.yaml), in front of any implementation
// of the actions' portal ports — the demo portal, for tether portal serve.
// It checks requests (method, media type, size, a strict JSON body with
// every required member, the Idempotency-Key of a state-changing request,
// the device token of one that needs it), hands the portal the call's key
// and, when it follows a client's fake clock, its time; answers with the
// portal's answer or a problem (application/problem+json) with a stable
// code; logs each request as one slog record that holds no secret; and
// can inject faults (Faults) for tests of the clients.
//
//	srv := portalserver.New(portal, portalserver.Options{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
//	http.ListenAndServe("127.0.0.1:8470", srv)
package portalserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// Portal is what the server serves.
type Portal = api.Portal

// Options configures a Server; the zero value serves without logging or
// faults, on the portal's own clock.
type Options struct {
	// Logger gets one record per request; nil discards them.
	Logger *slog.Logger
	// Faults decides the fault, if any, each request gets.
	Faults *Faults
	// FollowClientClock has each call judged at the time of its
	// Tether-Client-Clock header (api.WithTime), for scripted runs on a
	// fake clock. Never for a portal a real client uses.
	FollowClientClock bool
	// RetryAfter is the Retry-After of an answer the portal could not give
	// (a fixture outage): how long a client should wait before trying
	// again. Zero means 30 seconds.
	RetryAfter time.Duration
}

// MaxBody is the largest request body the server reads.
const MaxBody = 64 << 10

// Server is an http.Handler serving the protocol.
type Server struct {
	portal Portal
	opts   Options
	mux    *http.ServeMux
}

// New returns a server for p.
func New(p Portal, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryAfter == 0 {
		opts.RetryAfter = 30 * time.Second
	}
	s := &Server{portal: p, opts: opts, mux: http.NewServeMux()}
	handlers := s.handlers()
	for _, r := range api.Routes() {
		h := handlers[r.Op]
		s.mux.Handle(r.Method+" "+r.Path, s.serve(r, h))
	}
	s.mux.HandleFunc("/", s.unknown)
	return s
}

// Routes returns the routes the server serves: what its mux has a handler
// for, so that a test holds them to the OpenAPI document.
func (s *Server) Routes() []api.Route {
	var out []api.Route
	for _, r := range api.Routes() {
		if _, ok := s.handlers()[r.Op]; ok {
			out = append(out, r)
		}
	}
	return out
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// unknown answers a request no route takes: 405 for a path served with
// another method, 404 otherwise.
func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	var allowed []string
	for _, rt := range api.Routes() {
		if rt.Path == r.URL.Path {
			allowed = append(allowed, rt.Method)
		}
	}
	if len(allowed) > 0 {
		rec.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(rec, api.ProblemFor(api.CodeMethodNotAllowed, r.Method+" "+r.URL.Path+" is not served; "+strings.Join(allowed, ", ")+" is"), 0)
	} else {
		writeProblem(rec, api.ProblemFor(api.CodeNotFound, "the protocol has no operation at "+r.URL.Path), 0)
	}
	s.log(r, "", rec, start, Fault{}, "")
}

// call is what a handler gets: the request's decoded body is its own
// business; the token of a route that needs one is here.
type call struct {
	r     *http.Request
	token string
}

// handler runs one operation: it decodes the body, calls the portal and
// returns the answer to send.
type handler func(ctx context.Context, c call) (any, error)

// serve wraps an operation's handler with everything the protocol asks of
// every request.
func (s *Server) serve(rt api.Route, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fault := s.opts.Faults.decide(rt.Op)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		key := r.Header.Get(api.HeaderIdempotencyKey)
		defer func() { s.log(r, rt.Op, rec, start, fault, key) }()
		// Read the body first: the server notices a client that goes away
		// (and cancels r's context) only once the body is read.
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
		if err != nil {
			writeProblem(rec, api.ProblemFor(api.CodeInvalidRequest, "the body could not be read"), 0)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !fault.before(r.Context()) {
			rec.status = 499 // the client went away during the added latency
			return
		}
		if fault.Kind == Fault5xx {
			writeProblem(rec, api.ProblemFor(api.CodeUnavailable, "injected fault"), 0)
			return
		}
		ctx, c, p := s.prepare(rt, r, key)
		if p != nil {
			writeProblem(rec, *p, 0)
			return
		}
		// The call runs to its end even if the client goes away: a call
		// half made could have texted a code without keeping its answer.
		out, err := h(context.WithoutCancel(ctx), c)
		if err != nil {
			s.fail(rec, rt.Op, err)
			return
		}
		answer, err := json.Marshal(out)
		if err != nil {
			s.fail(rec, rt.Op, err)
			return
		}
		fault.answer(rec, answer)
	})
}

// prepare checks what every request of rt must have, and returns the
// context to call the portal with, or the problem to answer.
func (s *Server) prepare(rt api.Route, r *http.Request, key string) (context.Context, call, *api.Problem) {
	ctx := r.Context()
	c := call{r: r}
	refuse := func(code, detail string) (context.Context, call, *api.Problem) {
		p := api.ProblemFor(code, detail)
		return nil, call{}, &p
	}
	if rt.Keyed() {
		switch {
		case key == "":
			return refuse(api.CodeKeyRequired, "send an Idempotency-Key header with every POST")
		case len(key) > 200:
			return refuse(api.CodeInvalidRequest, "the Idempotency-Key is longer than 200 characters")
		}
		ctx = api.WithIdempotencyKey(ctx, key)
	}
	if rt.Token {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			return refuse(api.CodeTokenRejected, "send the device token as Authorization: Bearer TOKEN")
		}
		c.token = tok
	}
	if clock := r.Header.Get(api.HeaderClientClock); clock != "" && s.opts.FollowClientClock {
		t, err := time.Parse(time.RFC3339Nano, clock)
		if err != nil {
			return refuse(api.CodeInvalidRequest, "the "+api.HeaderClientClock+" header is not an RFC 3339 time")
		}
		ctx = api.WithTime(ctx, t)
	}
	return ctx, c, nil
}

// fail answers an error of the portal.
func (s *Server) fail(w *recorder, op string, err error) {
	var re *requestError
	var me *mediaError
	switch {
	case errors.Is(err, actions.ErrUnavailable):
		writeProblem(w, api.ProblemFor(api.CodeUnavailable, "the portal cannot answer now"), s.opts.RetryAfter)
	case errors.Is(err, api.ErrKeyReused):
		writeProblem(w, api.ProblemFor(api.CodeKeyReused, "this Idempotency-Key was used for another request; use a new key for a new request"), 0)
	case errors.Is(err, actions.ErrTokenRejected):
		writeProblem(w, api.ProblemFor(api.CodeTokenRejected, ""), 0)
	case errors.As(err, &re):
		writeProblem(w, api.ProblemFor(api.CodeInvalidRequest, re.msg), 0)
	case errors.As(err, &me):
		writeProblem(w, api.ProblemFor(me.code, me.msg), 0)
	default:
		// The ports never put a secret into an error.
		w.err = err.Error()
		writeProblem(w, api.ProblemFor(api.CodeInternal, ""), 0)
	}
}

// log writes one record for a request: never its body or its headers'
// secrets, only a hash of its idempotency key, to tie retries together.
func (s *Server) log(r *http.Request, op string, w *recorder, start time.Time, f Fault, key string) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", w.status),
		slog.Int64("bytes", w.bytes),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
	}
	if op != "" {
		attrs = append(attrs, slog.String("op", op))
	}
	if key != "" {
		h := sha256.Sum256([]byte(key))
		attrs = append(attrs, slog.String("key_hash", hex.EncodeToString(h[:6])))
	}
	if f.Kind != "" {
		attrs = append(attrs, slog.String("fault", string(f.Kind)))
	}
	if w.err != "" {
		attrs = append(attrs, slog.String("error", w.err))
	}
	level := slog.LevelInfo
	if w.status >= 500 && f.Kind == "" {
		level = slog.LevelError
	}
	s.opts.Logger.LogAttrs(context.Background(), level, "request", attrs...)
}

// recorder notes what was answered, for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	err    string // the portal's error, when it failed
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection, for the
// faults that reset it.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeProblem answers p, with Retry-After when retryAfter is set.
func writeProblem(w http.ResponseWriter, p api.Problem, retryAfter time.Duration) {
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", api.MediaProblem)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter.Round(time.Second).Seconds())))
	}
	w.WriteHeader(p.Status)
	w.Write(body)
}

// requestError is a body that is not the operation's.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

// mediaError is a body of the wrong type or size.
type mediaError struct{ code, msg string }

func (e *mediaError) Error() string { return e.msg }

// decode reads r's JSON body into v, a pointer to a request struct: the
// body must be application/json, at most MaxBody bytes, one object with
// no member v lacks and every member v requires (a field whose tag has no
// omitempty). A nil v takes an empty body or {}.
func decode(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return &requestError{"the body could not be read"}
	}
	if len(data) > MaxBody {
		return &mediaError{api.CodeRequestTooLarge, fmt.Sprintf("the body is over %d bytes", MaxBody)}
	}
	if v == nil && len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != api.MediaJSON {
		return &mediaError{api.CodeUnsupportedMediaType, "the body must be " + api.MediaJSON}
	}
	if v == nil {
		v = &struct{}{}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &requestError{describe(err)}
	}
	if dec.More() {
		return &requestError{"the body holds more than one JSON value"}
	}
	var members map[string]json.RawMessage
	json.Unmarshal(data, &members)
	for _, name := range required(v) {
		if m, ok := members[name]; !ok || string(m) == "null" {
			return &requestError{fmt.Sprintf("the body lacks %q", name)}
		}
	}
	return nil
}

// describe says what is wrong with a body, without quoting it: a body
// holds passwords and codes.
func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("the body is not JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("member %q must be a %s", te.Field, te.Type.Kind())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "the body has the unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "the body is not the operation's"
}

// required returns the JSON names of the members v's struct requires.
func required(v any) []string {
	t := reflect.TypeOf(v).Elem()
	var out []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && !strings.Contains(opts, "omitempty") {
			out = append(out, name)
		}
	}
	return out
}
