package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/ui"
)

var validateCommand = &Command{
	Name:  "validate",
	Args:  "[--portal-fixture FILE] [--counterexamples DIR] PATH...",
	Short: "check flows and report every error",
	Long: `
Validate checks each PATH, a flow file or a flows directory, against the
action library and compiles its flows, the way run and serve do before
they start, and reports every problem it finds rather than stopping at
the first.

A flow file is checked as part of its directory, the way run loads it:
with the other flows there (subflows, run: flow:NAME, are found by name
among them) and the regional overlays in regions/ (every overlay is held
to every flow it names). A flows directory is checked as tether serve
--flows DIR loads it: every flow in it, with its overlays. Either way the
demo portal's fixture, demo/portal.yaml in the directory (or
--portal-fixture FILE), is checked too when it is there: run and serve
use it, and so are the directory's catalogs, locales/*.yaml: every flow
message translated in every locale they ship, with the source's
placeholders and the plural forms the locale needs, and no entry a flow
does not use (docs/locales.md).

For each valid flow it prints its file and "ok" on stdout
("flows/connect.yaml: ok"). Problems go to stderr, sorted, one per line as
file:line:col: message, followed by a caret snippet when the problem is
inside an expression. A problem in an overlay
is reported for every flow of the directory: run would fail on it.

A flow that states properties (properties:, docs/properties.md) has them
proven under its own policy and under every region of the directory that
changes it: a search of every configuration a session can reach, equal
ones once. It prints "flows/connect.yaml: 5 properties proven in 6
regions" when all hold. A property that does not is reported at its name, with the region
(and a country of it), what breaks it, and a counterexample: its steps,
each at its state's file:line:col, the one where the property broke
marked. With --counterexamples DIR each is also written as a path file,
FLOW-REGION-PROPERTY.yaml, that tether replay --path runs (the message
gives the command). A search that --max-configs cuts short proves nothing
and fails. A property whose when: holds nowhere gets a warning: it holds,
but says nothing.

Flow files are read within the YAML budgets of docs/limits.md (512 KiB,
50,000 nodes): a larger file is refused, at the point where it passes the
budget. --max-file-size and --max-nodes raise them for a trusted flow
larger than any a person writes, such as a generated one; the commands
that read flows (run, graph, paths, replay, cover, policy, compat) take
them too.

The exit status is 0 when every flow (and fixture) is valid and every
property proven, 1 otherwise, and 2 when a PATH cannot be read.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &validateOptions{}
		fs.StringVar(&o.fixture, "portal-fixture", "", "check this demo portal fixture `FILE` (default: demo/portal.yaml in each flow's directory, when it is there)")
		fs.IntVar(&o.prove.maxConfigs, "max-configs", explore.DefaultMaxConfigs, "stop proving a flow's properties in a region after `N` configurations (a proof cut short fails)")
		fs.StringVar(&o.prove.cxDir, "counterexamples", "", "write each violated property's counterexample as a path file into `DIR`")
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type validateOptions struct {
	fixture string
	prove   proveOptions
	limits  *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func (o *validateOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no flow files or directories given")
	}
	if o.prove.maxConfigs < 1 {
		return usagef("--max-configs must be at least 1")
	}
	var errs yamlfile.ErrorList
	var problems []string
	missing := false
	fixtures := map[string]bool{} // checked already
	localesChecked := map[string]bool{}
	if o.fixture != "" {
		fixtures[env.path(o.fixture)] = true
		if err := checkFixture(env, env.path(o.fixture), true); err != nil {
			errs = append(errs, err...)
		}
	}
	for _, path := range args {
		path = env.path(path)
		oks, cat, dir, perr, err := validatePath(env, path, *o.limits)
		if err != nil {
			return err
		}
		if perr != nil {
			errs = append(errs, perr...)
			missing = missing || dir == ""
		}
		lines, probs, warns, err := o.prove.flows(ctx, env, cat, oks)
		if err != nil {
			return err
		}
		problems = append(problems, probs...)
		for _, w := range warns {
			fmt.Fprintln(env.Stderr, w)
		}
		for _, l := range lines {
			fmt.Fprintln(env.Stdout, l)
		}
		if dir != "" && !localesChecked[dir] && perr == nil {
			localesChecked[dir] = true
			errs = append(errs, checkLocales(env, dir, *o.limits)...)
		}
		if dir == "" || o.fixture != "" {
			continue
		}
		if fx := demo.FixtureFile(dir); !fixtures[fx] {
			fixtures[fx] = true
			errs = append(errs, checkFixture(env, fx, false)...)
		}
	}
	if len(errs) > 0 || len(problems) > 0 {
		printErrors(env.Stderr, dedupErrors(errs))
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, p)
		}
		if missing {
			return &exitError{code: exitUsage}
		}
		return errReported
	}
	return nil
}

// validatePath checks the flow file or flows directory path, its flow
// files read within the YAML budgets lim. It returns the flow files that
// are valid, the flows directory they were checked in ("" when path cannot
// be read), and the problems.
func validatePath(env *Env, path string, lim yamlfile.Limits) (ok []string, cat *catalog.Catalog, dir string, errs yamlfile.ErrorList, err error) {
	info, serr := os.Stat(path)
	if serr != nil {
		msg := strings.TrimPrefix(missingFlow(path, serr).Error(), path+": ")
		return nil, nil, "", yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: msg}}, nil
	}
	if !info.IsDir() {
		cat, err := loadCatalog(env, path, flowSource{limits: lim})
		if err != nil {
			return nil, nil, "", nil, err
		}
		if ferr := cat.FileErr(path); ferr != nil {
			return nil, cat, filepath.Dir(path), listOf(path, ferr), nil
		}
		return []string{path}, cat, filepath.Dir(path), nil, nil
	}
	reg, err := flowRegistry()
	if err != nil {
		return nil, nil, "", nil, fmt.Errorf("action library: %w", err)
	}
	cat, err = catalog.Load(path, catalog.Options{Registry: reg, Limits: lim})
	if err != nil {
		return nil, nil, "", yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: err.Error()}}, nil
	}
	files := cat.Files()
	if len(files) == 0 {
		errs.Add(yamlfile.Pos{File: path}, "no flows in the directory (a flow is a *.yaml file with flow: or states:)")
	}
	for _, f := range files {
		if ferr := cat.FileErr(f); ferr != nil {
			errs = append(errs, listOf(f, ferr)...)
			continue
		}
		ok = append(ok, f)
	}
	if cerr := cat.Err(); cerr != nil {
		errs = append(errs, listOf(path, cerr)...) // the overlays', with no flow
		ok = nil                                   // no region can be proven
	}
	return ok, cat, path, errs, nil
}

// checkLocales checks the catalogs of the flows directory dir (its
// locales/) against its flows: every problem of a catalog file, every
// message a locale lacks, every placeholder or plural form that differs,
// every entry no flow uses.
func checkLocales(env *Env, dir string, lim yamlfile.Limits) yamlfile.ErrorList {
	reg, err := flowRegistry()
	if err != nil {
		return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: dir}, Msg: err.Error()}}
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Limits: lim})
	if err != nil {
		return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: dir}, Msg: err.Error()}}
	}
	files := flowFiles(cat)
	cats, err := ui.Load(filepath.Join(dir, localesDir), files)
	var errs yamlfile.ErrorList
	if err != nil {
		errs = listOf(filepath.Join(dir, localesDir), err)
	}
	if cats == nil {
		return errs
	}
	return append(errs, cats.Check(files)...)
}

// checkFixture checks the demo portal's fixture at path: validate holds
// it to the same standard as the flows, since run and serve use it. A
// fixture that is not there is a problem only when it was asked for. Its
// warnings go to stderr at once.
func checkFixture(env *Env, path string, asked bool) yamlfile.ErrorList {
	fx, err := demo.LoadFixture(path)
	switch {
	case err == nil:
		printErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
		return nil
	case errors.Is(err, demo.ErrNoFixture) && !asked:
		return nil
	case errors.Is(err, demo.ErrNoFixture):
		return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: "no such file or directory"}}
	}
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: strings.TrimPrefix(err.Error(), path+": ")}}
}

// dedupErrors drops errors reported twice: the overlays', which every
// flow of a directory shares.
func dedupErrors(errs yamlfile.ErrorList) yamlfile.ErrorList {
	seen := map[string]bool{}
	var out yamlfile.ErrorList
	for _, e := range errs {
		if k := e.Error(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
