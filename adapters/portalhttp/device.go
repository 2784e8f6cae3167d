package portalhttp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// Device is the portal as one device reaches it: the actions' portal
// ports, each request proving the device's key (DPoP), which its store
// keeps. It is safe for concurrent use.
type Device struct {
	c     *Client
	store actions.CredentialStore
}

// ForDevice returns the portal as the device whose credential store is
// store reaches it. The device's key is made, and saved in the store, at
// its first request.
func (c *Client) ForDevice(store actions.CredentialStore) *Device {
	return &Device{c: c, store: store}
}

// Client returns the client d was made from.
func (d *Device) Client() *Client { return d.c }

// key returns the device's private key, made and saved at the first call.
func (d *Device) key(ctx context.Context) (jose.JSONWebKey, error) {
	raw, err := d.store.DeviceKey(ctx, func() (string, error) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(d.c.opts.Rand, seed); err != nil {
			return "", err
		}
		data, err := json.Marshal(jose.JSONWebKey{Key: ed25519.NewKeyFromSeed(seed), Algorithm: string(jose.EdDSA)})
		return string(data), err
	})
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("the device key: %w", err)
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON([]byte(raw)); err != nil {
		return jose.JSONWebKey{}, errors.New("the device key in the credential store is not a JWK")
	}
	if _, ok := k.Key.(ed25519.PrivateKey); !ok {
		return jose.JSONWebKey{}, errors.New("the device key in the credential store is not a private Ed25519 key")
	}
	return k, nil
}

// Thumbprint returns the thumbprint (RFC 7638) of the device's key: the
// jkt its tokens are bound to.
func (d *Device) Thumbprint(ctx context.Context) (string, error) {
	k, err := d.key(ctx)
	if err != nil {
		return "", err
	}
	return thumbprint(k)
}

func thumbprint(k jose.JSONWebKey) (string, error) {
	pub := k.Public()
	tp, err := pub.Thumbprint(cryptoSHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// proofClaims are a DPoP proof's (RFC 9449 section 4.2).
type proofClaims struct {
	JTI string           `json:"jti"`
	HTM string           `json:"htm"`
	HTU string           `json:"htu"`
	IAT *jwt.NumericDate `json:"iat"`
	ATH string           `json:"ath,omitempty"`
}

// proof returns a new DPoP proof for method and htu, with the access
// token's hash when token is set, signed with the device's key (its
// public part in the header).
func (d *Device) proof(ctx context.Context, method, htu, token string) (string, error) {
	k, err := d.key(ctx)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k.Key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		return "", err
	}
	id := make([]byte, 16)
	if _, err := io.ReadFull(d.c.opts.Rand, id); err != nil {
		return "", err
	}
	c := proofClaims{JTI: base64.RawURLEncoding.EncodeToString(id), HTM: method, HTU: htu, IAT: jwt.NewNumericDate(d.c.opts.Clock())}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		c.ATH = base64.RawURLEncoding.EncodeToString(h[:])
	}
	return jwt.Signed(s).Claims(c).Serialize()
}

// httpClient is an HTTP client making op's requests with the device's
// proofs.
func (d *Device) httpClient(op string) *http.Client {
	return &http.Client{
		Transport:     &transport{c: d.c, op: op, dev: d},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// verifier returns the PKCE code verifier of the challenge request made
// under the idempotency key key: derived from the device's key, so that
// a step run again after a crash sends the same challenge and can redeem
// the code it gets.
func (d *Device) verifier(ctx context.Context, key string) (string, error) {
	k, err := d.key(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k.Key.(ed25519.PrivateKey).Seed())
	m.Write([]byte("tether pkce verifier: " + key))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// challenge makes a request of the authorization challenge endpoint, op
// a step of a sign-in, and returns its answer. params gain client_id,
// and, with pkce, a code challenge (S256) derived for the call; secrets
// are what no error may hold.
func (d *Device) challenge(ctx context.Context, op string, params url.Values, pkce bool, secrets ...string) (api.Answer, string, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return api.Answer{}, "", err
	}
	params.Set(api.ParamClientID, api.ClientID)
	verifier := ""
	if pkce {
		// The key the transport will send: the engine's next, or this
		// random one.
		key := d.c.key(ctx)
		ctx = withKey(ctx, key)
		if verifier, err = d.verifier(ctx, key); err != nil {
			return api.Answer{}, "", err
		}
		params.Set(api.ParamCodeChallenge, oauth2.S256ChallengeFromVerifier(verifier))
		params.Set(api.ParamCodeChallengeMethod, api.CodeChallengeS256)
	}
	a, err := d.form(ctx, op, meta.AuthorizationChallengeEndpoint, params)
	return a, verifier, actions.Redact(err, secrets...)
}

// form posts params to endpoint and reads an OAuth answer: a JSON body
// with a 200, 400 or 403 status. Any other answer is an error.
func (d *Device) form(ctx context.Context, op, endpoint string, params url.Values) (api.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(params.Encode()))
	if err != nil {
		return api.Answer{}, err
	}
	req.Header.Set("Content-Type", api.MediaForm)
	req.Header.Set("Accept", api.MediaJSON)
	resp, err := d.httpClient(op).Do(req)
	if err != nil {
		return api.Answer{}, unwrapURL(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body api.ChallengeResponse
	jsonErr := json.Unmarshal(data, &body)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusBadRequest, http.StatusForbidden:
		if jsonErr != nil || resp.StatusCode != http.StatusOK && body.Error == "" {
			return api.Answer{}, fmt.Errorf("portal %s: the answer is not the protocol's", op)
		}
		return api.Answer{Status: resp.StatusCode, Body: body}, nil
	}
	return api.Answer{}, answerError(op, resp, data)
}

// withKey has the transport send key as the next call's idempotency key.
func withKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyOverride{}, key)
}

type keyOverride struct{}

// unwrapURL drops net/http's *url.Error around a transport's error: its
// message names the URL, which says nothing a person needs.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// answerError is the error for an answer that is not one of the
// operation's: an OAuth error, a problem, or neither.
func answerError(op string, resp *http.Response, data []byte) error {
	var oe api.OAuthError
	if json.Unmarshal(data, &oe) == nil && oe.Error != "" {
		ref := &api.Refusal{Code: oe.Error, Description: oe.ErrorDescription}
		if oe.Error == api.ErrInvalidToken {
			// The access token that authorised the request is not taken.
			return fmt.Errorf("portal %s: %d %w: %w", op, resp.StatusCode, ref, actions.ErrTokenRejected)
		}
		return fmt.Errorf("portal %s: %d %w", op, resp.StatusCode, ref)
	}
	var p api.Problem
	if strings.HasPrefix(resp.Header.Get("Content-Type"), api.MediaProblem) && json.Unmarshal(data, &p) == nil && p.Code != "" {
		perr := &ProblemError{Op: op, Problem: p}
		if p.Code == api.CodeTokenRejected {
			return fmt.Errorf("%w: %w", perr, actions.ErrTokenRejected)
		}
		return perr
	}
	return fmt.Errorf("portal %s: unexpected answer %d", op, resp.StatusCode)
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

// jsonCall makes a JSON request of a resource endpoint and reads its 200
// answer into out; token, when set, authorises it (DPoP, or Bearer for a
// token bound to no key).
func (d *Device) jsonCall(ctx context.Context, op, method, endpoint, token string, in, out any) error {
	var rd io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", api.MediaJSON+", "+api.MediaProblem)
	if in != nil {
		req.Header.Set("Content-Type", api.MediaJSON)
	}
	if token != "" {
		req.Header.Set("Authorization", api.TokenTypeDPoP+" "+token)
	}
	resp, err := d.httpClient(op).Do(req)
	if err != nil {
		return unwrapURL(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return answerError(op, resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("portal %s: the answer is not the protocol's: %v", op, err)
	}
	return nil
}

// clock is the time the client judges tokens at.
func (d *Device) clock() time.Time { return d.c.opts.Clock() }
