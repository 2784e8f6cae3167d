package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
)

var compatCommand = &Command{
	Name:  "compat",
	Args:  "OLD NEW [--country CC]",
	Short: "what a new version of a flow does to sessions in flight",
	Long: `
Compat compares two versions of a flow, OLD and NEW (each a flow file in
its own flows directory, with its subflows and regions/: check the old
version's directory out with git worktree or git archive), and lists what
moving the sessions in flight on OLD to NEW would do to them:

  strands   a session could be stranded: an ask state (or a state running a
            subflow) sessions wait at is gone or of another kind, a
            variable's kind changed, a state runs another subflow, a new
            outcome is not handled by a flow of NEW's directory that runs
            this one, or NEW's migration from OLD does not fit OLD
  migrated  NEW's migration from OLD (migrate: in NEW) moves them: a state
            renamed, a variable renamed or dropped
  changes   they go on, differently: a variable gone or new, a timer gone,
            new or going elsewhere, a choice or field gone or new, an
            outcome gone or new, a policy default changed

Each finding is followed by its position in OLD and in NEW
(file:line:col), and the last line counts them. Subflows are compared too.
Both versions are compiled under the flow's defaults, or with --country CC
under the regional policy of that country (ISO 3166-1 alpha-2, e.g. DE).
docs/flow-evolution.md says how versions, migrations and this check fit
together.

Exit status: 0 when no session in flight could be stranded, 1 when one
could, 2 for usage and for flows that do not load or check.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &compatOptions{}
		countryFlag(fs, &o.country, "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) whose regional policy both versions are compiled under")
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type compatOptions struct {
	country string
	limits  *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func (o *compatOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 2 {
		return usagef("compat takes two flow files, the old version and the new")
	}
	old, _, err := compiledFlow(env, env.path(args[0]), o.country, flowSource{limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	cur, cat, err := compiledFlow(env, env.path(args[1]), o.country, flowSource{limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	if old.Name != cur.Name {
		return usagef("%s is flow %s and %s is flow %s: compare two versions of one flow", args[0], old.Name, args[1], cur.Name)
	}
	var callers []*syntax.File
	for _, name := range cat.Names() {
		if f, ok := cat.File(name); ok && name != cur.Name {
			callers = append(callers, f)
		}
	}
	r := compat.Compare(old.Flow, cur.Flow, compat.Options{Callers: callers})
	if err := r.Write(env.Stdout); err != nil {
		return err
	}
	if r.Strands() {
		return &exitError{code: exitFail, err: fmt.Errorf("%d of the changes could strand sessions in flight on %s", r.Count(compat.Strands), args[0])}
	}
	return nil
}
