package portalhttp

import (
	"bytes"
	"context"
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

// errUnavailable is what a request that could not be made wraps.
var errUnavailable = actions.ErrUnavailable

// transport is the client's http.RoundTripper: every request made
// through it, by this package or by x/oauth2 and go-oidc, gets its
// Idempotency-Key (a POST), the client's clock, a fresh DPoP proof per
// attempt when dev is set, and the package's retries.
type transport struct {
	c   *Client
	op  string  // the operation, for keys, logs and errors
	dev *Device // nil: no DPoP proof
}

// maxAnswer is the largest answer the client reads.
const maxAnswer = 1 << 20

// RoundTrip makes req, retrying as the package doc says. The answer it
// returns (any status but a retried one) has its body read in full.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	key := ""
	if k, ok := ctx.Value(keyOverride{}).(string); ok {
		key = k
	} else if req.Method == http.MethodPost {
		key = t.c.key(ctx)
	}
	c := t.c
	b := &backoff.ExponentialBackOff{InitialInterval: c.opts.Backoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: c.opts.MaxBackoff}
	attempt := 0
	resp, err := backoff.Retry(ctx, func() (*http.Response, error) {
		attempt++
		resp, err := t.attempt(ctx, req, key, body)
		var retry *retryable
		if errors.As(err, &retry) && attempt < c.opts.Attempts {
			c.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "portal request failed; trying again",
				slog.String("op", t.op), slog.Int("attempt", attempt), slog.String("why", retry.why))
		}
		return resp, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(c.opts.Attempts)), backoff.WithMaxElapsedTime(0))
	if err == nil {
		if key != "" && resp.StatusCode < 500 {
			// The step's effects: a session host commits the call, with
			// its key, with the step that made it.
			var data []byte
			if resp.Header.Get(api.HeaderReplayed) == "true" {
				data = []byte(`{"replayed":true}`)
			}
			host.RecordEffect(ctx, host.Effect{Key: key, Kind: "portal." + t.op, Data: data})
		}
		return resp, nil
	}
	var retry *retryable
	switch {
	case errors.As(err, &retry):
		err = fmt.Errorf("portal %s: %s, %d attempts: %w", t.op, retry.why, attempt, errUnavailable)
	case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("portal %s: no answer in time (%w): %w", t.op, errUnavailable, err)
	case ctx.Err() != nil:
		err = fmt.Errorf("portal %s: %w", t.op, err)
	}
	return nil, err
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

// attempt makes one attempt of req: the answer when there is one to give,
// a *retryable (possibly inside backoff's RetryAfter) when another
// attempt may do better, any other error (backoff.Permanent) when not.
func (t *transport) attempt(ctx context.Context, orig *http.Request, key string, body []byte) (*http.Response, error) {
	c := t.c
	actx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	req := orig.Clone(actx)
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	// net/http would send a request with an Idempotency-Key again by
	// itself when its connection breaks, with the same DPoP proof, which
	// the portal refuses as replayed: without GetBody it does not, and
	// the retry here makes a new proof.
	req.GetBody = nil
	if key != "" {
		req.Header.Set(api.HeaderIdempotencyKey, key)
	}
	if c.sent {
		req.Header.Set(api.HeaderClientClock, c.opts.Clock().UTC().Format(time.RFC3339Nano))
	}
	if t.dev != nil {
		token := ""
		if scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, api.TokenTypeDPoP) {
			token = tok
		}
		htu := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
		proof, err := t.dev.proof(ctx, req.Method, htu, token)
		if err != nil {
			return nil, backoff.Permanent(err)
		}
		req.Header.Set(api.HeaderDPoP, proof)
	}
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, c.transportFailure(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, c.transportFailure(ctx, actx, err)
	}
	if len(data) > maxAnswer {
		return nil, backoff.Permanent(fmt.Errorf("portal %s: the answer is over %d bytes", t.op, maxAnswer))
	}
	if s := resp.StatusCode; s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout {
		why := fmt.Sprintf("the portal answered %d", s)
		if code := errorCode(resp, data); code != "" {
			why += " " + code
		}
		wait, ok := retryAfter(resp)
		switch {
		case !ok:
			return nil, &retryable{why}
		case wait > c.opts.MaxRetryAfter:
			// Unavailable now; the flow's retry or the person decides
			// when to try again.
			return nil, backoff.Permanent(&retryable{fmt.Sprintf("%s and asked to wait %s", why, wait)})
		}
		return nil, errors.Join(&retryable{why}, backoff.RetryAfter(int(wait.Seconds())))
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

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
		return backoff.Permanent(fmt.Errorf("the portal's certificate is not trusted (--portal-ca for a test CA): %w", errUnavailable))
	}
	return &retryable{why}
}

// errorCode returns the code of an answer's problem or OAuth error, or
// "".
func errorCode(resp *http.Response, data []byte) string {
	var body struct {
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &body) != nil {
		return ""
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), api.MediaProblem) {
		return body.Code
	}
	return body.Error
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

// InProcess returns a transport that hands every request to h in this
// process, as a server would: the demo portal's HTTP server, reached
// without a socket, so that it answers as it does over the network.
func InProcess(h http.Handler) http.RoundTripper { return inProcess{h} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &recorder{header: http.Header{}, status: http.StatusOK}
	t.h.ServeHTTP(w, r)
	return &http.Response{
		Status: strconv.Itoa(w.status) + " " + http.StatusText(w.status), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

// recorder is the ResponseWriter of a request served in process.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
