// Package portalhttp is the account portal reached over HTTP: an OAuth 2.0
// client for first-party apps (package api) that implements the actions'
// portal ports (Portal, Licences, Accounts, ConsentLog, Captcha) for one
// device (Client.ForDevice): sign-in steps at the authorization challenge
// endpoint, the code exchanged with PKCE at the token endpoint
// (golang.org/x/oauth2), tokens bound to the device's key with DPoP, the
// ID token verified against the portal's keys (github.com/coreos/go-oidc),
// Native SSO by token exchange, and for tether status and disconnect the
// offline check, refresh, introspection and revocation (status.go).
//
// Each attempt of a request has its own timeout and its own DPoP proof. A
// request that fails in transit (refused, reset, timed out, cut short) or
// gets a 5xx is tried again, with exponential backoff and jitter
// (cenkalti/backoff), after the Retry-After the portal asked for when it
// asked for one; a 4xx is final. Retrying is safe: every POST carries an
// Idempotency-Key — the engine's key for the call (callkey.Next),
// the same for every try of the step and after a restore, or a random one
// outside a session — so a retried "send code" texts one code. When every
// attempt failed, the error wraps actions.ErrUnavailable, which the engine
// turns into the outcome unavailable.
//
// The client speaks HTTPS with the system's roots, or only a given CA's
// (Options.CA); plain http:// only to a loopback address; or, with
// Options.Transport, anything (the demo portal in process). No password,
// code, session or token goes into a URL, an error or a log record.
//
//	c, err := portalhttp.New("https://portal.example.com", portalhttp.Options{})
//	d := c.ForDevice(store)
//	reg, err := actions.Registry(actions.Ports{Portal: d, Licences: d, Accounts: d, Consent: d, Captcha: d, Credentials: store})
package portalhttp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tetherflow/tether/api"
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
	// Clock, when set, is the time of the DPoP proofs and ID token checks,
	// and is sent with every request as Tether-Client-Clock: a scripted
	// run on a fake clock, against a simulator that follows it.
	Clock func() time.Time
	// Transport replaces the HTTP transport (tests, the demo portal in
	// process); CA is then ignored, and any URL is taken.
	Transport http.RoundTripper
	// Rand is where the device key, the DPoP proofs' ids and the keys of
	// calls made outside a session come from; nil means crypto/rand.
	Rand io.Reader
	// Logger gets a record for each attempt that failed and is retried,
	// with the operation and why, never a secret; nil discards them.
	Logger *slog.Logger
}

// Client reaches the portal whose issuer identifier is its base URL. It
// is safe for concurrent use.
type Client struct {
	base *url.URL
	rt   http.RoundTripper // the transport under the retrying one
	opts Options
	sent bool // Clock is sent as Tether-Client-Clock

	mu       sync.Mutex
	meta     *api.Metadata
	provider *oidc.Provider
}

// ErrInsecureURL is wrapped by New's error for a URL the client refuses.
var ErrInsecureURL = errors.New("refused portal URL")

// New returns a client for the portal at baseURL, its issuer identifier:
// https://HOST[:PORT][/PATH], or http:// to a loopback address
// (127.0.0.0/8, ::1, localhost).
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
	case u.Scheme == "http" && !loopback(u.Hostname()) && opts.Transport == nil:
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
	c := &Client{base: u, opts: opts, sent: opts.Clock != nil}
	if opts.Clock == nil {
		c.opts.Clock = time.Now
	}
	c.rt = opts.Transport
	if c.rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.CA != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(opts.CA) {
				return nil, errors.New("portal CA: no PEM certificate in it")
			}
			t.TLSClientConfig.RootCAs = pool
		}
		c.rt = t
	}
	return c, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the portal's base URL: its issuer identifier.
func (c *Client) URL() string { return c.base.String() }

// plainClient is an HTTP client for discovery and keys: no DPoP, no
// redirects (the protocol has none; following one could leave https:// or
// the portal's host with a token in hand), retried like every request.
func (c *Client) plainClient(op string) *http.Client {
	return &http.Client{
		Transport:     &transport{c: c, op: op},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// discover returns the portal's metadata, read once (OpenID Connect
// discovery, through go-oidc, which holds the issuer it names to the URL
// it was asked at: a portal cannot pass for another).
func (c *Client) discover(ctx context.Context) (*api.Metadata, *oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.meta != nil {
		return c.meta, c.provider, nil
	}
	pctx := oidc.ClientContext(ctx, c.plainClient(api.OpMetadata))
	p, err := oidc.NewProvider(pctx, c.base.String())
	if err != nil {
		return nil, nil, fmt.Errorf("portal %s: %w", api.OpMetadata, unwrapURL(err))
	}
	var m api.Metadata
	if err := p.Claims(&m); err != nil {
		return nil, nil, fmt.Errorf("portal metadata: %w", err)
	}
	if m.AuthorizationChallengeEndpoint == "" || m.TokenEndpoint == "" || m.JWKSURI == "" {
		return nil, nil, fmt.Errorf("portal metadata: the portal at %s names no authorization challenge, token or JWKS endpoint", c.base)
	}
	c.meta, c.provider = &m, p
	return c.meta, c.provider, nil
}
