package httpapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tetherflow/tether/ui"
)

// requestIDHeader carries a request's id: the client's, when it sent a
// sane one, else one the server makes up. Responses echo it.
const requestIDHeader = "X-Request-Id"

// request is what the middleware knows of a request, for the handlers
// and its log line: one context value.
type request struct {
	id string
	// problem is the code of the problem the request is answered with,
	// noted.
	problem string
	// accept is the locale the request's Accept-Language chose, when
	// asked: it named one that parses.
	accept ui.Match
	asked  bool
}

type requestKey struct{}

// requestOf returns what the middleware knows of the API request ctx
// belongs to, nil for a context of no request (a timer fired in the
// background).
func requestOf(ctx context.Context) *request {
	rq, _ := ctx.Value(requestKey{}).(*request)
	return rq
}

// noteProblem notes the code of the problem the request ctx belongs to
// is answered with.
func noteProblem(ctx context.Context, code string) {
	if rq := requestOf(ctx); rq != nil {
		rq.problem = code
	}
}

// requestID returns the id of the API request ctx belongs to, "" for a
// context of no request.
func requestID(ctx context.Context) string {
	if rq := requestOf(ctx); rq != nil {
		return rq.id
	}
	return ""
}

// middleware wraps the API: a request id, one log line per request,
// metrics, rate limits, a bound on the body, and a Problem instead of a
// crash.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !saneID(id) {
			id = s.newRequestID()
		}
		r.Header.Set(requestIDHeader, id)
		w.Header().Set(requestIDHeader, id)
		rq := &request{id: id}
		if al := r.Header.Get("Accept-Language"); al != "" {
			// A malformed or oversized header is ignored: the
			// response is in the session's locale, or the source's.
			if m := s.cfg.Catalogs().Match(al); m.Asked != "" {
				rq.accept, rq.asked = m, true
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		route := routeOf(r)
		client := s.clients.Of(r)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Log.ErrorContext(r.Context(), "panic", "request_id", id, "route", route, "panic", v)
				if !rec.wrote {
					writeProblem(rec, r, problem(http.StatusInternalServerError, CodeInternal, "the server could not do this; its logs have the request id"))
				}
			}
			d := time.Since(began)
			if s.cfg.Metrics != nil {
				s.cfg.Metrics.request(route, rec.status, d)
			}
			attrs := [...]slog.Attr{slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", rec.status), slog.Int("bytes", rec.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("client", client), slog.String("problem", rq.problem)}
			n := len(attrs)
			if rq.problem == "" {
				n--
			}
			// To the handler, not through LogAttrs: the logger would
			// look up its caller, which no line of the log shows.
			if h := s.cfg.Log.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
				rec := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				rec.AddAttrs(attrs[:n]...)
				h.Handle(r.Context(), rec)
			}
		}()
		if lim := s.limits.forRoute(route); lim != nil {
			if wait, ok := lim.allow(r.Context(), client, time.Now()); !ok {
				if s.cfg.Metrics != nil {
					s.cfg.Metrics.limited(route)
				}
				p := problem(http.StatusTooManyRequests, CodeRateLimited, "too many requests from this address; try again later")
				p.RetryAfter = max(1, int((wait+time.Second-1)/time.Second))
				writeProblem(rec, r, p)
				return
			}
		}
		if r.ContentLength > s.cfg.MaxBody {
			writeProblem(rec, r, tooLarge(s.cfg.MaxBody))
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBody)
		body, p := strictJSON(r)
		if p != nil {
			writeProblem(rec, r, p)
			return
		}
		switch {
		case route == "GET /v1/sessions/{id}" && s.notModified(rec, r):
		case route == "POST "+answerPath && s.answerDirect(rec, r, body):
		default:
			next.ServeHTTP(rec, r)
		}
	})
}

// routeOf names r's route for logs, metrics and rate limits, without the
// session id.
func routeOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v1/sessions":
		return routeName(r.Method, "/v1/sessions")
	case strings.HasPrefix(p, "/v1/sessions/") && strings.HasSuffix(p, "/answers"):
		return routeName(r.Method, "/v1/sessions/{id}/answers")
	case strings.HasPrefix(p, "/v1/sessions/"):
		return routeName(r.Method, "/v1/sessions/{id}")
	case p == "/healthz", p == "/readyz", p == "/metrics", p == "/openapi.json", p == "/openapi.yaml":
		return routeName(r.Method, p)
	}
	return "other"
}

// routeNames are the routes' names by method and path, made once.
var routeNames = func() map[[2]string]string {
	names := map[[2]string]string{}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		for _, p := range []string{"/v1/sessions", "/v1/sessions/{id}/answers", "/v1/sessions/{id}", "/healthz", "/readyz", "/metrics", "/openapi.json", "/openapi.yaml"} {
			names[[2]string{m, p}] = m + " " + p
		}
	}
	return names
}()

// routeName is "METHOD path".
func routeName(method, path string) string {
	if n, ok := routeNames[[2]string{method, path}]; ok {
		return n
	}
	return method + " " + path
}

// saneID reports whether a client's request id may be used as the
// request's: 1 to 64 letters, digits, '-', '_' or '.'.
func saneID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func (s *Server) newRequestID() string {
	b := make([]byte, 8)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b)
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.RequestID = r.Header.Get(requestIDHeader)
	noteProblem(r.Context(), p.Code)
	w.Header().Set("Content-Type", problemContentType)
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// sensitive reports whether an attribute named key may hold a secret.
func sensitive(key string) bool {
	switch strings.ToLower(key) {
	case "authorization", "secret", "password", "code", "token", "cookie", "set-cookie", "fields", "input", "body", "captcha", "device_key", "tether-device-key":
		return true
	}
	return false
}

// Redact is the one place secrets are kept out of the logs: an attribute
// named like one (authorization, secret, password, code, token, cookie,
// fields, input, body, captcha, device_key, in any case) is logged as "***",
// whatever logs it. Use it as a slog.HandlerOptions.ReplaceAttr.
func Redact(groups []string, a slog.Attr) slog.Attr {
	if sensitive(a.Key) {
		return slog.String(a.Key, "***")
	}
	return a
}
