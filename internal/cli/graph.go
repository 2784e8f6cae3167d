package cli

import (
	"context"
	"flag"
	"slices"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
)

var graphCommand = &Command{
	Name:  "graph",
	Args:  "[--format mermaid|dot] FLOW",
	Short: "draw a flow as a state diagram",
	Long: `
Graph checks the flow FLOW (a flow file), as validate does, and writes it
to stdout as a state diagram: a Mermaid stateDiagram-v2 (the default;
GitHub renders it in Markdown) or a Graphviz digraph (tether graph
--format dot FLOW | dot -Tsvg).

States appear in the order the file declares them. Each edge is labelled
with its event and the branch's guard, "wrong [failures + 1 >= 3]", or
"[else]" for the branch taken when no guard before it holds; timers read
"after 5m"; a branch that stays in its state is a loop; final states show
their outcome and whether it counts as success.

If the flow has errors, graph reports them as validate does and exits 1.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		format := fs.String("format", string(explore.Mermaid), "the diagram language: `mermaid|dot`")
		lim := budgetFlags(fs)
		return func(ctx context.Context, env *Env, args []string) error {
			return runGraph(env, explore.GraphFormat(*format), args, *lim)
		}
	},
}

func runGraph(env *Env, format explore.GraphFormat, args []string, lim yamlfile.Limits) error {
	if !slices.Contains(explore.GraphFormats(), format) {
		return usagef("unknown format %q (want mermaid or dot)", format)
	}
	if len(args) != 1 {
		return usagef("want one flow file, got %d", len(args))
	}
	path := args[0]
	c, _, err := compiledFlow(env, env.path(path), "", flowSource{limits: lim}, exitFail)
	if err != nil {
		return err
	}
	return explore.Graph(env.Stdout, c.Flow, format)
}
