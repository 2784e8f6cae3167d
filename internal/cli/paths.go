package cli

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
)

var pathsCommand = &Command{
	Name:  "paths",
	Args:  "FLOW [--country CC] [--write DIR] [flags]",
	Short: "list the distinct paths through a flow",
	Long: `
Paths lists the distinct paths through the flow FLOW (a flow file): every
outcome each action declares, every choice each prompt offers, and a
prompt's earliest timer firing, each explored in turn. The flow really
runs, on actions that return the outcome the path dictates, so guards
choose branches as they would for real. With --country CC (ISO 3166-1
alpha-2, e.g. DE) the regional policy of that country applies, so a
country where consent is required has paths through the consent prompt.

Each line is a path: its number, its decisions (state:outcome,
state:choice, state:(timer); subflow states as flow/state) and how it
ends. Loops are bounded: a path that would decide at one state more than
--max-visits times is cut there and listed as cut; --max-paths stops the
search. The last line says how many paths the bounds cut short.

With --write DIR, paths also writes (replacing the scripts an earlier
write left there for the same flow and country), for every path that ends,
a testscript replay-FLOW-CC-N.txtar (cc in lower case, or default) into
that directory that replays it with tether replay and compares the
transcript with the golden copy it holds. Run it from the directory the
scripts will run in (the repository root, whose flows/ the testscripts
copy), so that the flow's path in the scripts is the one given here. See
docs/paths.md.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &pathsOptions{}
		countryFlag(fs, &o.country, "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) whose regional policy applies")
		fs.StringVar(&o.regions, "regions", "", "`DIR` of regional policy overlays (default: regions/ next to the flow)")
		fs.IntVar(&o.maxVisits, "max-visits", explore.DefaultMaxVisits, "cut a path that would decide at one state more than `N` times")
		fs.IntVar(&o.maxPaths, "max-paths", explore.DefaultMaxPaths, "stop after `N` paths")
		fs.StringVar(&o.write, "write", "", "write a replay testscript for every path that ends into `DIR`")
		fs.BoolVar(&o.dedup, "dedup", false, "end a path where an earlier path already was in the same configuration (then loops need no tight --max-visits)")
		fs.BoolVar(&o.cover, "cover", false, "with --write, write only paths that together take every branch the listed paths take")
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type pathsOptions struct {
	country, regions    string
	maxVisits, maxPaths int
	write               string
	dedup, cover        bool
	limits              *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func (o *pathsOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("paths takes one flow file")
	}
	if o.maxVisits < 1 || o.maxPaths < 1 {
		return usagef("--max-visits and --max-paths must be at least 1")
	}
	path := args[0]
	c, _, err := compiledFlow(env, env.path(path), o.country, flowSource{regions: o.regions, limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	fl, region := c.Flow, regionHeader(c)
	set, err := explore.Paths(ctx, fl, explore.PathOptions{MaxVisits: o.maxVisits, MaxPaths: o.maxPaths, Dedup: o.dedup})
	if err != nil {
		return err
	}
	// Thousands of lines: one write for many, and each built in place.
	out := bufio.NewWriter(env.Stdout)
	width := len(strconv.Itoa(len(set.Paths)))
	var line []byte
	for i, p := range set.Paths {
		line = appendPathLine(fmt.Appendf(line[:0], "%*d  ", width, i+1), fl.Name(), &p)
		out.Write(append(line, '\n'))
	}
	fmt.Fprintf(out, "%d paths (%d back where they had been), %d cut by --max-visits, %d by --max-paths\n", len(set.Paths), set.Loops, set.CutByVisits, set.CutByPaths)
	if err := out.Flush(); err != nil {
		return err
	}
	if o.write == "" {
		return nil
	}
	return o.writeScripts(ctx, env, path, fl, region, set)
}

// pathLine is a path's decisions, joined, and how it ends.
func pathLine(root string, p *explore.Path) string {
	return string(appendPathLine(nil, root, p))
}

// appendPathLine appends pathLine to b.
func appendPathLine(b []byte, root string, p *explore.Path) []byte {
	for _, st := range p.Steps {
		b = append(st.AppendFormat(b, root), ' ')
	}
	return append(append(b, "-> "...), pathEnd(root, p)...)
}

func pathEnd(root string, p *explore.Path) string {
	at := strings.TrimSuffix(explore.PathStep{Flow: p.Flow, State: p.State}.Format(root), ":")
	switch p.End {
	case explore.EndCut:
		return "cut at " + at + " (--max-visits)"
	case explore.EndLoop:
		return "back at " + at
	case explore.EndError:
		return "error: " + p.Err.Error()
	}
	return p.Outcome.Name
}

// writeScripts writes one replay testscript per path that ends, each with
// its path file and its golden transcript, produced by the same code as
// tether replay.
func (o *pathsOptions) writeScripts(ctx context.Context, env *Env, path string, fl *engine.Flow, region string, set *explore.PathSet) error {
	if err := os.MkdirAll(o.write, 0o777); err != nil {
		return err
	}
	start, err := time.Parse(time.RFC3339, explore.DefaultPathStart)
	if err != nil {
		return err
	}
	flowArg := filepath.ToSlash(path)
	tag, regionArgs := "default", ""
	if o.country != "" {
		tag, regionArgs = strings.ToLower(o.country), " --country "+o.country
	}
	if o.regions != "" {
		regionArgs += " --regions " + filepath.ToSlash(o.regions)
	}
	// The scripts of an earlier write for this flow and country go: the
	// directory holds what this write found, not a mix.
	stale, err := filepath.Glob(filepath.Join(o.write, fmt.Sprintf("replay-%s-%s-*.txtar", fl.Name(), tag)))
	if err != nil {
		return err
	}
	for _, name := range stale {
		if err := os.Remove(name); err != nil {
			return err
		}
	}
	width := max(3, len(fmt.Sprint(len(set.Paths))))
	written := 0
	var replayable []explore.Path
	var index []int
	for i, p := range set.Paths {
		if (p.End == explore.EndCut || p.End == explore.EndLoop) && !p.Waiting {
			continue // stopped inside a step: a replay cannot stop there
		}
		replayable, index = append(replayable, p), append(index, i)
	}
	if o.cover {
		var picked []int
		for _, k := range explore.CoveringPaths(replayable) {
			picked = append(picked, index[k])
		}
		index = picked
	}
	for _, i := range index {
		p := set.Paths[i]
		var transcript bytes.Buffer
		pf := p.File()
		if err := replayPath(ctx, &Env{Stdout: &transcript}, fl, region, "", pf, start); err != nil {
			return fmt.Errorf("path %d does not replay: %w", i+1, err)
		}
		comment := fmt.Sprintf(`# Path %d of %s, %s:
# %s
#
# Generated by tether paths; do not edit. To regenerate, see docs/testing.md.

exec tether replay %s --path path.yaml%s --clock %s
cmp stdout transcript
`, i+1, fl.Name(), countryName(o.country), pathLine(fl.Name(), &p), flowArg, regionArgs, explore.DefaultPathStart)
		var ar bytes.Buffer
		ar.WriteString(comment)
		fmt.Fprintf(&ar, "\n-- path.yaml --\n%s-- transcript --\n%s", pf.Format(fl.Name()), transcript.Bytes())
		name := fmt.Sprintf("replay-%s-%s-%0*d.txtar", fl.Name(), tag, width, i+1)
		if err := os.WriteFile(filepath.Join(o.write, name), ar.Bytes(), 0o666); err != nil {
			return err
		}
		written++
	}
	fmt.Fprintf(env.Stderr, "wrote %d replay scripts to %s\n", written, o.write)
	return nil
}

// countryName says which policy a country code stands for.
func countryName(cc string) string {
	if cc == "" {
		return "the flow's defaults"
	}
	return "country " + cc
}
