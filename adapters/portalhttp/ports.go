package portalhttp

import (
	"context"
	"crypto"
	"fmt"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

const cryptoSHA256 = crypto.SHA256

// PasswordSignIn starts a sign-in at the authorization challenge
// endpoint with an email address and password, and a CAPTCHA answer
// when one is given.
func (d *Device) PasswordSignIn(ctx context.Context, email, password string, captcha actions.CaptchaAnswer) (actions.SignIn, error) {
	params := url.Values{api.ParamResponseType: {"code"}, api.ParamScope: {api.Scope},
		api.ParamUsername: {email}, api.ParamPassword: {password}}
	if captcha != (actions.CaptchaAnswer{}) {
		params.Set(api.ParamCaptchaID, captcha.ID)
		params.Set(api.ParamCaptcha, captcha.Answer)
	}
	a, _, err := d.challenge(ctx, api.OpSignInPassword, params, true, password)
	if err != nil {
		return actions.SignIn{}, err
	}
	return redacted(a.SignIn())(password)
}

// NewChallenge asks the authorization challenge endpoint for a CAPTCHA
// challenge.
func (d *Device) NewChallenge(ctx context.Context) (actions.Challenge, error) {
	a, _, err := d.challenge(ctx, api.OpNewCaptcha, url.Values{api.ParamNewCaptcha: {"true"}}, false)
	if err != nil {
		return actions.Challenge{}, err
	}
	return a.Challenge()
}

// SendCode has the portal text a new code for the sign-in session.
func (d *Device) SendCode(ctx context.Context, ticket string) (actions.CodeDelivery, error) {
	a, _, err := d.challenge(ctx, api.OpSendCode, url.Values{api.ParamAuthSession: {ticket}, api.ParamOTPSend: {"sms"}}, false, ticket)
	if err != nil {
		return actions.CodeDelivery{}, err
	}
	return redacted(a.CodeDelivery())(ticket)
}

// CheckCode answers the code texted for the sign-in session.
func (d *Device) CheckCode(ctx context.Context, ticket, code string) (actions.CodeCheck, error) {
	a, _, err := d.challenge(ctx, api.OpCheckCode, url.Values{api.ParamAuthSession: {ticket}, api.ParamOTP: {code}}, true, ticket, code)
	if err != nil {
		return actions.CodeCheck{}, err
	}
	return redacted(a.CodeCheck())(ticket, code)
}

// RecordConsent records an acceptance in the sign-in session.
func (d *Device) RecordConsent(ctx context.Context, ticket string, cs actions.Consent) (actions.ConsentRecord, error) {
	params := url.Values{api.ParamAuthSession: {ticket}, api.ParamConsentAccount: {cs.Account},
		api.ParamConsentDocument: {cs.Document}, api.ParamConsentVersion: {cs.Version}, api.ParamConsentRegion: {cs.Region},
		api.ParamConsentAcceptedAt: {cs.AcceptedAt.UTC().Format("2006-01-02T15:04:05Z07:00")}}
	a, _, err := d.challenge(ctx, api.OpRecordConsent, params, true, ticket)
	if err != nil {
		return actions.ConsentRecord{}, err
	}
	return redacted(a.Consent())(ticket)
}

// SSOSignIn signs in by Native SSO: the ID token and device secret are
// exchanged at the token endpoint (RFC 8693), which opens an authorised
// sign-in session for the device to finish. A session the portal refuses
// is SignInDenied.
func (d *Device) SSOSignIn(ctx context.Context, idToken, deviceSecret string) (actions.SignIn, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return actions.SignIn{}, err
	}
	params := url.Values{api.ParamGrantType: {api.GrantTokenExchange}, api.ParamClientID: {api.ClientID}, api.ParamScope: {api.Scope},
		api.ParamSubjectToken: {idToken}, api.ParamSubjectTokenType: {api.TokenTypeIDToken},
		api.ParamActorToken: {deviceSecret}, api.ParamActorTokenType: {api.TokenTypeDeviceSecret}}
	a, err := d.form(ctx, api.OpTokenExchange, meta.TokenEndpoint, params)
	if err != nil {
		return actions.SignIn{}, actions.Redact(err, idToken, deviceSecret)
	}
	if a.Body.Error == api.ErrInvalidGrant {
		return actions.SignIn{Status: actions.SignInDenied}, nil
	}
	return redacted(a.SignIn())(idToken, deviceSecret)
}

// Connect asks the authorization challenge endpoint for the code of an
// authorised sign-in session, with a code challenge of its own, and
// redeems it at the token endpoint (x/oauth2, PKCE, DPoP) for the
// device's tokens; the ID token is verified against the portal's keys
// (go-oidc). A session the portal will not give a code for is a
// Connection that is not Connected, with the reason.
func (d *Device) Connect(ctx context.Context, ticket string) (actions.Connection, error) {
	a, verifier, err := d.challenge(ctx, api.OpAuthorize, url.Values{api.ParamAuthSession: {ticket}}, true, ticket)
	if err != nil {
		return actions.Connection{}, err
	}
	g, err := a.Grant()
	if err != nil {
		return actions.Connection{}, actions.Redact(err, ticket)
	}
	if g.Code == "" {
		return actions.Connection{Reason: g.Reason, ReasonMessage: g.ReasonMessage}, nil
	}
	tokens, err := d.exchange(ctx, g.Code, verifier)
	if err != nil {
		return actions.Connection{}, actions.Redact(err, ticket, g.Code)
	}
	return actions.Connection{Connected: true, Account: g.Account, Country: g.Country, Tokens: tokens}, nil
}

// oauthConfig is the x/oauth2 configuration of tether as the portal's
// client.
func (d *Device) oauthConfig(meta *api.Metadata) *oauth2.Config {
	return &oauth2.Config{ClientID: api.ClientID, Scopes: []string{api.ScopeOpenID, api.ScopeDeviceSSO, api.ScopeLicences},
		Endpoint: oauth2.Endpoint{TokenURL: meta.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}}
}

// exchange redeems code with verifier for tokens.
func (d *Device) exchange(ctx context.Context, code, verifier string) (actions.Tokens, error) {
	meta, provider, err := d.c.discover(ctx)
	if err != nil {
		return actions.Tokens{}, err
	}
	tok, err := d.oauthConfig(meta).Exchange(context.WithValue(ctx, oauth2.HTTPClient, d.httpClient(api.OpTokenCode)), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return actions.Tokens{}, tokenError(api.OpTokenCode, err)
	}
	return d.tokens(ctx, meta, provider, tok)
}

// tokens returns the tokens tok holds, its ID token verified.
func (d *Device) tokens(ctx context.Context, meta *api.Metadata, provider *oidc.Provider, tok *oauth2.Token) (actions.Tokens, error) {
	out := actions.Tokens{Issuer: meta.Issuer, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	// x/oauth2 dates the expiry by the system's clock; the device's may be
	// a script's.
	if in, ok := tok.Extra("expires_in").(float64); ok && in > 0 {
		out.Expires = d.clock().Add(time.Duration(in) * time.Second)
	}
	if tok.Type() != api.TokenTypeDPoP {
		return actions.Tokens{}, fmt.Errorf("portal token: the access token is not bound to this device's key (token_type %q)", tok.Type())
	}
	out.IDToken, _ = tok.Extra("id_token").(string)
	out.DeviceSecret, _ = tok.Extra("device_secret").(string)
	if out.IDToken != "" {
		v := provider.VerifierContext(oidc.ClientContext(ctx, d.c.plainClient(api.OpJWKS)),
			&oidc.Config{ClientID: api.ClientID, SupportedSigningAlgs: []string{api.SigningAlg}, Now: d.clock})
		if _, err := v.Verify(oidc.ClientContext(ctx, d.c.plainClient(api.OpJWKS)), out.IDToken); err != nil {
			return actions.Tokens{}, fmt.Errorf("portal token: the ID token does not verify: %w", err)
		}
	}
	jwks, err := d.c.jwks(ctx, meta)
	if err != nil {
		return actions.Tokens{}, err
	}
	out.JWKS = jwks
	return out, nil
}

// Licences lists the licences of the access token's account.
func (d *Device) Licences(ctx context.Context, token string) ([]actions.Licence, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return nil, err
	}
	var out api.Licences
	if err := d.jsonCall(ctx, api.OpListLicences, "GET", meta.ResourceLicences, token, nil, &out); err != nil {
		return nil, actions.Redact(err, token)
	}
	return out.Port(), nil
}

// Activate activates a licence, or the Free plan for the empty id, on the
// access token's device.
func (d *Device) Activate(ctx context.Context, token, licence string) (actions.Activation, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return actions.Activation{}, err
	}
	var out api.Activation
	if err := d.jsonCall(ctx, api.OpActivate, "POST", meta.ResourceActivation, token, api.ActivateRequest{Licence: licence}, &out); err != nil {
		return actions.Activation{}, actions.Redact(err, token)
	}
	return redacted(out.Port())(token)
}

// CreateAccount creates an account (the public accounts API).
func (d *Device) CreateAccount(ctx context.Context, a actions.NewAccount) (actions.AccountCreation, error) {
	meta, _, err := d.c.discover(ctx)
	if err != nil {
		return actions.AccountCreation{}, err
	}
	var out api.AccountCreation
	req := api.CreateAccountRequest{Email: a.Email, Password: a.Password, Country: a.Country}
	if err := d.jsonCall(ctx, api.OpCreateAccount, "POST", meta.ResourceAccounts, "", req, &out); err != nil {
		return actions.AccountCreation{}, actions.Redact(err, a.Password)
	}
	return redacted(out.Port())(a.Password)
}

// redacted passes on the conversion of an answer, its error cleaned of
// the call's secrets.
func redacted[T any](v T, err error) func(secrets ...string) (T, error) {
	return func(secrets ...string) (T, error) { return v, actions.Redact(err, secrets...) }
}
