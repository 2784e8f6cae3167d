package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
)

// FreePlan is the plan activated when an account has no subscription.
const FreePlan = "Free"

func licenseList(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "license.list",
			Doc:  "Lists the account's active licences (expired ones are left out).",
			Params: []engine.Param{
				param("account", engine.String, "the account"),
			},
			Outputs: []engine.Param{
				output("licences", engine.List, "the active licences, each a map {id, plan, name, expires}"),
				output("count", engine.Int, "how many active licences there are"),
				output("licence", engine.String, "the licence's id (one)"),
				output("plan", engine.String, "the licence's plan (one)"),
			},
			Outcomes: []string{"none", "one", "several"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			active, err := activeLicences(ctx, p, c.str("account", ""))
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
			Name: "license.activate",
			Doc:  "Activates one of the account's active licences on this device.",
			Params: []engine.Param{
				param("account", engine.String, "the account"),
				param("licence", engine.String, "the licence's id"),
				optional("app", engine.String, `the application whose saved connection records it (default "tether")`),
			},
			Outputs: []engine.Param{
				output("plan", engine.String, "the activated plan (activated)"),
				output("licence", engine.String, "the activated licence's id (activated)"),
			},
			Outcomes: []string{"activated", "unavailable"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			account, id := c.str("account", ""), c.str("licence", "")
			active, err := activeLicences(ctx, p, account)
			if err != nil {
				return engine.Result{}, err
			}
			for _, l := range active {
				if l.ID == id {
					if err := recordPlan(ctx, p, c, c.str("app", DefaultApp), account, l.Plan, l.ID); err != nil {
						return engine.Result{}, err
					}
					return result("activated", "plan", l.Plan, "licence", l.ID), nil
				}
			}
			return result("unavailable"), nil
		},
	}
}

func licenseActivateFree(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "license.activate_free",
			Doc:  "Activates the Free plan on this device.",
			Params: []engine.Param{
				param("account", engine.String, "the account"),
				optional("app", engine.String, `the application whose saved connection records it (default "tether")`),
			},
			Outputs: []engine.Param{
				output("plan", engine.String, `always "Free"`),
				output("licence", engine.String, "always empty"),
			},
			Outcomes: []string{"activated"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := recordPlan(ctx, p, c, c.str("app", DefaultApp), c.str("account", ""), FreePlan, ""); err != nil {
				return engine.Result{}, err
			}
			return result("activated", "plan", FreePlan, "licence", ""), nil
		},
	}
}

// activeLicences returns the account's licences that have not expired on
// p.Now; a zero expiry never expires.
func activeLicences(ctx context.Context, p Ports, account string) ([]Licence, error) {
	if err := needPort(p.Licences == nil, "Licences"); err != nil {
		return nil, err
	}
	all, err := p.Licences.Licences(ctx, account)
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

// recordPlan records the activated plan with app's saved connection to
// account.
func recordPlan(ctx context.Context, p Ports, c *call, app, account, plan, licence string) error {
	if err := needPort(p.Credentials == nil, "CredentialStore"); err != nil {
		return err
	}
	saved, err := p.Credentials.Credentials(ctx)
	if err != nil {
		return fmt.Errorf("read saved credentials: %w", err)
	}
	for _, cr := range saved {
		c.secret(cr.Token)
	}
	for _, cr := range saved {
		if cr.App != app {
			continue
		}
		if cr.Account != account {
			return fmt.Errorf("record plan: %s is connected to %s, not %s", app, cr.Account, account)
		}
		cr.Plan, cr.Licence = plan, licence
		if err := p.Credentials.Save(ctx, cr); err != nil {
			return fmt.Errorf("record plan with the connection of %s: %w", app, err)
		}
		return nil
	}
	return fmt.Errorf("record plan: %s has no saved connection (run portal.connect first)", app)
}
