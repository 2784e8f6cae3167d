package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
)

func portalSignIn(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "portal.sign_in",
			Doc:  "Signs in to the portal with an email address and password.",
			Params: []engine.Param{
				param("email", engine.String, "the account's email address"),
				secret("password", "the account's password"),
			},
			Outputs: []engine.Param{
				output("account", engine.String, "the account signed in to (ok, sms)"),
				ticket("the sign-in ticket (ok: authorised; sms: needs a code)", false),
				output("phone_masked", engine.String, "the phone codes go to, masked (sms)"),
			},
			Outcomes: []string{"ok", "sms", "denied"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			s, err := p.Portal.PasswordSignIn(ctx, c.str("email", ""), c.str("password", ""))
			if err != nil {
				return engine.Result{}, fmt.Errorf("sign in: %w", err)
			}
			switch s.Status {
			case SignInOK:
				return result("ok", "account", s.Account, "ticket", s.Ticket), nil
			case SignInNeedsCode:
				return result("sms", "account", s.Account, "ticket", s.Ticket, "phone_masked", s.PhoneMasked), nil
			}
			// Unknown email, wrong password and locked account look alike.
			return result("denied"), nil
		},
	}
}

func portalConnect(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "portal.connect",
			Doc:  "Exchanges an authorised ticket for a device token and saves it on this device.",
			Params: []engine.Param{
				ticket("an authorised ticket", true),
				optional("app", engine.String, `the application to save the token for (default "tether")`),
			},
			Outputs: []engine.Param{
				output("account", engine.String, "the connected account (connected)"),
				output("reason", engine.String, "why the device could not be connected (failed)"),
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
			if app == "" {
				return engine.Result{}, fmt.Errorf("%w: parameter app is empty", ErrArgs)
			}
			conn, err := p.Portal.Connect(ctx, c.str("ticket", ""))
			c.secret(conn.Token)
			if err != nil {
				return engine.Result{}, fmt.Errorf("connect: %w", err)
			}
			if !conn.Connected {
				reason := conn.Reason
				if reason == "" {
					reason = "the portal refused the connection"
				}
				return result("failed", "reason", reason), nil
			}
			if conn.Token == "" {
				return engine.Result{}, fmt.Errorf("connect: the portal returned no token")
			}
			err = p.Credentials.Save(ctx, Credential{
				App:     app,
				Account: conn.Account,
				Token:   conn.Token,
				Region:  conn.Region,
				SavedAt: p.Now(),
			})
			if err != nil {
				return engine.Result{}, fmt.Errorf("save the connection for %s: %w", app, err)
			}
			return result("connected", "account", conn.Account), nil
		},
	}
}
