package portalserver

import (
	"context"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// handlers returns the handler of every operation.
func (s *Server) handlers() map[string]handler {
	p := s.portal
	return map[string]handler{
		api.OpSignInPassword: func(ctx context.Context, c call) (any, error) {
			var req api.SignInPasswordRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			var answer actions.CaptchaAnswer
			if req.Captcha != nil {
				answer = actions.CaptchaAnswer{ID: req.Captcha.ID, Answer: req.Captcha.Answer}
			}
			si, err := p.PasswordSignIn(ctx, req.Email, req.Password, answer)
			return api.FromSignIn(si), err
		},
		api.OpSignInToken: func(ctx context.Context, c call) (any, error) {
			var req api.SignInTokenRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			si, err := p.TokenSignIn(ctx, req.Token)
			return api.FromSignIn(si), err
		},
		api.OpNewCaptcha: func(ctx context.Context, c call) (any, error) {
			if err := decode(c.r, nil); err != nil {
				return nil, err
			}
			ch, err := p.NewChallenge(ctx)
			return api.Challenge{ID: ch.ID, Text: ch.Text}, err
		},
		api.OpSendCode: func(ctx context.Context, c call) (any, error) {
			var req api.TicketRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			d, err := p.SendCode(ctx, req.Ticket)
			return api.FromCodeDelivery(d), err
		},
		api.OpCheckCode: func(ctx context.Context, c call) (any, error) {
			var req api.CheckCodeRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			chk, err := p.CheckCode(ctx, req.Ticket, req.Code)
			return api.FromCodeCheck(chk), err
		},
		api.OpRecordConsent: func(ctx context.Context, c call) (any, error) {
			var req api.ConsentRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			rec, err := p.RecordConsent(ctx, req.Ticket, req.Port())
			return api.ConsentRecord{Recorded: rec.Recorded, ID: rec.ID, Reason: rec.Reason}, err
		},
		api.OpConnect: func(ctx context.Context, c call) (any, error) {
			var req api.TicketRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			conn, err := p.Connect(ctx, req.Ticket)
			return api.Connection{Connected: conn.Connected, Account: conn.Account, Country: conn.Country, Token: conn.Token, Reason: conn.Reason}, err
		},
		api.OpListLicences: func(ctx context.Context, c call) (any, error) {
			ls, err := p.Licences(ctx, c.token)
			return api.FromLicences(ls), err
		},
		api.OpActivate: func(ctx context.Context, c call) (any, error) {
			var req api.ActivateRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			a, err := p.Activate(ctx, c.token, req.Licence)
			return api.FromActivation(a), err
		},
		api.OpCreateAccount: func(ctx context.Context, c call) (any, error) {
			var req api.CreateAccountRequest
			if err := decode(c.r, &req); err != nil {
				return nil, err
			}
			a, err := p.CreateAccount(ctx, actions.NewAccount{Email: req.Email, Password: req.Password, Region: req.Region})
			return api.FromAccountCreation(a), err
		},
		api.OpCheckToken: func(ctx context.Context, c call) (any, error) {
			chk, err := p.CheckToken(ctx, c.token)
			return api.FromTokenCheck(chk), err
		},
	}
}
