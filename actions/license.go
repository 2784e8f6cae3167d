package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

// FreePlan is the plan activated when an account has no subscription.
const FreePlan = "Free"

func licenseList(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "license.list",
			Doc:    "Lists the account's active licences (expired ones are left out), as the portal tells this device's connection.",
			Remote: true,
			Params: []engine.Param{
				param("account", value.String, "the account"),
				optional("app", value.String, `the application whose saved connection asks (default "tether")`),
			},
			Outputs: []engine.Param{
				output("licences", value.List, "the active licences, each a map {id, plan, name, expires}"),
				output("count", value.Int, "how many active licences there are"),
				output("licence", value.String, "the licence's id (one)"),
				output("plan", value.String, "the licence's plan (one)"),
			},
			Outcomes: []string{"none", "one", "several"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			account := c.str("account", "")
			tok, err := connection(ctx, p, c, c.str("app", DefaultApp), account)
			if err != nil {
				return engine.Result{}, err
			}
			active, err := activeLicences(ctx, p, tok.AccessToken, account)
			if err != nil {
				return engine.Result{}, err
			}
			list := make([]any, len(active))
			for i, l := range active {
				list[i] = map[string]any{"id": l.ID, "plan": l.Plan, "name": l.Name, "expires": l.Expires}
			}
			switch len(active) {
			case 0:
				return result("none", "licences", list, "count", 0), nil
			case 1:
				return result("one", "licences", list, "count", 1, "licence", active[0].ID, "plan", active[0].Plan), nil
			}
			return result("several", "licences", list, "count", len(active)), nil
		},
	}
}

func licenseActivate(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "license.activate",
			Doc:    "Activates one of the account's active licences on this device.",
			Remote: true,
			Params: []engine.Param{
				param("account", value.String, "the account"),
				param("licence", value.String, "the licence's id"),
				optional("app", value.String, `the application whose saved connection records it (default "tether")`),
			},
			Outputs: []engine.Param{
				output("plan", value.String, "the activated plan (activated)"),
				output("licence", value.String, "the activated licence's id (activated)"),
			},
			// inactive: not one of the account's licences, or its term is
			// over.
			Outcomes: []string{"activated", "inactive"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			return activate(ctx, p, c, c.str("licence", ""))
		},
	}
}

func licenseActivateFree(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "license.activate_free",
			Doc:    "Activates the Free plan on this device.",
			Remote: true,
			Params: []engine.Param{
				param("account", value.String, "the account"),
				optional("app", value.String, `the application whose saved connection records it (default "tether")`),
			},
			Outputs: []engine.Param{
				output("plan", value.String, `always "Free"`),
				output("licence", value.String, "always empty"),
			},
			Outcomes: []string{"activated"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			res, err := activate(ctx, p, c, "")
			if err == nil && res.Outcome != "activated" {
				return engine.Result{}, fmt.Errorf("the portal refused the Free plan")
			}
			return res, err
		},
	}
}

// activate has the portal activate licence ("" for the Free plan) on the
// device's connection to the account, and records the plan with it.
func activate(ctx context.Context, p Ports, c *call, licence string) (engine.Result, error) {
	if err := needPort(p.Licences == nil, "Licences"); err != nil {
		return engine.Result{}, err
	}
	app, account := c.str("app", DefaultApp), c.str("account", "")
	cr, err := connection(ctx, p, c, app, account)
	if err != nil {
		return engine.Result{}, err
	}
	a, err := p.Licences.Activate(ctx, cr.AccessToken, licence)
	if err != nil {
		return engine.Result{}, fmt.Errorf("activate on the connection of %s: %w", app, err)
	}
	if a.Status != ActivateActivated {
		return result("inactive"), nil
	}
	cr.Plan, cr.Licence = a.Plan, a.Licence
	if err := p.Credentials.Save(ctx, cr); err != nil {
		return engine.Result{}, fmt.Errorf("record plan with the connection of %s: %w", app, err)
	}
	return result("activated", "plan", a.Plan, "licence", a.Licence), nil
}

// activeLicences returns the account's licences that have not expired on
// p.Now, as the portal lists them to the device token tok; a zero expiry
// never expires.
func activeLicences(ctx context.Context, p Ports, tok, account string) ([]Licence, error) {
	if err := needPort(p.Licences == nil, "Licences"); err != nil {
		return nil, err
	}
	all, err := p.Licences.Licences(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("list licences of %s: %w", account, err)
	}
	now := p.Now()
	var active []Licence
	for _, l := range all {
		if l.Expires.IsZero() || now.Before(l.Expires) {
			active = append(active, l)
		}
	}
	return active, nil
}

// connection returns app's saved connection to account, whose token
// authorises what the device asks of the portal about the account.
func connection(ctx context.Context, p Ports, c *call, app, account string) (Credential, error) {
	if err := needPort(p.Credentials == nil, "CredentialStore"); err != nil {
		return Credential{}, err
	}
	saved, err := p.Credentials.Credentials(ctx)
	if err != nil {
		return Credential{}, fmt.Errorf("read saved credentials: %w", err)
	}
	for _, cr := range saved {
		for _, s := range cr.Secrets() {
			c.secret(s)
		}
	}
	for _, cr := range saved {
		if cr.App != app || cr.AccessToken == "" {
			continue
		}
		if cr.Account != account {
			return Credential{}, fmt.Errorf("%s is connected to %s, not %s", app, cr.Account, account)
		}
		return cr, nil
	}
	return Credential{}, fmt.Errorf("%s has no saved connection (run portal.connect first)", app)
}
