// Package portalserver serves the account portal over HTTP as an OAuth 2.0
// authorization server for first-party apps (package api,
// api/portal.openapi.yaml): metadata and JWKS, the authorization
// challenge endpoint, the token, revocation and introspection endpoints,
// and the licence, activation and account APIs, in front of the demo
// portal's rules — in tether portal serve, and in process for tether run,
// so that both give the same answers. It checks requests (method, media
// type, size, repeated or missing parameters, DPoP proofs: signature,
// method, URL, freshness, replay, the access token's hash), hands the
// portal the call's binding (client, DPoP key), idempotency key and, when
// it follows a client's fake clock, its time; answers with the portal's
// answer, an OAuth error, or a problem (application/problem+json); logs
// each request as one slog record that holds no secret; and can inject
// faults (Faults) for tests of the clients.
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
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// Portal is what the server serves: the portal's rules and its
// authorization server (the demo portal).
type Portal interface {
	actions.Licences
	actions.Accounts
	actions.ConsentLog
	actions.Captcha
	PasswordSignIn(ctx context.Context, email, password string, captcha actions.CaptchaAnswer) (actions.SignIn, error)
	SendCode(ctx context.Context, ticket string) (actions.CodeDelivery, error)
	CheckCode(ctx context.Context, ticket, code string) (actions.CodeCheck, error)
	SSOSignIn(ctx context.Context, idToken, deviceSecret string) (actions.SignIn, error)
	Authorize(ctx context.Context, ticket string) (api.Grant, error)
	ExchangeCode(ctx context.Context, code, verifier string) (api.TokenResponse, error)
	Refresh(ctx context.Context, refresh string) (api.TokenResponse, error)
	Revoke(ctx context.Context, token string) error
	Introspect(ctx context.Context, caller, token string) (api.Introspection, error)
	UseProof(ctx context.Context, jkt, jti string, iat time.Time) error
	SessionClient(ctx context.Context, ticket string) (string, bool)
	ClientOf(id string) (api.Client, bool)
	Issuer() string
	JWKS() jose.JSONWebKeySet
}

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
	// Now is the server's clock for DPoP proofs when it does not follow
	// the client's; nil means time.Now.
	Now func() time.Time
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{portal: p, opts: opts, mux: http.NewServeMux()}
	handlers := s.handlers()
	for _, e := range api.Endpoints() {
		s.mux.Handle(e.Method+" "+e.Path, s.serve(e, handlers[e.Name]))
	}
	s.mux.HandleFunc("/", s.unknown)
	return s
}

// Endpoints returns the endpoints the server serves: what its mux has a
// handler for, so that a test holds them to the OpenAPI document.
func (s *Server) Endpoints() []api.Endpoint {
	var out []api.Endpoint
	for _, e := range api.Endpoints() {
		if _, ok := s.handlers()[e.Name]; ok {
			out = append(out, e)
		}
	}
	return out
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// unknown answers a request no endpoint takes: 405 for a path served with
// another method, 404 otherwise.
func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	if e, ok := api.EndpointAt(r.URL.Path); ok {
		rec.Header().Set("Allow", e.Method)
		writeProblem(rec, api.ProblemFor(api.CodeMethodNotAllowed, r.Method+" "+r.URL.Path+" is not served; "+e.Method+" is"), 0)
	} else {
		writeProblem(rec, api.ProblemFor(api.CodeNotFound, "the protocol has nothing at "+r.URL.Path), 0)
	}
	s.log(r, "", rec, start, Fault{}, "")
}

// call is one request as a handler gets it: its form or body read, the
// operation it asks for, and the context to call the portal with.
type call struct {
	r      *http.Request
	body   []byte
	form   url.Values
	op     string
	token  string // the access token of a resource request
	status int    // the answer's status; 200 unless set
}

// answer is what a handler answers: a JSON body and its status.
type answer struct {
	status int
	body   any
	ctype  string // "" is application/json
}

// handler runs one endpoint: classify picks the operation from the
// request (before faults and idempotency, which go by operation), run
// calls the portal.
type handler struct {
	classify func(c *call) (string, *api.Refusal)
	run      func(ctx context.Context, c *call) (answer, error)
}

// serve wraps an endpoint's handler with everything the protocol asks of
// every request.
func (s *Server) serve(e api.Endpoint, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		key := r.Header.Get(api.HeaderIdempotencyKey)
		c := &call{r: r, op: e.Op}
		var fault Fault
		defer func() { s.log(r, c.op, rec, start, fault, key) }()
		// Read the body first: the server notices a client that goes away
		// (and cancels r's context) only once the body is read.
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
		if err != nil {
			writeProblem(rec, api.ProblemFor(api.CodeInvalidRequest, "the body could not be read"), 0)
			return
		}
		c.body = body
		if len(body) > MaxBody {
			writeProblem(rec, api.ProblemFor(api.CodeRequestTooLarge, fmt.Sprintf("the body is over %d bytes", MaxBody)), 0)
			return
		}
		if e.Form {
			if c.form, err = parseForm(r, body); err != nil {
				s.refuse(rec, e, err)
				return
			}
		}
		if h.classify != nil {
			op, ref := h.classify(c)
			if ref != nil {
				s.refuse(rec, e, ref)
				return
			}
			c.op = op
		}
		fault = s.opts.Faults.decide(c.op)
		if !fault.before(r.Context()) {
			rec.status = 499 // the client went away during the added latency
			return
		}
		if fault.Kind == Fault5xx {
			writeProblem(rec, api.ProblemFor(api.CodeUnavailable, "injected fault"), 0)
			return
		}
		ctx, ref := s.prepare(e, c, key)
		if ref != nil {
			s.refuse(rec, e, ref)
			return
		}
		var replayed atomic.Bool
		ctx = api.WithReplayNotice(ctx, func() { replayed.Store(true) })
		// The call runs to its end even if the client goes away: a call
		// half made could have texted a code without keeping its answer.
		a, err := h.run(context.WithoutCancel(ctx), c)
		if replayed.Load() {
			rec.Header().Set(api.HeaderReplayed, "true")
		}
		if err != nil {
			s.fail(rec, e, err)
			return
		}
		if a.status == 0 {
			a.status = http.StatusOK
		}
		if a.ctype == "" {
			a.ctype = api.MediaJSON
		}
		out, err := json.Marshal(a.body)
		if err != nil {
			s.fail(rec, e, err)
			return
		}
		rec.Header().Set("Cache-Control", "no-store")
		fault.answer(rec, a.status, a.ctype, out)
	})
}

// prepare checks what every request of e must have — a DPoP proof where
// one is required or given, the key's length — and returns the context
// to call the portal with, carrying the call's binding, idempotency key
// and time.
func (s *Server) prepare(e api.Endpoint, c *call, key string) (context.Context, error) {
	r := c.r
	ctx := r.Context()
	if len(key) > 200 {
		return nil, api.Refuse(api.ErrInvalidRequest, "the Idempotency-Key is longer than 200 characters")
	}
	if key != "" && api.Changes(c.op) {
		ctx = api.WithIdempotencyKey(ctx, key)
	}
	now := s.opts.Now()
	if clock := r.Header.Get(api.HeaderClientClock); clock != "" && s.opts.FollowClientClock {
		t, err := time.Parse(time.RFC3339Nano, clock)
		if err != nil {
			return nil, api.Refuse(api.ErrInvalidRequest, "the %s header is not an RFC 3339 time", api.HeaderClientClock)
		}
		ctx, now = api.WithTime(ctx, t), t
	}
	if e.Token {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		switch {
		case tok == "":
			return nil, fmt.Errorf("%w: send the access token as Authorization: DPoP TOKEN", actions.ErrTokenRejected)
		case strings.EqualFold(scheme, api.TokenTypeDPoP):
		case strings.EqualFold(scheme, api.TokenTypeBearer) && r.Header.Get(api.HeaderDPoP) == "":
		default:
			return nil, fmt.Errorf("%w: a DPoP proof goes with Authorization: DPoP", actions.ErrTokenRejected)
		}
		c.token = tok
	}
	b := api.Binding{Client: c.form.Get(api.ParamClientID)}
	if b.Client == "" && c.form.Get(api.ParamAuthSession) != "" {
		b.Client, _ = s.portal.SessionClient(ctx, c.form.Get(api.ParamAuthSession))
	}
	if proof := r.Header.Values(api.HeaderDPoP); len(proof) > 0 {
		if len(proof) > 1 {
			return nil, api.Refuse(api.ErrInvalidDPoPProof, "one DPoP header per request")
		}
		p, err := checkProof(proof[0], r.Method, s.portal.Issuer()+e.Path, c.token, now)
		if err != nil {
			return nil, err
		}
		if err := s.portal.UseProof(ctx, p.jkt, p.jti, p.iat); err != nil {
			return nil, err
		}
		b.JKT = p.jkt
	}
	if e.Form && e.Name != api.EndpointIntrospection || e.Name == api.EndpointChallenge {
		cl, ok := s.portal.ClientOf(b.Client)
		switch {
		case b.Client == "" && (e.Name != api.EndpointChallenge || c.form.Get(api.ParamAuthSession) == ""):
			// Only a request that goes on with a session may leave its
			// client out (the draft's section 5.1).
			return nil, api.Refuse(api.ErrInvalidRequest, "client_id is required")
		case b.Client != "" && !ok:
			return nil, api.Refuse(api.ErrInvalidClient, "unknown client")
		case ok && cl.DPoP && b.JKT == "":
			return nil, api.Refuse(api.ErrInvalidDPoPProof, "client %s must send a DPoP proof (RFC 9449) with every request", cl.ID)
		}
	}
	return api.WithBinding(ctx, b), nil
}

// parseForm reads an OAuth endpoint's application/x-www-form-urlencoded
// body, refusing a parameter given twice (RFC 6749 section 3.1) and
// parameters in the URL, where a secret would be logged.
func parseForm(r *http.Request, body []byte) (url.Values, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != api.MediaForm {
		return nil, &mediaError{api.CodeUnsupportedMediaType, "the body must be " + api.MediaForm}
	}
	if r.URL.RawQuery != "" {
		return nil, api.Refuse(api.ErrInvalidRequest, "parameters go in the body, never in the URL")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, api.Refuse(api.ErrInvalidRequest, "the body is not form-encoded")
	}
	for k, v := range form {
		if len(v) > 1 {
			return nil, api.Refuse(api.ErrInvalidRequest, "parameter %s is given more than once", k)
		}
	}
	return form, nil
}

// refuse answers a request refused before the portal was called.
func (s *Server) refuse(w *recorder, e api.Endpoint, err error) { s.fail(w, e, err) }

// fail answers an error: an OAuth error on the OAuth endpoints, a
// problem elsewhere.
func (s *Server) fail(w *recorder, e api.Endpoint, err error) {
	var ref *api.Refusal
	var me *mediaError
	var re *requestError
	oauth := e.Form
	switch {
	case errors.As(err, &me):
		writeProblem(w, api.ProblemFor(me.code, me.msg), 0)
	case errors.As(err, &ref) && (oauth || ref.Code == api.ErrInvalidDPoPProof):
		writeOAuthError(w, ref)
	case errors.As(err, &ref):
		writeProblem(w, api.ProblemFor(api.CodeInvalidRequest, ref.Description), 0)
	case errors.Is(err, actions.ErrUnavailable):
		if oauth {
			w.Header().Set("Retry-After", fmt.Sprint(int(s.opts.RetryAfter.Seconds())))
			writeOAuthError(w, api.Refuse(api.ErrTemporarilyUnavailable, "the portal cannot answer now"))
			return
		}
		writeProblem(w, api.ProblemFor(api.CodeUnavailable, "the portal cannot answer now"), s.opts.RetryAfter)
	case errors.Is(err, api.ErrKeyReused):
		writeProblem(w, api.ProblemFor(api.CodeKeyReused, "this Idempotency-Key was used for another request; use a new key for a new request"), 0)
	case errors.Is(err, actions.ErrTokenRejected) && oauth:
		// The introspection endpoint's own authorisation (RFC 7662
		// section 2.3): the same answer whatever the token asked about.
		writeOAuthError(w, api.Refuse(api.ErrInvalidToken, "authorise introspection with an access token of this portal, bound to the DPoP key the request proves: Authorization: DPoP TOKEN"))
	case errors.Is(err, actions.ErrTokenRejected):
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", algs="`+strings.Join(api.DPoPAlgs, " ")+`"`)
		writeProblem(w, api.ProblemFor(api.CodeTokenRejected, ""), 0)
	case errors.As(err, &re):
		writeProblem(w, api.ProblemFor(api.CodeInvalidRequest, re.msg), 0)
	default:
		// The portal never puts a secret into an error.
		w.err = err.Error()
		if oauth {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		writeProblem(w, api.ProblemFor(api.CodeInternal, ""), 0)
	}
}

// writeOAuthError answers an OAuth error (RFC 6749 section 5.2).
func writeOAuthError(w http.ResponseWriter, ref *api.Refusal) {
	body, _ := json.Marshal(api.OAuthError{Error: ref.Code, ErrorDescription: ref.Description})
	w.Header().Set("Content-Type", api.MediaJSON)
	w.Header().Set("Cache-Control", "no-store")
	if ref.Code == api.ErrInvalidDPoPProof || ref.Code == api.ErrInvalidToken {
		w.Header().Set("WWW-Authenticate", `DPoP error="`+ref.Code+`", algs="`+strings.Join(api.DPoPAlgs, " ")+`"`)
	}
	w.WriteHeader(api.StatusOf(ref.Code))
	w.Write(body)
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

// requestError is a body that is not the endpoint's.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

// mediaError is a body of the wrong type or size.
type mediaError struct{ code, msg string }

func (e *mediaError) Error() string { return e.msg }

// decode reads c's JSON body into v, a pointer to a request struct: the
// body must be application/json, one object with no member v lacks and
// every member v requires (a field whose tag has no omitempty).
func decode(c *call, v any) error {
	data := c.body
	if mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type")); err != nil || mt != api.MediaJSON {
		return &mediaError{api.CodeUnsupportedMediaType, "the body must be " + api.MediaJSON}
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
