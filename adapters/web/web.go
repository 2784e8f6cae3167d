package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/internal/addrlimit"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/ui"
)

// Config is what Pages run with. Host is required; the zero value of
// every other field is a working default.
type Config struct {
	// Host takes the steps. It must issue session secrets
	// (host.Config.Secrets): a page's session is opened by its secret,
	// kept in a cookie.
	Host *host.Host
	// Flow is the flow the pages run; empty means connect.
	Flow string
	// Country is the country (ISO 3166-1 alpha-2) whose regional policy a
	// session starts under unless the person picks another (or ?country=
	// names one); empty means the flow's defaults.
	Country string
	// Now is the clock the waits shown are counted on: the host's. Nil
	// means time.Now.
	Now func() time.Time
	// Rand is where device ids and form nonces come from; nil means
	// crypto/rand.
	Rand io.Reader
	// Log is where the pages log, one line per request; nil discards.
	// Wrap it with httpapi.Redact (httpapi.NewLogger does): the pages log
	// no form value or cookie, and the redaction is the second line of
	// defence.
	Log *slog.Logger
	// StartRate and StartBurst limit the sessions a client address may
	// start; zero means 1 a second, bursts of 20 (as the API's).
	StartRate  rate.Limit
	StartBurst int
	// AnswerRate and AnswerBurst limit the answers a client address may
	// send; zero means 10 a second, bursts of 50.
	AnswerRate  rate.Limit
	AnswerBurst int
	// TrustedProxies are the proxies whose X-Forwarded-For says which
	// client a request comes from, for the rate limits and the log; nil
	// trusts none (see httpapi.Config).
	TrustedProxies []netip.Prefix
	// MaxBody bounds a form's body; zero means 16 KiB.
	MaxBody int64
	// StepTimeout bounds one step; zero means 2 minutes. A step runs to
	// its end even when the browser goes away.
	StepTimeout time.Duration
	// Catalogs are the locales the pages are shown in (Accept-Language
	// chooses), as they stand: a reload may change them. Nil means the
	// built-in words and the flows' own texts.
	Catalogs func() *ui.Catalogs
	// SecureCookies marks the cookies Secure (and names them __Host-...)
	// on plain HTTP too: for a server behind a proxy that terminates TLS.
	// A request that came over TLS always gets Secure cookies.
	SecureCookies bool
}

// Pages are the web pages of a flow: the connect wizard, rendered on the
// server from the UI description the API returns. Mount them beside the
// API with Register.
type Pages struct {
	cfg       Config
	tmpl      *template.Template
	countries *countryNames
	start     *addrlimit.Limiter
	answers   *addrlimit.Limiter
	clients   addrlimit.Clients
	mux       *http.ServeMux
}

// New returns the pages.
func New(cfg Config) (*Pages, error) {
	if cfg.Host == nil {
		return nil, errors.New("web: a host is required")
	}
	if cfg.Flow == "" {
		cfg.Flow = "connect"
	}
	if cfg.Country != "" {
		if err := country.Check(cfg.Country); err != nil {
			return nil, fmt.Errorf("web: default country: %w", err)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Catalogs == nil {
		cfg.Catalogs = ui.Builtin
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.StartRate == 0 {
		cfg.StartRate, cfg.StartBurst = 1, max(cfg.StartBurst, 20)
	}
	if cfg.AnswerRate == 0 {
		cfg.AnswerRate, cfg.AnswerBurst = 10, max(cfg.AnswerBurst, 50)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 << 10
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 2 * time.Minute
	}
	tmpl, err := parseTemplates(pageFuncs(nil))
	if err != nil {
		return nil, err
	}
	p := &Pages{
		cfg: cfg, tmpl: tmpl, countries: newCountryNames(),
		start:   addrlimit.New(cfg.StartRate, cfg.StartBurst),
		answers: addrlimit.New(cfg.AnswerRate, cfg.AnswerBurst),
		clients: addrlimit.NewClients(cfg.TrustedProxies),
		mux:     http.NewServeMux(),
	}
	p.mux.HandleFunc("GET /{$}", p.page)
	p.mux.HandleFunc("POST /web/start", p.startSession)
	p.mux.HandleFunc("POST /web/answer", p.answer)
	p.mux.HandleFunc("GET /web/assets/{name}", p.asset)
	p.mux.HandleFunc("GET /web/lang", p.setLanguage)
	p.mux.HandleFunc("/web/", func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, http.StatusNotFound, "not_found")
	})
	return p, nil
}

// Register mounts the pages on mux: GET / and everything under /web/
// (the forms' targets and the pages' style and script). Other paths stay
// mux's: the API's, in tether serve.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", p)
	mux.Handle("/web/", p)
}

// ServeHTTP serves the pages' paths, with their security headers, limits
// and one log line per request.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	securityHeaders(rec.Header())
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p.cfg.Log.ErrorContext(r.Context(), "panic", "route", route(r), "panic", v)
			if rec.status == 0 {
				p.fail(rec, r, http.StatusInternalServerError, "internal_page")
			}
		}
		p.cfg.Log.InfoContext(r.Context(), "page", "method", r.Method, "route", route(r), "status", cmp.Or(rec.status, http.StatusOK),
			"duration_ms", float64(time.Since(began).Microseconds())/1000, "client", p.clients.Of(r))
	}()
	if r.Method == http.MethodPost {
		if r.ContentLength > p.cfg.MaxBody {
			p.fail(rec, r, http.StatusRequestEntityTooLarge, "too_big")
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, p.cfg.MaxBody)
	}
	p.mux.ServeHTTP(rec, r)
}

// route names r's route for the log: the path, which holds no secret
// (the pages put none in a URL), without its query.
func route(r *http.Request) string {
	switch p := r.URL.Path; p {
	case "/", "/web/start", "/web/answer", "/web/lang":
		return r.Method + " " + p
	}
	return r.Method + " other"
}

// securityHeaders are on every response of the pages: nothing but the
// pages' own style, script and forms; not framed; no referrer; not
// cached, since a page shows where a person's sign-in stands.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// ContentSecurityPolicy is the policy every page is served with: its own
// style sheet, script and icon, forms posted to itself, and nothing else
// (no inline script or style, no frames, no other origin).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// stepContext is the context a step runs in: not cancelled when the
// browser goes away (a step half taken would leave the portal and the
// session disagreeing), bounded by StepTimeout.
func (p *Pages) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), p.cfg.StepTimeout)
}

// limited answers 429 when addr has used up its tokens on lim.
func (p *Pages) limited(w http.ResponseWriter, r *http.Request, lim *addrlimit.Limiter) bool {
	wait, ok := lim.Allow(p.clients.Of(r), time.Now())
	if ok {
		return false
	}
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	p.fail(w, r, http.StatusTooManyRequests, "too_many", "seconds", secs)
	return true
}

// statusWriter notes the status of a response, for the log; zero until
// the header is written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
