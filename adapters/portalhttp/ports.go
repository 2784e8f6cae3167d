package portalhttp

import (
	"context"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// TokenSignIn signs in with a device token (signInToken).
func (c *Client) TokenSignIn(ctx context.Context, token string) (actions.SignIn, error) {
	var out api.SignIn
	if err := c.do(ctx, request{op: api.OpSignInToken, body: api.SignInTokenRequest{Token: token}, out: &out, secrets: []string{token}}); err != nil {
		return actions.SignIn{}, err
	}
	return port(out.Port())(token)
}

// PasswordSignIn signs in with an email address and password, and a
// CAPTCHA answer when one is given (signInPassword).
func (c *Client) PasswordSignIn(ctx context.Context, email, password string, captcha actions.CaptchaAnswer) (actions.SignIn, error) {
	req := api.SignInPasswordRequest{Email: email, Password: password}
	if captcha != (actions.CaptchaAnswer{}) {
		req.Captcha = &api.CaptchaAnswer{ID: captcha.ID, Answer: captcha.Answer}
	}
	var out api.SignIn
	if err := c.do(ctx, request{op: api.OpSignInPassword, body: req, out: &out, secrets: []string{password}}); err != nil {
		return actions.SignIn{}, err
	}
	return port(out.Port())(password)
}

// SendCode has the portal text a new code for the ticket (sendCode).
func (c *Client) SendCode(ctx context.Context, ticket string) (actions.CodeDelivery, error) {
	var out api.CodeDelivery
	if err := c.do(ctx, request{op: api.OpSendCode, body: api.TicketRequest{Ticket: ticket}, out: &out, secrets: []string{ticket}}); err != nil {
		return actions.CodeDelivery{}, err
	}
	return port(out.Port())(ticket)
}

// CheckCode checks a code texted for the ticket (checkCode).
func (c *Client) CheckCode(ctx context.Context, ticket, code string) (actions.CodeCheck, error) {
	var out api.CodeCheck
	if err := c.do(ctx, request{op: api.OpCheckCode, body: api.CheckCodeRequest{Ticket: ticket, Code: code}, out: &out, secrets: []string{ticket, code}}); err != nil {
		return actions.CodeCheck{}, err
	}
	return port(out.Port())(ticket, code)
}

// Connect exchanges an authorised ticket for a device token (connect).
func (c *Client) Connect(ctx context.Context, ticket string) (actions.Connection, error) {
	var out api.Connection
	if err := c.do(ctx, request{op: api.OpConnect, body: api.TicketRequest{Ticket: ticket}, out: &out, secrets: []string{ticket}}); err != nil {
		return actions.Connection{}, err
	}
	return actions.Connection{Connected: out.Connected, Account: out.Account, Country: out.Country, Token: out.Token, Reason: out.Reason}, nil
}

// RecordConsent records an acceptance during the ticket's sign-in
// (recordConsent).
func (c *Client) RecordConsent(ctx context.Context, ticket string, cs actions.Consent) (actions.ConsentRecord, error) {
	var out api.ConsentRecord
	if err := c.do(ctx, request{op: api.OpRecordConsent, body: api.FromConsent(ticket, cs), out: &out, secrets: []string{ticket}}); err != nil {
		return actions.ConsentRecord{}, err
	}
	return actions.ConsentRecord{Recorded: out.Recorded, ID: out.ID, Reason: out.Reason}, nil
}

// NewChallenge asks for a CAPTCHA challenge (newCaptcha).
func (c *Client) NewChallenge(ctx context.Context) (actions.Challenge, error) {
	var out api.Challenge
	if err := c.do(ctx, request{op: api.OpNewCaptcha, out: &out}); err != nil {
		return actions.Challenge{}, err
	}
	return actions.Challenge{ID: out.ID, Text: out.Text}, nil
}

// Licences lists the licences of the token's account (listLicences). A
// token the portal does not accept gives an error wrapping
// actions.ErrTokenRejected.
func (c *Client) Licences(ctx context.Context, token string) ([]actions.Licence, error) {
	var out api.Licences
	if err := c.do(ctx, request{op: api.OpListLicences, token: token, out: &out, secrets: []string{token}}); err != nil {
		return nil, err
	}
	return out.Port(), nil
}

// Activate activates a licence, or the Free plan for the empty id, on the
// token's device (activate). A token the portal does not accept gives an
// error wrapping actions.ErrTokenRejected.
func (c *Client) Activate(ctx context.Context, token, licence string) (actions.Activation, error) {
	var out api.Activation
	if err := c.do(ctx, request{op: api.OpActivate, token: token, body: api.ActivateRequest{Licence: licence}, out: &out, secrets: []string{token}}); err != nil {
		return actions.Activation{}, err
	}
	return port(out.Port())(token)
}

// CreateAccount creates an account (createAccount).
func (c *Client) CreateAccount(ctx context.Context, a actions.NewAccount) (actions.AccountCreation, error) {
	var out api.AccountCreation
	if err := c.do(ctx, request{op: api.OpCreateAccount, body: api.CreateAccountRequest{Email: a.Email, Password: a.Password, Region: a.Region}, out: &out, secrets: []string{a.Password}}); err != nil {
		return actions.AccountCreation{}, err
	}
	return port(out.Port())(a.Password)
}

// CheckToken asks whether the portal accepts the token (checkToken). The
// empty token is not valid; the portal is not asked.
func (c *Client) CheckToken(ctx context.Context, token string) (actions.TokenCheck, error) {
	if token == "" {
		return actions.TokenCheck{}, nil
	}
	var out api.TokenCheck
	if err := c.do(ctx, request{op: api.OpCheckToken, token: token, out: &out, secrets: []string{token}}); err != nil {
		return actions.TokenCheck{}, err
	}
	return out.Port(), nil
}

// port passes on the conversion of an answer, its error (a status the
// client does not know, as the portal sent it) cleaned of the call's
// secrets.
func port[T any](v T, err error) func(secrets ...string) (T, error) {
	return func(secrets ...string) (T, error) { return v, actions.Redact(err, secrets...) }
}
