package actions

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

func credentialsSignIn(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "credentials.sign_in",
			Doc:    "Signs in by OpenID Connect Native SSO, with the ID token and device secret one of the vendor's applications (this one included) saved on this device.",
			Remote: true,
			Params: []engine.Param{
				optional("app", value.String, "only use the sign-in this application saved"),
			},
			Outputs: append([]engine.Param{
				output("account", value.String, "the account signed in to (ok) or whose sign-in was refused (rejected)"),
				ticket("authorised ticket for portal.connect (ok)", false),
			}, jurisdictionOutputs()...),
			Outcomes: []string{"ok", "none", "rejected"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Credentials == nil, "CredentialStore"); err != nil {
				return engine.Result{}, err
			}
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			saved, err := p.Credentials.Credentials(ctx)
			if err != nil {
				return engine.Result{}, fmt.Errorf("read saved credentials: %w", err)
			}
			app := c.str("app", "")
			var cands []Credential
			for _, cr := range saved {
				if cr.IDToken == "" || cr.DeviceSecret == "" || (app != "" && cr.App != app) {
					continue
				}
				for _, s := range cr.Secrets() {
					c.secret(s)
				}
				cands = append(cands, cr)
			}
			if len(cands) == 0 {
				return result("none"), nil
			}
			// Most recently saved first: it is the likeliest to be valid.
			slices.SortStableFunc(cands, func(a, b Credential) int {
				if d := b.SavedAt.Compare(a.SavedAt); d != 0 {
					return d
				}
				return cmp.Compare(a.App, b.App)
			})
			for _, cr := range cands {
				s, err := p.Portal.SSOSignIn(ctx, cr.IDToken, cr.DeviceSecret)
				if err != nil {
					return engine.Result{}, fmt.Errorf("sign in with the sign-in saved by %s: %w", cr.App, err)
				}
				if s.Status == SignInOK {
					return result("ok", jurisdiction(s.Jurisdiction, "account", s.Account, "ticket", s.Ticket)...), nil
				}
			}
			return result("rejected", "account", cands[0].Account), nil
		},
	}
}
