package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/engine"
)

var validateCommand = &Command{
	Name:  "validate",
	Args:  "FILE...",
	Short: "check flows and report every error",
	Long: `
Validate loads each flow FILE, checks it against the action library and
compiles it, the way run does before it starts, and reports every problem
it finds rather than stopping at the first.

For each valid flow it prints "FILE: ok" on stdout. Problems go to stderr,
sorted, one per line as file:line:col: message, followed by a caret
snippet when the problem is inside an expression. Each flow is checked as
part of its directory, the way run loads it: with the other flows there
(subflows, run: flow:NAME, are found by name among them), the regional
overlays in regions/ (every overlay is held to every flow it names) and the
demo portal fixture demo/portal.yaml. A problem in an overlay or the
fixture is reported for every flow of the directory: run would fail on it.

The exit status is 0 when every flow is valid, 1 otherwise, and 2 when a
file cannot be read.`,
	Flags: func(fs *flag.FlagSet) RunFunc { return runValidate },
}

func runValidate(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no flow files given")
	}
	var errs engine.ErrorList
	missing := false
	for _, path := range args {
		path = env.path(path)
		cat, err := loadCatalog(env, path, flowSource{fixture: checkFixture})
		if err != nil {
			var xerr *exitError
			if errors.As(err, &xerr) && xerr.err != nil {
				errs = append(errs, &engine.Error{Pos: engine.Pos{File: path}, Msg: strings.TrimPrefix(xerr.err.Error(), path+": ")})
				missing = missing || xerr.code == exitUsage
				continue
			}
			return err
		}
		if err := cat.FileErr(path); err != nil {
			errs = append(errs, listOf(path, err)...)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: ok\n", path)
	}
	if len(errs) > 0 {
		printErrors(env.Stderr, dedupErrors(errs))
		if missing {
			return &exitError{code: exitUsage}
		}
		return errReported
	}
	return nil
}

// checkFixture checks a demo portal fixture: validate holds it to the
// same standard as the flows, since run needs it.
func checkFixture(path string) error {
	_, err := demoportal.LoadFixture(path)
	return err
}

// dedupErrors drops errors reported twice: the overlays' and the
// fixture's, which every flow of a directory shares.
func dedupErrors(errs engine.ErrorList) engine.ErrorList {
	seen := map[string]bool{}
	var out engine.ErrorList
	for _, e := range errs {
		if k := e.Error(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
