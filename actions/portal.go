package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

// jurisdictionOutputs are the outputs that tell a flow what the portal
// knows of the signed-in account's rules.
func jurisdictionOutputs() []engine.Param {
	return []engine.Param{
		output("country", value.String, "the account's country, ISO 3166-1 alpha-2 (ok, sms)"),
		output("consent_required", value.Bool, "the portal requires the regulation on data provisioning to be accepted before connecting (ok, sms)"),
		output("consent_document", value.String, "the regulation's document, when required (ok, sms)"),
		output("consent_version", value.String, "the regulation's version, when required (ok, sms)"),
		output("consent_region", value.String, "the regional policy the portal applies to the account (ok, sms)"),
	}
}

// jurisdiction appends the jurisdiction outputs of j to kv.
func jurisdiction(j Jurisdiction, kv ...any) []any {
	return append(kv,
		"country", j.Country,
		"consent_required", j.ConsentRequired,
		"consent_document", j.Document,
		"consent_version", j.Version,
		"consent_region", j.Region)
}

func portalSignIn(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "portal.sign_in",
			Doc:    "Signs in to the portal with an email address and password, and a CAPTCHA answer when the portal asked for one.",
			Remote: true,
			Params: []engine.Param{
				param("email", value.String, "the account's email address"),
				secret("password", "the account's password"),
				optional("captcha_id", value.String, "the CAPTCHA challenge answered, from captcha.new"),
				optional("captcha", value.String, "the answer to the CAPTCHA challenge"),
			},
			Outputs: append([]engine.Param{
				output("account", value.String, "the account signed in to (ok, sms)"),
				ticket("the sign-in ticket (ok: authorised; sms: needs a code)", false),
				output("phone_masked", value.String, "the phone codes go to, masked (sms)"),
				output("captcha_required", value.Bool, "the next sign-in needs a CAPTCHA answer (denied)"),
				output("captcha_wrong", value.Bool, "the CAPTCHA answer given was not right, rather than missing (captcha)"),
			}, jurisdictionOutputs()...),
			// captcha: the portal wants a CAPTCHA answer first and did not
			// look at the password.
			Outcomes: []string{"ok", "sms", "denied", "captcha"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			answer := CaptchaAnswer{ID: c.str("captcha_id", ""), Answer: c.str("captcha", "")}
			if answer.Answer == "" {
				answer = CaptchaAnswer{}
			}
			s, err := p.Portal.PasswordSignIn(ctx, c.str("email", ""), c.str("password", ""), answer)
			if err != nil {
				return engine.Result{}, fmt.Errorf("sign in: %w", err)
			}
			switch s.Status {
			case SignInOK:
				return result("ok", jurisdiction(s.Jurisdiction, "account", s.Account, "ticket", s.Ticket)...), nil
			case SignInNeedsCode:
				return result("sms", jurisdiction(s.Jurisdiction, "account", s.Account, "ticket", s.Ticket, "phone_masked", s.PhoneMasked)...), nil
			case SignInCaptcha:
				return result("captcha", "captcha_wrong", s.CaptchaWrong), nil
			}
			// Unknown email, wrong password and locked account look alike.
			return result("denied", "captcha_required", s.CaptchaRequired), nil
		},
	}
}

func portalConnect(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "portal.connect",
			Doc:    "Exchanges an authorised ticket for this device's tokens (bound to its key) and saves them on this device.",
			Remote: true,
			Params: []engine.Param{
				ticket("an authorised ticket", true),
				optional("app", value.String, `the application to save the tokens for (default "tether")`),
				optional("region", value.String, "the regional policy this device runs under, saved with the connection"),
			},
			Outputs: []engine.Param{
				output("account", value.String, "the connected account (connected)"),
				output("reason", value.String, "why the device could not be connected, in the portal's words (failed)"),
				output("refusal", value.Map, "the same as a message, for a {{ }} or a message's parameter: the portal's message id and parameters, said in the person's language (failed)"),
			},
			Outcomes: []string{"connected", "failed"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			if err := needPort(p.Credentials == nil, "CredentialStore"); err != nil {
				return engine.Result{}, err
			}
			app := c.str("app", DefaultApp)
			conn, err := p.Portal.Connect(ctx, c.str("ticket", ""))
			for _, s := range conn.Tokens.Secrets() {
				c.secret(s)
			}
			if err != nil {
				return engine.Result{}, fmt.Errorf("connect: %w", err)
			}
			if !conn.Connected {
				reason, msg := conn.Reason, conn.ReasonMessage
				if reason == "" {
					reason, msg = "the portal refused the connection", PortalText{ID: "connection.refused"}
				}
				return result("failed", "reason", reason, "refusal", msg.Value(reason)), nil
			}
			if conn.Tokens.AccessToken == "" {
				return engine.Result{}, fmt.Errorf("connect: the portal returned no access token")
			}
			err = p.Credentials.Save(ctx, Credential{
				App:     app,
				Account: conn.Account,
				Tokens:  conn.Tokens,
				Region:  c.str("region", ""),
				Country: conn.Country,
				SavedAt: p.Now(),
			})
			if err != nil {
				return engine.Result{}, fmt.Errorf("save the connection for %s: %w", app, err)
			}
			return result("connected", "account", conn.Account), nil
		},
	}
}
