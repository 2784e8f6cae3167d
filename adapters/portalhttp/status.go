package portalhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// jwks returns the portal's JWKS, as it serves it now.
func (c *Client) jwks(ctx context.Context, meta *api.Metadata) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta.JWKSURI, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.plainClient(api.OpJWKS).Do(req)
	if err != nil {
		return "", unwrapURL(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var set jose.JSONWebKeySet
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &set) != nil || len(set.Keys) == 0 {
		return "", fmt.Errorf("portal jwks: the portal's keys could not be read (%d)", resp.StatusCode)
	}
	return string(data), nil
}

// tokenError is the error of a token request x/oauth2 made: the
// portal's refusal as an *api.Refusal, a transport failure as it was.
func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return fmt.Errorf("portal %s: %w", op, &api.Refusal{Code: re.ErrorCode, Description: re.ErrorDescription})
		}
		return fmt.Errorf("portal %s: unexpected answer %d", op, re.Response.StatusCode)
	}
	return unwrapURL(err)
}

// Check is what the device can tell of a saved connection offline, from
// the store alone.
type Check struct {
	// Valid: the access token is a JWT the portal that issued it signed
	// (its JWKS, saved with it), for its resource APIs, bound to this
	// device's key.
	Valid bool
	// Why: not Valid, why, in words that hold no secret.
	Why string
	// Expires is when the access token expires; an expired one is
	// renewed with the refresh token when the device next reaches the
	// portal.
	Expires time.Time
	Account string
}

// accessClaims are what the device reads of its access token.
type accessClaims struct {
	ClientID string   `json:"client_id"`
	Cnf      *api.Cnf `json:"cnf"`
}

// CheckOffline checks cr's access token without the network: its
// signature against jwks, the portal's keys (those saved with it, or the
// demo portal's own), with go-oidc; its issuer and audience, its type
// (at+jwt), and that the device's key, which it is bound to, is in the
// store. An expired token is Valid, with its expiry: the caller says so.
// A forged or altered token is not Valid.
func (d *Device) CheckOffline(ctx context.Context, cr actions.Credential, jwks string) (Check, error) {
	if cr.AccessToken == "" || cr.Issuer == "" {
		return Check{Why: "the store holds no access token"}, nil
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwks), &set); err != nil || len(set.Keys) == 0 {
		return Check{Why: "the store holds no keys of the portal to verify the token with"}, nil
	}
	keys := &oidc.StaticKeySet{}
	for _, k := range set.Keys {
		keys.PublicKeys = append(keys.PublicKeys, k.Key)
	}
	v := oidc.NewVerifier(cr.Issuer, keys, &oidc.Config{ClientID: api.Audience(cr.Issuer),
		SupportedSigningAlgs: []string{api.SigningAlg}, SkipExpiryCheck: true, Now: d.clock})
	tok, err := v.Verify(ctx, cr.AccessToken)
	if err != nil {
		return Check{Why: "the saved token does not verify against the portal's keys (forged, altered, or not the portal's)"}, nil
	}
	parsed, err := jwt.ParseSigned(cr.AccessToken, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || parsed.Headers[0].ExtraHeaders[jose.HeaderType] != "at+jwt" {
		return Check{Why: "the saved token is not an access token"}, nil
	}
	var claims accessClaims
	if err := tok.Claims(&claims); err != nil || claims.Cnf == nil || claims.ClientID != api.ClientID {
		return Check{Why: "the saved token is not bound to a device key"}, nil
	}
	jkt, err := d.Thumbprint(ctx)
	if err != nil {
		return Check{}, err
	}
	if claims.Cnf.JKT != jkt {
		return Check{Why: "the saved token is bound to another key than this device's"}, nil
	}
	return Check{Valid: true, Expires: tok.Expiry, Account: tok.Subject}, nil
}

// Renew returns cr with new tokens when its access token has expired (or
// will within a minute): the refresh token is redeemed (x/oauth2, DPoP)
// and the new one, which replaces it, must be saved. Otherwise cr as it
// is. A refresh token the portal refuses gives an error wrapping
// actions.ErrTokenRejected.
func (d *Device) Renew(ctx context.Context, cr actions.Credential) (actions.Credential, bool, error) {
	if d.clock().Add(time.Minute).Before(cr.Expires) {
		return cr, false, nil
	}
	meta, provider, err := d.c.discover(ctx)
	if err != nil {
		return cr, false, err
	}
	src := d.oauthConfig(meta).TokenSource(context.WithValue(ctx, oauth2.HTTPClient, d.httpClient(api.OpTokenRefresh)),
		&oauth2.Token{RefreshToken: cr.RefreshToken})
	tok, err := src.Token()
	if err != nil {
		err = tokenError(api.OpTokenRefresh, err)
		var ref *api.Refusal
		if errors.As(err, &ref) && ref.Code == api.ErrInvalidGrant {
			err = fmt.Errorf("%w: %w", err, actions.ErrTokenRejected)
		}
		return cr, false, actions.Redact(err, cr.Secrets()...)
	}
	t, err := d.tokens(ctx, meta, provider, tok)
	if err != nil {
		return cr, false, actions.Redact(err, cr.Secrets()...)
	}
	if t.DeviceSecret == "" {
		t.DeviceSecret = cr.DeviceSecret
	}
	if t.IDToken == "" {
		t.IDToken = cr.IDToken
	}
	cr.Tokens = t
	return cr, true, nil
}

// Introspect asks the portal whether it takes token now (RFC 7662),
// authorised by the device's access token access (Authorization: DPoP,
// proving the device's key): the portal describes the device's own
// tokens only. An access token the portal does not take gives an error
// wrapping actions.ErrTokenRejected.
func (d *Device) Introspect(ctx context.Context, access, token string) (api.Introspection, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return api.Introspection{}, err
	}
	params := url.Values{api.ParamToken: {token}, api.ParamClientID: {api.ClientID}}
	var out api.Introspection
	if err := d.formJSON(ctx, api.OpIntrospect, meta.IntrospectionEndpoint, access, params, &out); err != nil {
		return api.Introspection{}, actions.Redact(err, token, access)
	}
	return out, nil
}

// Revoke revokes the grant of token at the portal (RFC 7009): none of
// its tokens is taken any more.
func (d *Device) Revoke(ctx context.Context, token string) error {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return err
	}
	params := url.Values{api.ParamToken: {token}, api.ParamClientID: {api.ClientID}}
	var out struct{}
	return actions.Redact(d.formJSON(ctx, api.OpRevoke, meta.RevocationEndpoint, "", params, &out), token)
}

// formJSON posts params to endpoint and reads its 200 answer into out;
// access, when given, authorises the request (Authorization: DPoP).
func (d *Device) formJSON(ctx context.Context, op, endpoint, access string, params url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(params.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", api.MediaForm)
	if access != "" {
		req.Header.Set("Authorization", api.TokenTypeDPoP+" "+access)
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
		return fmt.Errorf("portal %s: the answer is not the protocol's", op)
	}
	return nil
}
