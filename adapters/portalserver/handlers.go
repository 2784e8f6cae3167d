package portalserver

import (
	"context"
	"net/http"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// handlers returns the handler of every endpoint.
func (s *Server) handlers() map[string]handler {
	p := s.portal
	metadata := handler{run: func(context.Context, *call) (answer, error) {
		return answer{body: api.MetadataFor(p.Issuer())}, nil
	}}
	return map[string]handler{
		api.EndpointMetadata: metadata,
		api.EndpointOpenID:   metadata,
		api.EndpointJWKS: {run: func(context.Context, *call) (answer, error) {
			return answer{body: p.JWKS(), ctype: api.MediaJWKS}, nil
		}},
		api.EndpointChallenge:     {classify: classifyChallenge, run: s.challenge},
		api.EndpointToken:         {classify: classifyToken, run: s.token},
		api.EndpointRevocation:    {run: s.revoke},
		api.EndpointIntrospection: {run: s.introspect},
		api.EndpointLicences: {run: func(ctx context.Context, c *call) (answer, error) {
			ls, err := p.Licences(ctx, c.token)
			return answer{body: api.FromLicences(ls)}, err
		}},
		api.EndpointActivation: {run: func(ctx context.Context, c *call) (answer, error) {
			var req api.ActivateRequest
			if err := decode(c, &req); err != nil {
				return answer{}, err
			}
			a, err := p.Activate(ctx, c.token, req.Licence)
			return answer{body: api.FromActivation(a)}, err
		}},
		api.EndpointAccounts: {run: func(ctx context.Context, c *call) (answer, error) {
			var req api.CreateAccountRequest
			if err := decode(c, &req); err != nil {
				return answer{}, err
			}
			cc, err := accountCountry(req)
			if err != nil {
				return answer{}, err
			}
			a, err := p.CreateAccount(ctx, actions.NewAccount{Email: req.Email, Password: req.Password, Country: cc})
			return answer{body: api.FromAccountCreation(a)}, err
		}},
	}
}

// accountCountry is the country an account creation names: country, or
// region, its name before this release, taken until the next
// (docs/portal-protocol.md). Both, differing, is a bad request.
func accountCountry(req api.CreateAccountRequest) (string, error) {
	switch {
	case req.OldRegion == "" && req.Country == "":
		return "", &requestError{`the body lacks "country"`}
	case req.OldRegion == "":
		return req.Country, nil
	case req.Country != "" && req.Country != req.OldRegion:
		return "", &requestError{"region is country's old name: give country only"}
	}
	return req.OldRegion, nil
}

// classifyChallenge tells which step of a sign-in an authorization
// challenge request takes.
func classifyChallenge(c *call) (string, *api.Refusal) {
	f := c.form
	if rt := f.Get(api.ParamResponseType); rt != "" && rt != "code" {
		return "", api.Refuse(api.ErrUnsupportedResponseType, "response_type must be code")
	}
	if f.Get(api.ParamCodeChallenge) != "" && f.Get(api.ParamCodeChallengeMethod) != api.CodeChallengeS256 {
		return "", api.Refuse(api.ErrInvalidRequest, "code_challenge_method must be S256")
	}
	session := f.Get(api.ParamAuthSession)
	switch {
	case f.Get(api.ParamNewCaptcha) == "true":
		return api.OpNewCaptcha, nil
	case session == "":
		if username(f) == "" || f.Get(api.ParamPassword) == "" {
			return "", api.Refuse(api.ErrInvalidRequest, "a sign-in starts with username (or login_hint) and password")
		}
		if f.Get(api.ParamCodeChallenge) == "" {
			return "", api.Refuse(api.ErrInvalidRequest, "a sign-in starts with a PKCE code_challenge (S256)")
		}
		return api.OpSignInPassword, nil
	case f.Has(api.ParamOTPSend):
		if f.Get(api.ParamOTPSend) != "sms" {
			return "", api.Refuse(api.ErrInvalidRequest, "otp_send must be sms")
		}
		return api.OpSendCode, nil
	case f.Has(api.ParamOTP):
		return api.OpCheckCode, nil
	case f.Has(api.ParamConsentDocument):
		return api.OpRecordConsent, nil
	}
	return api.OpAuthorize, nil
}

// username is the account a sign-in names: username, or login_hint.
func username(f map[string][]string) string {
	for _, k := range []string{api.ParamUsername, api.ParamLoginHint} {
		if v := f[k]; len(v) == 1 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// challenge runs a step of a sign-in at the authorization challenge
// endpoint, and asks the portal for the session's authorization code
// when the step leaves it authorised.
func (s *Server) challenge(ctx context.Context, c *call) (answer, error) {
	p, f := s.portal, c.form
	ctx = api.WithAuthRequest(ctx, api.AuthRequest{CodeChallenge: f.Get(api.ParamCodeChallenge), Scope: f.Get(api.ParamScope)})
	session := f.Get(api.ParamAuthSession)
	var a api.Answer
	switch c.op {
	case api.OpNewCaptcha:
		ch, err := p.NewChallenge(ctx)
		if err != nil {
			return answer{}, err
		}
		a = api.FromChallenge(ch)
	case api.OpSignInPassword:
		var captcha actions.CaptchaAnswer
		if f.Get(api.ParamCaptcha) != "" {
			captcha = actions.CaptchaAnswer{ID: f.Get(api.ParamCaptchaID), Answer: f.Get(api.ParamCaptcha)}
		}
		si, err := p.PasswordSignIn(ctx, username(f), f.Get(api.ParamPassword), captcha)
		if err != nil {
			return answer{}, err
		}
		code, err := s.codeIf(ctx, si.Status == actions.SignInOK, si.Ticket)
		if err != nil {
			return answer{}, err
		}
		a = api.FromSignIn(si, code)
	case api.OpSendCode:
		d, err := p.SendCode(ctx, session)
		if err != nil {
			return answer{}, err
		}
		a = api.FromCodeDelivery(d, session)
	case api.OpCheckCode:
		chk, err := p.CheckCode(ctx, session, f.Get(api.ParamOTP))
		if err != nil {
			return answer{}, err
		}
		code, err := s.codeIf(ctx, chk.Status == actions.CheckOK, session)
		if err != nil {
			return answer{}, err
		}
		a = api.FromCodeCheck(chk, actions.SignIn{Ticket: session}, code)
	case api.OpRecordConsent:
		at, err := time.Parse(time.RFC3339, f.Get(api.ParamConsentAcceptedAt))
		if err != nil {
			return answer{}, api.Refuse(api.ErrInvalidRequest, "consent_accepted_at must be an RFC 3339 time")
		}
		rec, err := p.RecordConsent(ctx, session, actions.Consent{Account: f.Get(api.ParamConsentAccount),
			Document: f.Get(api.ParamConsentDocument), Version: f.Get(api.ParamConsentVersion),
			Region: f.Get(api.ParamConsentRegion), AcceptedAt: at})
		if err != nil {
			return answer{}, err
		}
		code, err := s.codeIf(ctx, rec.Recorded, session)
		if err != nil {
			return answer{}, err
		}
		a = api.FromConsent(rec, session, code)
	default:
		g, err := p.Authorize(ctx, session)
		if err != nil {
			return answer{}, err
		}
		a = api.FromGrant(g, session)
	}
	return answer{status: a.Status, body: a.Body}, nil
}

// codeIf asks the portal for the authorization code of session when ok:
// "" when the session needs more (the regional consent). It is a call of
// its own, under a key of its own.
func (s *Server) codeIf(ctx context.Context, ok bool, session string) (string, error) {
	if !ok {
		return "", nil
	}
	if key, keyed := api.IdempotencyKey(ctx); keyed {
		ctx = api.WithIdempotencyKey(ctx, key+"#authorize")
	}
	g, err := s.portal.Authorize(ctx, session)
	return g.Code, err
}

// classifyToken tells which grant a token request asks for.
func classifyToken(c *call) (string, *api.Refusal) {
	switch c.form.Get(api.ParamGrantType) {
	case api.GrantAuthorizationCode:
		return api.OpTokenCode, nil
	case api.GrantRefreshToken:
		return api.OpTokenRefresh, nil
	case api.GrantTokenExchange:
		return api.OpTokenExchange, nil
	case "":
		return "", api.Refuse(api.ErrInvalidRequest, "grant_type is required")
	}
	return "", api.Refuse(api.ErrUnsupportedGrantType, "the portal takes authorization_code, refresh_token and token exchange (Native SSO)")
}

// token answers the token endpoint.
func (s *Server) token(ctx context.Context, c *call) (answer, error) {
	p, f := s.portal, c.form
	var tr api.TokenResponse
	var err error
	switch c.op {
	case api.OpTokenCode:
		tr, err = p.ExchangeCode(ctx, f.Get(api.ParamCode), f.Get(api.ParamCodeVerifier))
	case api.OpTokenRefresh:
		tr, err = p.Refresh(ctx, f.Get(api.ParamRefreshToken))
	default:
		if f.Get(api.ParamSubjectTokenType) != api.TokenTypeIDToken || f.Get(api.ParamActorTokenType) != api.TokenTypeDeviceSecret {
			return answer{}, api.Refuse(api.ErrInvalidRequest, "Native SSO exchanges an id_token (subject_token) with a device secret (actor_token)")
		}
		ctx = api.WithAuthRequest(ctx, api.AuthRequest{Scope: f.Get(api.ParamScope)})
		si, err := p.SSOSignIn(ctx, f.Get(api.ParamSubjectToken), f.Get(api.ParamActorToken))
		if err != nil {
			return answer{}, err
		}
		if si.Status != actions.SignInOK {
			return answer{}, api.Refuse(api.ErrInvalidGrant, "the Native SSO session is unknown, expired or revoked")
		}
		// The device finishes at the authorization challenge endpoint
		// (the draft's section 6.2): consent where required, then the code.
		a := api.FromSignIn(si, "")
		return answer{status: a.Status, body: a.Body}, nil
	}
	if err != nil {
		return answer{}, err
	}
	return answer{body: tr}, nil
}

// revoke answers the revocation endpoint (RFC 7009): 200 with no body,
// for an unknown token too.
func (s *Server) revoke(ctx context.Context, c *call) (answer, error) {
	tok := c.form.Get(api.ParamToken)
	if tok == "" {
		return answer{}, api.Refuse(api.ErrInvalidRequest, "token is required")
	}
	if err := s.portal.Revoke(ctx, tok); err != nil {
		return answer{}, err
	}
	return answer{status: http.StatusOK, body: struct{}{}}, nil
}

// introspect answers the introspection endpoint (RFC 7662), for a caller
// its access token authorises (call.token, checked by the portal first).
func (s *Server) introspect(ctx context.Context, c *call) (answer, error) {
	in, err := s.portal.Introspect(ctx, c.token, c.form.Get(api.ParamToken))
	return answer{body: in}, err
}
