package wire

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client drives sessions through the API: what `tether run --server` uses,
// and a model for other clients. An answer is sent with an idempotency
// key of its own and sent again, under the same key, when the server
// cannot be reached or answers 5xx, so that a lost response never makes a
// second step.
type Client struct {
	base *url.URL
	hc   *http.Client
	// Tries bounds how often one request is sent; zero means 5.
	Tries int
	// Backoff is the wait before the second try, doubled after each; zero
	// means 200ms.
	Backoff time.Duration
	// Locale, when set, is the locale (BCP 47) the client shows sessions
	// in: sent as every request's Accept-Language, and as a new session's
	// locale.
	Locale string
}

// maxBackoff bounds the wait between two tries.
const maxBackoff = 5 * time.Second

// NewClient returns a client of the server at base (http://host:port);
// hc nil means a client with a 2-minute timeout.
func NewClient(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST[:PORT] or https://...", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{base: u, hc: hc}, nil
}

// Ref names a session and holds its secret.
type Ref struct {
	ID, Secret string
}

// Create starts a session of flow for device under the regional policy
// of country, an ISO 3166-1 alpha-2 code ("": the flow's defaults; device
// "": the server makes one up), presenting deviceKey, the key the
// session that created the device was given ("" for a new device). The
// session of a new device carries its key (Session.DeviceKey): keep it.
func (c *Client) Create(ctx context.Context, flow, country, device, deviceKey string) (*Session, Ref, error) {
	body := map[string]string{"flow": flow, "country": country, "device": device}
	if c.Locale != "" {
		body["locale"] = c.Locale
	}
	var h http.Header
	if deviceKey != "" {
		h = http.Header{"Tether-Device-Key": {deviceKey}}
	}
	s, err := c.do(ctx, http.MethodPost, "/v1/sessions", Ref{}, body, h, false)
	if err != nil {
		return nil, Ref{}, err
	}
	return s, Ref{ID: s.ID, Secret: s.Secret}, nil
}

// Get returns where the session stands.
func (c *Client) Get(ctx context.Context, r Ref) (*Session, error) {
	return c.do(ctx, http.MethodGet, "/v1/sessions/"+url.PathEscape(r.ID), r, nil, nil, true)
}

// Answer answers the prompt of the session at version with choice and
// fields. A refusal is a *Problem (its Session shows where the session
// stands: the same prompt, with the refusal among its messages, for an
// invalid answer).
func (c *Client) Answer(ctx context.Context, r Ref, version int, choice string, fields map[string]any) (*Session, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	h := http.Header{"If-Match": {`"` + strconv.Itoa(version) + `"`}, "Idempotency-Key": {hex.EncodeToString(key)}}
	body := map[string]any{"choice": choice, "fields": fields}
	return c.do(ctx, http.MethodPost, "/v1/sessions/"+url.PathEscape(r.ID)+"/answers", r, body, h, true)
}

// Cancel cancels the session.
func (c *Client) Cancel(ctx context.Context, r Ref) (*Session, error) {
	return c.do(ctx, http.MethodDelete, "/v1/sessions/"+url.PathEscape(r.ID), r, nil, nil, true)
}

// do sends a request, again on a transport failure, a 5xx or a 429 when
// retry is set (every request but a creation can be sent again safely), and
// decodes the session or the Problem.
func (c *Client) do(ctx context.Context, method, path string, r Ref, body any, h http.Header, retry bool) (*Session, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	tries, wait := max(c.Tries, 1), c.Backoff
	if c.Tries == 0 {
		tries = 5
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	if !retry {
		tries = 1
	}
	var last error
	for n := range tries {
		if n > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			wait = min(2*wait, maxBackoff)
		}
		s, err, again := c.once(ctx, method, path, r, data, h)
		if !again {
			return s, err
		}
		last = err
	}
	return nil, last
}

// once sends one request; again reports a failure worth another try.
func (c *Client) once(ctx context.Context, method, path string, r Ref, data []byte, h http.Header) (s *Session, err error, again bool) {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, err, false
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Secret != "" {
		req.Header.Set("Authorization", "Bearer "+r.Secret)
	}
	if c.Locale != "" {
		req.Header.Set("Accept-Language", c.Locale)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, redactErr(err, r.Secret)), ctx.Err() == nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err), ctx.Err() == nil
	}
	if resp.StatusCode >= 300 {
		p := &Problem{Status: resp.StatusCode}
		if json.Unmarshal(raw, p) != nil || p.Code == "" {
			p = NewProblem(resp.StatusCode, CodeInternal, strings.TrimSpace(string(raw)))
		}
		return nil, p, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	}
	var out Session
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s %s: the response is not a session: %w", method, path, err), false
	}
	return &out, nil, false
}

// redactErr keeps the secret out of a transport error's text.
func redactErr(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
}
