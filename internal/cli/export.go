package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
)

var exportCommand = &Command{
	Name:  "export",
	Args:  "FLOW --promela [--region NAME] [flags]",
	Short: "write a flow and its properties as a Promela model for SPIN",
	Long: `
Export checks the flow FLOW (a flow file), as validate does, and writes
it, under the policy of the region --region NAME (default: the flow's
own policy), with its properties, to stdout as a Promela model for the
SPIN model checker (docs/properties.md): an ltl claim per when:/require:
property, named as the property, and one named as the ends: property
(every run comes back to a prompt or ends).

What the model cannot write in Promela it leaves to a free choice: a
guard that reads the clock, a list or a variable the model does not
hold. Such abstractions are listed at the top of the model, and on
stderr; SPIN may then find violations the flow does not have, and its
trail of one prints the abstraction's name where it made such a choice.

	tether export --promela flows/connect.yaml --region eu > connect-eu.pml
	spin -a connect-eu.pml && gcc -o pan pan.c && ./pan -a -E -N consent_recorded`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		promela := fs.Bool("promela", false, "write a Promela model (the only format)")
		region := fs.String("region", "default", "the region `NAME` whose policy applies (tether policy list FLOW names them)")
		regions := fs.String("regions", "", "`DIR` of regional policy overlays (default: regions/ next to the flow)")
		lim := budgetFlags(fs)
		return func(ctx context.Context, env *Env, args []string) error {
			return runExport(env, *promela, *region, *regions, args, *lim)
		}
	},
}

func runExport(env *Env, promela bool, region, regions string, args []string, lim yamlfile.Limits) error {
	if !promela {
		return usagef("say which format: --promela")
	}
	if len(args) != 1 {
		return usagef("want one flow file, got %d", len(args))
	}
	path := env.path(args[0])
	cat, err := loadCatalog(env, path, flowSource{regions: regions, limits: lim})
	if err != nil {
		return err
	}
	country := ""
	if region != "default" {
		r := cat.Regions().Region(region)
		if r == nil || len(r.Countries) == 0 {
			var names []string
			for _, r := range cat.Regions().Regions() {
				names = append(names, r.Name)
			}
			return usagef("--region: no region %q with countries (regions: default, %s)", region, strings.Join(names, ", "))
		}
		country = r.Countries[0]
	}
	c, _, err := compiledFlow(env, path, country, flowSource{regions: regions, limits: lim}, exitFail)
	if err != nil {
		return err
	}
	m, err := explore.Promela(c.Flow)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	for _, a := range m.Abstractions {
		fmt.Fprintf(env.Stderr, "%s: abstraction %s: %s\n", a.Where, a.Name, a.What)
	}
	_, err = env.Stdout.Write(m.Source)
	return err
}
