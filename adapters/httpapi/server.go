package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/internal/addrlimit"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// Config is what a Server runs with. Host is required; the zero value of
// every other field is a working default.
type Config struct {
	// Host takes the steps. It must issue session secrets
	// (host.Config.Secrets): the server refuses to run otherwise.
	Host *host.Host
	// Log is where the server logs, one JSON line per request; nil
	// discards. Wrap it with Redact (NewLogger does) so that no secret
	// reaches it.
	Log *slog.Logger
	// Metrics, when set, collects the server's metrics and serves them at
	// /metrics (the host's too, when host.Config.Observe is its Observe).
	Metrics *Metrics
	// Ready reports whether the server can take requests (the store can
	// be reached); nil means it always can.
	Ready func(ctx context.Context) error
	// Rand is where device and request ids come from; nil means
	// crypto/rand.
	Rand io.Reader
	// CreateRate and CreateBurst limit session creation per client
	// address; zero means 1 a second, bursts of 20.
	CreateRate  rate.Limit
	CreateBurst int
	// AnswerRate and AnswerBurst limit answers and cancellations per
	// client address; zero means 10 a second, bursts of 50.
	AnswerRate  rate.Limit
	AnswerBurst int
	// Counter, when set, keeps the rate limits' counters (a store that
	// instances share), so that a client over its limit is refused by
	// every instance; nil keeps them in this process's memory.
	Counter Counter
	// TrustedProxies are the proxies whose X-Forwarded-For says which
	// client a request comes from, for the rate limits and the log; nil
	// trusts none, and every request counts as its connection's peer.
	TrustedProxies []netip.Prefix
	// MaxBody bounds request bodies; zero means 16 KiB.
	MaxBody int64
	// StepTimeout bounds one step; zero means 2 minutes. A step runs to
	// its end even when its client goes away.
	StepTimeout time.Duration
	// Reload reloads the flows (catalog.Catalog.Reload), for POST
	// /v1/admin/reload; nil refuses it.
	Reload func(ctx context.Context) (*catalog.Changes, error)
	// AdminToken is the bearer token POST /v1/admin/reload requires;
	// empty refuses every admin request (403).
	AdminToken string
	// SeparateAdmin moves /metrics off the API's handler to
	// AdminHandler's, behind AdminToken: the public port exposes no
	// counters.
	SeparateAdmin bool
	// Catalogs are the locales prompts are shown in (Accept-Language
	// chooses), as they stand: a reload may change them. Nil means the
	// built-in words and the flows' own texts.
	Catalogs func() *ui.Catalogs
	// Now is the host's clock, against which a choice's wait is counted;
	// nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API over a session host.
type Server struct {
	cfg      Config
	api      huma.API
	handler  http.Handler
	draining atomic.Bool
	limits   *limits
	clients  addrlimit.Clients
	// answerOp is the answers operation, as huma registered it.
	answerOp *huma.Operation
	// noDirect leaves every answer to huma; onDirect is told of each
	// answer answerDirect takes. For tests.
	noDirect bool
	onDirect func()
}

// Version is the API's version, as the OpenAPI document states it.
const Version = "1.0.0"

// New returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Host == nil {
		return nil, errors.New("httpapi: a host is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	if cfg.CreateRate == 0 {
		cfg.CreateRate, cfg.CreateBurst = 1, max(cfg.CreateBurst, 20)
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
	if cfg.Catalogs == nil {
		cfg.Catalogs = ui.Builtin
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, limits: newLimits(cfg), clients: addrlimit.NewClients(cfg.TrustedProxies)}
	mux := http.NewServeMux()
	s.api = newAPI(mux)
	s.register()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil && !cfg.SeparateAdmin {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, CodeNotFoundPath, "no such path: the API is under /v1 (see /openapi.json)"))
	})
	s.handler = s.middleware(mux)
	return s, nil
}

// newAPI returns the huma API on mux: OpenAPI 3.1 at /openapi.json, no
// documentation UI (nothing served but the API's own resources), errors
// as Problems.
func newAPI(mux *http.ServeMux) huma.API {
	cfg := huma.DefaultConfig("Tether session API", Version)
	cfg.Info.Description = "Drive Tether's connect flows from any client: create a session, show its prompt (a description of the screen), answer it, until it ends. See docs/api.md."
	cfg.DocsPath, cfg.SchemasPath = "", ""
	cfg.CreateHooks = nil // no $schema links in bodies
	// cfg.Formats stays huma's: (*Server).marshal writes a session as its
	// JSON format does, without it.
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"sessionSecret": {Type: "http", Scheme: "bearer", Description: "The session's secret, from the response that created it."},
		"adminToken":    {Type: "http", Scheme: "bearer", Description: "The server's admin token (TETHER_ADMIN_TOKEN)."},
	}
	cfg.Transformers = []huma.Transformer{func(ctx huma.Context, status string, v any) (any, error) {
		if e, ok := v.(*huma.ErrorModel); ok {
			v = fromHuma(e)
		}
		if p, ok := v.(*Problem); ok {
			p.RequestID = ctx.Header(requestIDHeader)
			noteProblem(ctx.Context(), p.Code)
		}
		return v, nil
	}}
	return humago.New(mux, cfg)
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminHandler returns the handler of the admin port (Config.SeparateAdmin):
// /metrics, for the holder of the admin token only.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Metrics != nil {
		metrics := s.cfg.Metrics.Handler()
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			if p := s.checkAdmin(r.Header.Get("Authorization")); p != nil {
				writeProblem(w, r, p)
				return
			}
			metrics.ServeHTTP(w, r)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, CodeNotFoundPath, "no such path: the admin port serves /metrics"))
	})
	return s.middleware(mux)
}

// Drain makes /readyz answer 503, so that a load balancer sends no new
// requests, before a graceful shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// OpenAPI returns the API's OpenAPI 3.1 document, as /openapi.json serves
// it.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeProblem(w, r, problem(http.StatusServiceUnavailable, CodeUnavailable, "shutting down"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.cfg.Log.ErrorContext(ctx, "not ready", "request_id", r.Header.Get(requestIDHeader), "err", err)
		writeProblem(w, r, problem(http.StatusServiceUnavailable, CodeUnavailable, "the session store cannot be reached"))
		return
	}
	io.WriteString(w, "ready\n")
}

// The API's inputs and outputs.
type (
	createInput struct {
		Body struct {
			Flow    string `json:"flow" minLength:"1" maxLength:"64" example:"connect" doc:"The flow to run."`
			Country string `json:"country,omitempty" maxLength:"8" example:"DE" doc:"The country (ISO 3166-1 alpha-2) whose regional policy applies; empty for the flow's defaults."`
			Region  string `json:"region,omitempty" maxLength:"8" deprecated:"true" doc:"Deprecated: country's old name, taken until the next release; the response's warnings say so. Give country instead (region in a response is the policy's name)."`
			Device  string `json:"device,omitempty" maxLength:"128" example:"laptop-7f3a" doc:"The device to connect: an id the client keeps (letters, digits, '.', '_', ':', '-'; make it random). Sessions of one device share its saved connection. Empty: the server makes one up and returns it."`
			Locale  string `json:"locale,omitempty" maxLength:"35" example:"de" doc:"The locale (BCP 47) to show the session in, kept with it: requests without Accept-Language get it. The nearest locale shipped is chosen (de-AT: de; pt: pt-BR); one that is not shipped falls back to en, and the warnings say so."`
		}
		DeviceKey string `header:"Tether-Device-Key" maxLength:"128" doc:"The device's key, as the response that created the device gave it (device_key). Required for a device that exists (403 device_key_required without it or with another); ignored for a new device, whose key the response gives." example:"q3Zt0m9cK1x8d2VfY6u4wA7bN5eRjH0sLpG1oIyTzXc"`
	}
	sessionInput struct {
		ID            string `path:"id" maxLength:"64" doc:"The session's id."`
		Authorization string `header:"Authorization" hidden:"true"`
		IfNoneMatch   string `header:"If-None-Match" doc:"The ETag of the session as last seen: while the session is still at that version the answer is 304 Not Modified, with no body. What a client polling for a timer sends." example:"\"4\""`
	}
	answerInput struct {
		ID             string `path:"id" maxLength:"64" doc:"The session's id."`
		Authorization  string `header:"Authorization" hidden:"true"`
		IfMatch        string `header:"If-Match" doc:"The version the answer is for: the ETag of the response that showed the prompt, as given (a strong tag; a weak one, W/\"4\", never matches: 412). Required (428 without it): an answer for another version gets 409 stale_version and changes nothing." example:"\"4\""`
		IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Names the request (1-255 visible ASCII characters; a UUID does). Required (428 without it): the same request again gets the first response (with Idempotent-Replayed: true), not a second step, and waits for it while it is in flight; the same key with another version, choice or fields gets 422 idempotency_key_reused." example:"8e0c6f8e-5a0b-4c1f-9a43-0d1c6f5e2b7a"`
		Body           answerBody
	}
	cancelInput struct {
		ID            string `path:"id" maxLength:"64" doc:"The session's id."`
		Authorization string `header:"Authorization" hidden:"true"`
		IfMatch       string `header:"If-Match" doc:"When given, the version the cancellation is for: another one gets 409; * any version; a weak tag never matches (412)." example:"\"4\""`
	}
	sessionOutput struct {
		ContentLanguage string `header:"Content-Language" doc:"The locale the texts are in (BCP 47), as the body's locale member."`
		ETag            string `header:"ETag" doc:"The session's version, quoted: what an answer's If-Match names."`
		Replayed        string `header:"Idempotent-Replayed" doc:"true when this is the remembered response to a repeated request."`
		Body            *Session
	}
	createdOutput struct {
		ContentLanguage string `header:"Content-Language" doc:"The locale the texts are in (BCP 47), as the body's locale member."`
		ETag            string `header:"ETag" doc:"The session's version, quoted."`
		Location        string `header:"Location" doc:"The session's URL."`
		Body            *Session
	}
)

// register declares the API's operations.
func (s *Server) register() {
	secured := []map[string][]string{{"sessionSecret": {}}}
	huma.Register(s.api, s.op(huma.Operation{
		OperationID: "createSession", Method: http.MethodPost, Path: "/v1/sessions", DefaultStatus: http.StatusCreated,
		Summary:     "Start a session",
		Description: "Starts a session of the flow for the device and runs it to its first prompt (or its end). The response carries the session's secret, once, and for a new device the device's key, once: later sessions of the device present it (Tether-Device-Key).",
	}, 400, 403, 413, 415, 422, 429), s.create)
	huma.Register(s.api, s.op(huma.Operation{
		OperationID: "getSession", Method: http.MethodGet, Path: "/v1/sessions/{id}", Security: secured,
		Summary:     "Where a session stands",
		Description: "Returns the prompt the session waits at, or how it ended. Takes no step; timers fire without it.",
	}, 304, 401, 404, 410, 429), s.get)
	huma.Register(s.api, s.op(huma.Operation{
		OperationID: "answerSession", Method: http.MethodPost, Path: answerPath, Security: secured,
		Summary:     "Answer the prompt",
		Description: "Answers the prompt the session waits at with a choice and its fields, and runs the session to its next prompt or its end: one step, saved before the response.",
	}, 400, 401, 404, 409, 410, 412, 413, 415, 422, 428, 429), s.answer)
	huma.Register(s.api, s.op(huma.Operation{
		OperationID: "reloadFlows", Method: http.MethodPost, Path: "/v1/admin/reload", Security: []map[string][]string{{"adminToken": {}}},
		Summary:     "Reload the flows",
		Description: "Loads the flows directory again, all or nothing: a set with problems is refused (422, its problems listed) and the old one keeps serving. New sessions start on the new versions; sessions in flight finish on the version they started on, or move by the flow's migration. Needs the server's admin token; SIGHUP does the same.",
	}, 401, 403, 422), s.reload)
	huma.Register(s.api, s.op(huma.Operation{
		OperationID: "cancelSession", Method: http.MethodDelete, Path: "/v1/sessions/{id}", Security: secured,
		Summary:     "Cancel a session",
		Description: "Ends the session with the outcome cancelled. The session stays readable until it expires.",
	}, 400, 401, 404, 409, 410, 412, 429), s.cancel)
	// defineErrors registered huma's own error schema; the API answers
	// with Problems only.
	schemas := s.api.OpenAPI().Components.Schemas.Map()
	delete(schemas, "ErrorModel")
	delete(schemas, "ErrorDetail")
	// An answer without If-Match or Idempotency-Key is refused with 428,
	// by the handler rather than huma's checks (which would say 422): the
	// document says the two are required all the same.
	s.answerOp = s.api.OpenAPI().Paths[answerPath].Post
	for _, p := range s.answerOp.Parameters {
		if p.In == "header" && (p.Name == "If-Match" || p.Name == "Idempotency-Key") {
			p.Required = true
		}
	}
}

// op declares op's error responses as Problems.
func (s *Server) op(op huma.Operation, statuses ...int) huma.Operation {
	reg := s.api.OpenAPI().Components.Schemas
	schema := reg.Schema(reflect.TypeFor[Problem](), true, "Problem")
	op.MaxBodyBytes = s.cfg.MaxBody
	op.Responses = map[string]*huma.Response{}
	for _, st := range append(statuses, http.StatusInternalServerError) {
		if st == http.StatusNotModified {
			op.Responses["304"] = &huma.Response{Description: "Not Modified: the session is still at the version If-None-Match names.",
				Headers: map[string]*huma.Param{"ETag": {Schema: &huma.Schema{Type: "string"}, Description: "The session's version, quoted."}}}
			continue
		}
		op.Responses[strconv.Itoa(st)] = &huma.Response{
			Description: http.StatusText(st),
			Content:     map[string]*huma.MediaType{problemContentType: {Schema: schema}},
		}
	}
	return op
}

// deviceRE is what a device id may be.
var deviceRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func (s *Server) create(ctx context.Context, in *createInput) (*createdOutput, error) {
	device := in.Body.Device
	switch {
	case device == "":
		b := make([]byte, 16)
		if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
			return nil, s.fail(ctx, err, nil)
		}
		device = "dev-" + hex.EncodeToString(b)
	case !deviceRE.MatchString(device):
		return nil, problem(http.StatusUnprocessableEntity, CodeInvalidDevice, "a device id is 1 to 128 letters, digits, '.', '_', ':' or '-'")
	}
	cc, warnings, oldName := in.Body.Country, []string(nil), in.Body.Region != ""
	if oldName {
		if cc != "" && cc != in.Body.Region {
			return nil, problem(http.StatusUnprocessableEntity, CodeInvalidCountry, "region is country's old name: give country only")
		}
		cc, warnings = in.Body.Region, []string{regionWarning}
	}
	locale := ""
	if in.Body.Locale != "" {
		m := s.cfg.Catalogs().Match(in.Body.Locale)
		locale = m.Tag
		switch {
		case m.Asked == "":
			warnings = append(warnings, fmt.Sprintf("locale: %q is not a language tag (BCP 47: de, pt-BR); the texts are in %s", in.Body.Locale, m.Tag))
		case m.Fallback:
			warnings = append(warnings, fallbackWarning(m))
		}
	}
	step, cancel := s.stepContext(ctx)
	defer cancel()
	v, err := s.cfg.Host.Start(step, host.StartRequest{Flow: in.Body.Flow, Country: cc, Device: device, Locale: locale, DeviceKey: in.DeviceKey})
	if err != nil {
		if oldName && errors.Is(err, catalog.ErrCountry) {
			// A client of the old name may branch on the old code.
			p := problemOf(err)
			return nil, problem(p.Status, CodeInvalidRegion, p.Detail)
		}
		return nil, s.fail(ctx, err, nil)
	}
	out, lw := s.describe(ctx, v)
	out.Secret, out.DeviceKey = v.Secret, v.DeviceKey
	if v.DeviceAdopted {
		// The device was saved before devices had keys: whoever starts
		// its next session takes it over, so the operator hears of it.
		s.cfg.Log.WarnContext(ctx, "a device without a key was claimed by a session", "request_id", requestID(ctx), "session", v.ID)
		warnings = append(warnings, adoptedWarning)
	}
	out.Warnings = append(warnings, lw...)
	return &createdOutput{ContentLanguage: out.Locale, ETag: etag(v.Version), Location: "/v1/sessions/" + v.ID, Body: out}, nil
}

// adoptedWarning is the warning of the session that claimed a device
// saved before devices had keys (docs/api.md#device-keys).
const adoptedWarning = "device: the device had no key (it was saved by an older tether serve); this session claimed it: keep device_key, every later session of the device presents it"

// regionWarning is the warning a request that names its country by the
// old member region gets (docs/api.md#deprecated).
const regionWarning = "deprecated: the request member region is the old name of country and goes in the next release; send country"

func (s *Server) get(ctx context.Context, in *sessionInput) (*sessionOutput, error) {
	v, err := s.authorize(ctx, in.ID, in.Authorization)
	if err != nil {
		return nil, err
	}
	return s.output(ctx, v), nil
}

func (s *Server) answer(ctx context.Context, in *answerInput) (*sessionOutput, error) {
	version, err := ifMatch(in.IfMatch, true)
	if err != nil {
		return nil, err
	}
	if err := checkKey(in.IdempotencyKey); err != nil {
		return nil, err
	}
	secret, err := bearer(in.Authorization)
	if err != nil {
		return nil, err
	}
	step, cancel := s.stepContext(ctx)
	defer cancel()
	a := host.Answer{Version: version, Choice: in.Body.Choice, Input: in.Body.Fields, Key: in.IdempotencyKey, Secret: secret}
	v, err := s.cfg.Host.Answer(step, in.ID, a)
	if err != nil {
		if v == nil && errors.Is(err, host.ErrConflict) {
			v, _ = s.cfg.Host.Get(step, in.ID)
		}
		return nil, s.fail(ctx, err, v, replayedHeader(v))
	}
	out := s.output(ctx, v)
	out.Replayed = replayedHeader(v).Get("Idempotent-Replayed")
	return out, nil
}

func (s *Server) cancel(ctx context.Context, in *cancelInput) (*sessionOutput, error) {
	version, err := ifMatch(in.IfMatch, false)
	if err != nil {
		return nil, err
	}
	cur, err := s.authorize(ctx, in.ID, in.Authorization)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != cur.Version {
		return nil, s.fail(ctx, host.ErrStale, cur)
	}
	step, cancel := s.stepContext(ctx)
	defer cancel()
	v, err := s.cfg.Host.Cancel(step, in.ID, "cancelled by the client")
	if err != nil {
		return nil, s.fail(ctx, err, v)
	}
	return s.output(ctx, v), nil
}

// output is the response that shows session v.
func (s *Server) output(ctx context.Context, v *host.View) *sessionOutput {
	body, warnings := s.describe(ctx, v)
	body.Warnings = append(body.Warnings, warnings...)
	return &sessionOutput{ContentLanguage: body.Locale, ETag: etag(v.Version), Body: body}
}

// describe renders session v in the locale the request asks for (its
// Accept-Language), else the session's own, else the source's; the
// warnings say when what was asked for is not shipped.
func (s *Server) describe(ctx context.Context, v *host.View) (*Session, []string) {
	l, warnings := s.localizer(ctx, v)
	return sessionOf(v, l, s.cfg.Now()), warnings
}

func (s *Server) localizer(ctx context.Context, v *host.View) (*ui.Localizer, []string) {
	var m ui.Match
	rq := requestOf(ctx)
	asked := rq != nil && rq.asked
	if asked {
		m = rq.accept
	}
	switch {
	case asked && !m.Fallback:
		return s.cfg.Catalogs().Localizer(m.Tag), nil
	case v != nil && v.Locale != "":
		return s.cfg.Catalogs().Localizer(v.Locale), nil
	case asked:
		return s.cfg.Catalogs().Localizer(m.Tag), []string{fallbackWarning(m)}
	}
	return s.cfg.Catalogs().Localizer(ui.Source), nil
}

// fallbackWarning says that no locale asked for is shipped.
func fallbackWarning(m ui.Match) string {
	return fmt.Sprintf("locale: %s is not shipped; the texts are in %s", m.Asked, m.Tag)
}

// stepContext is the context a step runs in: not cancelled when the
// client goes away (a step half taken would leave the portal and the
// session disagreeing), bounded by StepTimeout.
func (s *Server) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.cfg.StepTimeout)
}

// authorize checks the request's secret against session id's, and
// returns where the session stands.
func (s *Server) authorize(ctx context.Context, id, authorization string) (*host.View, error) {
	secret, err := bearer(authorization)
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Host.Authorize(ctx, id, secret)
	if err != nil {
		return nil, s.fail(ctx, err, nil)
	}
	return v, nil
}

// bearer returns the secret of an Authorization: Bearer header.
func bearer(authorization string) (string, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		p := problem(http.StatusUnauthorized, CodeSecretRequired, "present the session's secret: Authorization: Bearer SECRET")
		return "", huma.ErrorWithHeaders(p, http.Header{"WWW-Authenticate": {`Bearer realm="tether"`}})
	}
	return strings.TrimSpace(secret), nil
}

// fail returns the Problem for err, logging the errors that are the
// server's fault.
func (s *Server) fail(ctx context.Context, err error, v *host.View, headers ...http.Header) error {
	p := problemOf(err)
	if p.Session == nil && v != nil {
		p.Session, _ = s.describe(ctx, v)
		h := http.Header{"Content-Language": {p.Session.Locale}}
		if len(headers) > 0 && headers[0] != nil {
			for k, vs := range headers[0] {
				h[k] = vs
			}
		}
		headers = []http.Header{h}
	}
	if p.Status >= 500 {
		s.cfg.Log.ErrorContext(ctx, "request failed", "request_id", requestID(ctx), "err", err)
	}
	if len(headers) > 0 && headers[0] != nil {
		return huma.ErrorWithHeaders(p, headers[0])
	}
	return p
}

// replayedHeader is the Idempotent-Replayed header of a response made
// from v.
func replayedHeader(v *host.View) http.Header {
	if v == nil || !v.Replayed {
		return nil
	}
	return http.Header{"Idempotent-Replayed": {"true"}}
}

// etag is the ETag of a session at version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads an If-Match header as the version it names (RFC 9110,
// 13.1.1): the one strong entity tag of the list; a weak tag never
// matches (412), and "*" matches any version (0, when not required: an
// answer must name its version). Without the header: 428 when required,
// else 0.
func ifMatch(h string, required bool) (int, error) {
	tags, star, err := entityTags(h)
	switch {
	case err != nil:
		return 0, problem(http.StatusBadRequest, CodeInvalidVersion, "If-Match is not a list of entity tags: send the ETag as given, \"VERSION\"")
	case len(tags) == 0 && !star && required:
		return 0, problem(http.StatusPreconditionRequired, CodeVersionRequired, "an answer names the version it answers: If-Match: \"VERSION\" (the ETag of the response that showed the prompt)")
	case star && required:
		return 0, problem(http.StatusBadRequest, CodeInvalidVersion, "an answer names the version it answers: If-Match: \"VERSION\", not *")
	case star || len(tags) == 0:
		return 0, nil
	}
	version := 0
	for _, t := range tags {
		if t.weak {
			continue // never matches If-Match
		}
		n, err := strconv.Atoi(t.opaque)
		if err != nil || n < 1 || strconv.Itoa(n) != t.opaque {
			return 0, problem(http.StatusBadRequest, CodeInvalidVersion, "If-Match is not a session version (a quoted positive number, as the ETag)")
		}
		if version != 0 && version != n {
			return 0, problem(http.StatusBadRequest, CodeInvalidVersion, "If-Match names one version, the ETag of the response that showed the prompt")
		}
		version = n
	}
	if version == 0 {
		return 0, problem(http.StatusPreconditionFailed, CodePrecondition, "a weak entity tag never matches If-Match (RFC 9110); send the ETag as given, \"VERSION\"")
	}
	return version, nil
}

// entityTag is one tag of an If-Match or If-None-Match list.
type entityTag struct {
	weak   bool
	opaque string // between the quotes
}

// entityTags parses an If-Match or If-None-Match header: "*", or a
// comma-separated list of entity tags ("4", W/"4"). An empty header is no
// tag and no star.
func entityTags(h string) (tags []entityTag, star bool, err error) {
	h = strings.TrimSpace(h)
	if h == "*" {
		return nil, true, nil
	}
	for h != "" {
		var t entityTag
		if rest, ok := strings.CutPrefix(h, "W/"); ok {
			t.weak, h = true, rest
		}
		if !strings.HasPrefix(h, `"`) {
			return nil, false, errors.New("not an entity tag")
		}
		end := strings.IndexByte(h[1:], '"')
		if end < 0 {
			return nil, false, errors.New("an entity tag without its closing quote")
		}
		t.opaque, h = h[1:1+end], strings.TrimSpace(h[2+end:])
		for _, c := range []byte(t.opaque) {
			if c < 0x21 || c == 0x7f {
				return nil, false, errors.New("not an entity tag")
			}
		}
		tags = append(tags, t)
		if h != "" {
			rest, ok := strings.CutPrefix(h, ",")
			if !ok {
				return nil, false, errors.New("entity tags not separated by commas")
			}
			h = strings.TrimSpace(rest)
		}
	}
	return tags, false, nil
}

// noneMatch reports whether an If-None-Match header matches version: with
// the weak comparison (RFC 9110, 13.1.2), so W/"4" matches "4"; "*"
// matches any. A header that does not parse matches nothing.
func noneMatch(h string, version int) bool {
	tags, star, err := entityTags(h)
	if err != nil {
		return false
	}
	if star {
		return true
	}
	v := strconv.Itoa(version)
	for _, t := range tags {
		if t.opaque == v {
			return true
		}
	}
	return false
}

// checkKey checks an Idempotency-Key.
func checkKey(k string) error {
	if k == "" {
		return problem(http.StatusPreconditionRequired, CodeKeyRequired, "an answer names itself with an Idempotency-Key (a UUID, say), so that it can be sent again safely")
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			return problem(http.StatusBadRequest, CodeInvalidKey, "Idempotency-Key is 1 to 255 visible ASCII characters")
		}
	}
	return nil
}
