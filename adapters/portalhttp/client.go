// Package portalhttp is the account portal reached over HTTP: it
// implements the actions' portal ports (Portal, Licences, Accounts,
// ConsentLog, Captcha) and the token check over the protocol of package
// api (api/portal.openapi.yaml).
//
// Each attempt of a request has its own timeout. A request that fails in
// transit (refused, reset, timed out, cut short) or gets a 5xx is tried
// again, with exponential backoff and jitter (cenkalti/backoff), after the
// Retry-After the portal asked for when it asked for one; a 4xx is final.
// Retrying is safe: a GET changes nothing, and every POST carries an
// Idempotency-Key — the engine's key for the call (callkey.Next),
// the same for every try of the step and after a restore, or a random one
// outside a session — so a retried "send code" texts one code. When every
// attempt failed, the error wraps actions.ErrUnavailable, which the engine
// turns into the outcome unavailable.
//
// The client speaks HTTPS with the system's roots, or only a given CA's
// (Options.CA); plain http:// only to a loopback address. No password,
// code, ticket or token goes into a URL, an error or a log record.
//
//	c, err := portalhttp.New("https://portal.example.com", portalhttp.Options{})
//	reg, err := actions.Registry(actions.Ports{Portal: c, Licences: c, Accounts: c, Consent: c, Captcha: c, ...})
package portalhttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/host"
)

// Options configures a Client; the zero value is the defaults.
type Options struct {
	// CA is the PEM of the certificate authorities the client trusts
	// instead of the system's roots (a test CA); nil means the system's.
	CA []byte
	// AttemptTimeout bounds one attempt of a request, answer read in full;
	// zero means 3s.
	AttemptTimeout time.Duration
	// Attempts is how many times a request is tried at most; zero means 3.
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one (±50% jitter), at most MaxBackoff; zero means 250ms
	// and 2s.
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for before
	// trying again; a portal that asks for longer is unavailable at once,
	// and the flow's own retry (or the person) decides. Zero means 5s.
	MaxRetryAfter time.Duration
	// Clock, when set, is sent with every request as Tether-Client-Clock:
	// a scripted run on a fake clock, against a simulator that follows it.
	Clock func() time.Time
	// Transport replaces the HTTP transport (tests); CA is then ignored.
	Transport http.RoundTripper
	// Rand is where the keys of calls made outside a session come from;
	// nil means crypto/rand.
	Rand io.Reader
	// Logger gets a record for each attempt that failed and is retried,
	// with the operation and why, never a secret; nil discards them.
	Logger *slog.Logger
}

// Client reaches the portal at one base URL. It is safe for concurrent
// use.
type Client struct {
	base *url.URL
	hc   *http.Client
	opts Options
}

// ErrInsecureURL is wrapped by New's error for a URL the client refuses.
var ErrInsecureURL = errors.New("refused portal URL")

// New returns a client for the portal at baseURL: https://HOST[:PORT][/PATH],
// or http:// to a loopback address (127.0.0.0/8, ::1, localhost).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInsecureURL, baseURL, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return nil, fmt.Errorf("%w %q: want https://HOST[:PORT] (or http:// to this machine)", ErrInsecureURL, baseURL)
	case u.User != nil:
		return nil, fmt.Errorf("%w: it holds a user name or password; the portal takes none in its URL", ErrInsecureURL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%w %q: a base URL has no query or fragment", ErrInsecureURL, baseURL)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return nil, fmt.Errorf("%w %q: plain http:// is refused except to this machine (127.0.0.1, ::1, localhost); use https://", ErrInsecureURL, baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 3 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Second
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 5 * time.Second
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rt := opts.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.CA != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(opts.CA) {
				return nil, errors.New("portal CA: no PEM certificate in it")
			}
			t.TLSClientConfig.RootCAs = pool
		}
		rt = t
	}
	hc := &http.Client{
		Transport: rt,
		// The protocol has no redirects; following one could leave
		// https:// or the portal's host with a token in hand.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{base: u, hc: hc, opts: opts}, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the portal's base URL.
func (c *Client) URL() string { return c.base.String() }

// request is one call of an operation: what to send, where to put the
// answer, and the secrets it carries, which no error may hold.
type request struct {
	op      string
	token   string // Authorization: Bearer, for the routes that take one
	body    any    // nil: none
	out     any
	secrets []string
}

// do makes the call r, retrying as the package doc says.
func (c *Client) do(ctx context.Context, r request) error {
	rt, ok := api.RouteOf(r.op)
	if !ok {
		return fmt.Errorf("portal: unknown operation %s", r.op)
	}
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("portal %s: %w", r.op, err)
		}
	}
	key := ""
	if rt.Keyed() {
		key = c.key(ctx)
	}
	b := &backoff.ExponentialBackOff{InitialInterval: c.opts.Backoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: c.opts.MaxBackoff}
	attempt := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		err := c.attempt(ctx, rt, key, body, r)
		var retry *retryable
		if errors.As(err, &retry) && attempt < c.opts.Attempts {
			c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "portal request failed; trying again",
				slog.String("op", r.op), slog.Int("attempt", attempt), slog.String("why", retry.why))
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(c.opts.Attempts)), backoff.WithMaxElapsedTime(0))
	if err == nil {
		if key != "" {
			// The step's effects: a session host commits the call, with
			// its key, with the step that made it.
			host.RecordEffect(ctx, host.Effect{Key: key, Kind: "portal." + r.op})
		}
		return nil
	}
	var retry *retryable
	switch {
	case errors.As(err, &retry):
		err = fmt.Errorf("portal %s: %s, %d attempts: %w", r.op, retry.why, attempt, actions.ErrUnavailable)
	case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("portal %s: no answer in time (%w): %w", r.op, actions.ErrUnavailable, err)
	case ctx.Err() != nil:
		err = fmt.Errorf("portal %s: %w", r.op, err)
	}
	return actions.Redact(err, r.secrets...)
}

// key returns the call's idempotency key: the engine's, in a session, or
// a random one.
func (c *Client) key(ctx context.Context) string {
	if k, ok := callkey.Next(ctx); ok {
		return k
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(c.opts.Rand, b); err != nil {
		return "c-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return "c-" + hex.EncodeToString(b)
}

// retryable is an attempt's failure that trying again may cure.
type retryable struct{ why string }

func (e *retryable) Error() string { return e.why }

// attempt makes one attempt of the call r: nil when the answer is in
// r.out, a *retryable (possibly inside backoff's RetryAfter) when another
// attempt may do better, any other error (backoff.Permanent) when not.
func (c *Client) attempt(ctx context.Context, rt api.Route, key string, body []byte, r request) error {
	actx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, rt.Method, c.base.String()+rt.Path, rd)
	if err != nil {
		return backoff.Permanent(err)
	}
	req.Header.Set("Accept", api.MediaJSON+", "+api.MediaProblem)
	if body != nil {
		req.Header.Set("Content-Type", api.MediaJSON)
	}
	if key != "" {
		req.Header.Set(api.HeaderIdempotencyKey, key)
	}
	if rt.Token {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if c.opts.Clock != nil {
		req.Header.Set(api.HeaderClientClock, c.opts.Clock().UTC().Format(time.RFC3339Nano))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportFailure(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return c.transportFailure(ctx, actx, err)
	}
	if len(data) > maxAnswer {
		return backoff.Permanent(fmt.Errorf("portal %s: the answer is over %d bytes", r.op, maxAnswer))
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		if err := json.Unmarshal(data, r.out); err != nil {
			return backoff.Permanent(fmt.Errorf("portal %s: the answer is not the protocol's: %v", r.op, err))
		}
		return nil
	case s >= 500, s == http.StatusTooManyRequests, s == http.StatusRequestTimeout:
		why := fmt.Sprintf("the portal answered %d", s)
		if p, ok := problem(resp, data); ok {
			why += " " + p.Code
		}
		wait, ok := retryAfter(resp)
		switch {
		case !ok:
			return &retryable{why}
		case wait > c.opts.MaxRetryAfter:
			// Unavailable now; the flow's retry or the person decides
			// when to try again.
			return backoff.Permanent(&retryable{fmt.Sprintf("%s and asked to wait %s", why, wait)})
		}
		return errors.Join(&retryable{why}, backoff.RetryAfter(int(wait.Seconds())))
	}
	p, ok := problem(resp, data)
	if !ok {
		return backoff.Permanent(fmt.Errorf("portal %s: unexpected answer %d", r.op, resp.StatusCode))
	}
	perr := &ProblemError{Op: r.op, Problem: p}
	if p.Code == api.CodeTokenRejected {
		return backoff.Permanent(fmt.Errorf("%w: %w", perr, actions.ErrTokenRejected))
	}
	return backoff.Permanent(perr)
}

// maxAnswer is the largest answer the client reads.
const maxAnswer = 1 << 20

// transportFailure classifies an attempt that got no (whole) answer:
// retryable, unless the call's own context is done.
func (c *Client) transportFailure(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return backoff.Permanent(ctx.Err())
	}
	why := "the connection failed"
	var ne net.Error
	switch {
	case actx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		why = fmt.Sprintf("no answer within %s", c.opts.AttemptTimeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "the connection was refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		why = "the connection was reset"
	case errors.Is(err, io.ErrUnexpectedEOF):
		why = "the answer was cut short"
	case errors.Is(err, io.EOF):
		why = "the portal closed the connection without answering"
	case errors.As(err, new(*tls.CertificateVerificationError)), errors.As(err, new(x509.UnknownAuthorityError)):
		// Another attempt meets the same certificate.
		return backoff.Permanent(fmt.Errorf("the portal's certificate is not trusted (--portal-ca for a test CA): %w", actions.ErrUnavailable))
	}
	return &retryable{why}
}

// problem decodes a problem answer.
func problem(resp *http.Response, data []byte) (api.Problem, bool) {
	var p api.Problem
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), api.MediaProblem) || json.Unmarshal(data, &p) != nil || p.Code == "" {
		return api.Problem{}, false
	}
	return p, true
}

// retryAfter returns the wait a Retry-After header asks for, in seconds
// or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)).Round(time.Second), true
	}
	return 0, false
}

// ProblemError is a request the portal refused with a problem (a 4xx):
// trying it again would not help.
type ProblemError struct {
	Op      string
	Problem api.Problem
}

func (e *ProblemError) Error() string {
	msg := fmt.Sprintf("portal %s: %d %s: %s", e.Op, e.Problem.Status, e.Problem.Code, e.Problem.Title)
	if e.Problem.Detail != "" {
		msg += " (" + e.Problem.Detail + ")"
	}
	return msg
}
