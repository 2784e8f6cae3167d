package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/internal/scriptrun"
	"github.com/tetherflow/tether/policy"
	"github.com/tetherflow/tether/ui"
)

var coverCommand = &Command{
	Name:  "cover",
	Args:  "FLOW... --scripts DIR [--scripts DIR] [--min PERCENT]",
	Short: "report which parts of flows the transcripts exercise",
	Long: `
Cover runs every testscript archive (*.txtar) in the --scripts directories
as the test suite does, with this tether (the commands tether's scripts
use: exec, exec-status, stdout, stderr, cmp, grep, exists, cp, chmod,
stdin, rm, symlink, mkdir and env), and collects the event logs of
the sessions their tether run and tether replay commands run. It then
reports, for each FLOW and each region of its regional policy (regions/
next to the flow, or --regions), how many of the flow's items the
transcripts exercise: every state, every outcome of every run state, every
branch of every handler and every timer, of the flow and its subflows, less
what the region's policy makes unreachable.

A script that fails is an error, reported at the line that failed with the
script's log: what it ran is not what it says, so it would measure the
wrong thing.

Each item not exercised is listed as file:line:col: region: item. The exit
status is 1 when any flow and region is below --min percent (default 0,
report only), 2 for usage errors.

It also reports, for each FLOW and each locale its directory's catalogs
ship (locales/, docs/locales.md), how many of the messages of the flow and
its subflows the locale translates; --min holds them to the same percent,
and each message not translated is listed as file:line:col: locale:
message, with the message's id.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &coverOptions{}
		fs.Var(&o.scripts, "scripts", "a `DIR` of testscript archives (repeatable)")
		fs.Float64Var(&o.min, "min", 0, "fail below this `PERCENT` for any flow and region")
		fs.StringVar(&o.regions, "regions", "", "`DIR` of regional policy overlays (default: regions/ next to each flow)")
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type coverOptions struct {
	scripts stringList
	min     float64
	regions string
	limits  *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// coverLog is one session's log with the region it ran under.
type coverLog struct {
	region string
	flow   string
	log    []eventlog.Entry
}

func (o *coverOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no flow files given")
	}
	if len(o.scripts) == 0 {
		return usagef("--scripts is required")
	}
	for _, path := range args {
		if _, err := os.Stat(env.path(path)); err != nil {
			return missingFlow(path, err)
		}
	}
	var archives []string
	for _, dir := range o.scripts {
		found, err := filepath.Glob(filepath.Join(env.path(dir), "*.txtar"))
		if err != nil || len(found) == 0 {
			return usagef("--scripts %s: no *.txtar archives there", dir)
		}
		archives = append(archives, found...)
	}
	sort.Strings(archives)
	flowsDir := filepath.Dir(env.path(args[0]))

	logs, err := runScripts(ctx, archives, flowsDir)
	if fail, ok := errors.AsType[*scriptrun.Failure](err); ok {
		// What it ran is not what it says: it would measure the wrong thing.
		fmt.Fprintf(env.Stderr, "tether cover: %s\n", fail.Msg)
		for line := range strings.Lines(fail.Log) {
			fmt.Fprintf(env.Stderr, "    %s", line)
		}
		return errReported
	}
	if err != nil {
		return err
	}

	below := false
	var missing, untranslated []string
	for _, path := range args {
		base, cat, err := compiledFlow(env, env.path(path), "", flowSource{regions: o.regions, limits: *o.limits}, exitFail)
		if err != nil {
			return err
		}
		fl := base.Flow
		for _, reg := range regionsOf(cat.Regions()) {
			eff := fl
			if reg.country != "" {
				c, err := cat.Compiled(base.Name, reg.country)
				if err != nil {
					printErrors(env.Stderr, listOf(path, err))
					return errReported
				}
				eff = c.Flow
			}
			var covered []explore.CoverItem
			for _, l := range logs {
				if l.region == reg.name && l.flow == fl.Name() {
					covered = append(covered, explore.Covered(l.log)...)
				}
			}
			cov := explore.Measure(eff, covered)
			n := 0
			for _, ok := range cov.Covered {
				if ok {
					n++
				}
			}
			pct := cov.Percent()
			fmt.Fprintf(env.Stdout, "%-24s %-10s %4d/%-4d %6.1f%%\n", path, reg.name, n, len(cov.Items), pct)
			if pct < o.min {
				below = true
			}
			for _, it := range cov.Missing() {
				missing = append(missing, fmt.Sprintf("%s: %s: %s", it.Pos, reg.name, it))
			}
		}
		// The flow's messages (its subflows' too) each shipped locale
		// translates.
		cats, err := ui.Load(filepath.Join(cat.Dir(), localesDir), flowFiles(cat))
		if err != nil {
			printErrors(env.Stderr, listOf(filepath.Join(cat.Dir(), localesDir), err))
			return errReported
		}
		for _, lc := range cats.Coverage(flowTree(fl)) {
			pct := lc.Percent()
			fmt.Fprintf(env.Stdout, "%-24s %-10s %4d/%-4d %6.1f%% messages\n", path, lc.Locale, lc.Total-len(lc.Missing), lc.Total, pct)
			if pct < o.min {
				below = true
			}
			for _, m := range lc.Missing {
				untranslated = append(untranslated, fmt.Sprintf("%s: %s: message %s has no translation", m.Pos, lc.Locale, m.ID))
			}
		}
	}
	if len(missing) > 0 {
		fmt.Fprintln(env.Stdout, "\nnot exercised:")
		for _, m := range missing {
			fmt.Fprintln(env.Stdout, m)
		}
	}
	if len(untranslated) > 0 {
		fmt.Fprintln(env.Stdout, "\nnot translated:")
		for _, m := range untranslated {
			fmt.Fprintln(env.Stdout, m)
		}
	}
	if below {
		fmt.Fprintf(env.Stderr, "tether cover: below --min %.1f%%\n", o.min)
		return errReported
	}
	return nil
}

type coverRegion struct{ name, country string }

// regionsOf returns the default region and every region of the overlays
// that lists a country (one country stands for the region).
func regionsOf(set *policy.Set) []coverRegion {
	out := []coverRegion{{name: policy.DefaultRegion}}
	for _, r := range set.Regions() {
		if len(r.Countries) > 0 {
			out = append(out, coverRegion{name: r.Name, country: r.Countries[0]})
		}
	}
	return out
}

// flowTree returns the syntax trees of fl and of every flow it runs, at
// any depth, each once.
func flowTree(fl *engine.Flow) []*syntax.File {
	seen := map[*flowinfo.Flow]bool{}
	var out []*syntax.File
	var walk func(f *flowinfo.Flow)
	walk = func(f *flowinfo.Flow) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		out = append(out, f.File)
		for _, name := range slices.Sorted(maps.Keys(f.Subflows)) {
			walk(f.Subflows[name])
		}
	}
	walk(fl.Info())
	return out
}
