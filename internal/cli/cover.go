package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/policy"
)

var coverCommand = &Command{
	Name:  "cover",
	Args:  "FLOW... --scripts DIR [--scripts DIR] [--min PERCENT]",
	Short: "report which parts of flows the transcripts exercise",
	Long: `
Cover runs the tether run and tether replay commands of every testscript
archive (*.txtar) in the --scripts directories, as the test suite does, and
collects their event logs. It then reports, for each FLOW and each region of
its regional policy (regions/ next to the flow, or --regions), how many of
the flow's items the transcripts exercise: every state, every outcome of
every run state, every branch of every handler and every timer, of the flow
and its subflows, less what the region's policy makes unreachable.

Each item not exercised is listed as file:line:col: region: item. The exit
status is 1 when any flow and region is below --min percent (default 0,
report only), 2 for usage errors.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &coverOptions{}
		fs.Var(&o.scripts, "scripts", "a `dir` of testscript archives (repeatable)")
		fs.Float64Var(&o.min, "min", 0, "fail below this `percent` for any flow and region")
		fs.StringVar(&o.regions, "regions", "", "directory of regional policy overlays (default: regions/ next to each flow)")
		return o.run
	},
}

type coverOptions struct {
	scripts stringList
	min     float64
	regions string
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// coverLog is one session's log with the region it ran under.
type coverLog struct {
	region string
	flow   string
	log    []engine.Entry
}

func (o *coverOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no flow files given")
	}
	if len(o.scripts) == 0 {
		return usagef("--scripts is required")
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

	var logs []coverLog
	for _, a := range archives {
		got, err := runArchive(ctx, env, a, flowsDir)
		if err != nil {
			fmt.Fprintf(env.Stderr, "tether cover: %s: %v\n", a, err)
			return errReported
		}
		logs = append(logs, got...)
	}

	below := false
	var missing []string
	for _, path := range args {
		fl, err := compileFlow(env.path(path))
		if err != nil {
			printErrors(env.Stderr, flowErrors(path, err))
			return errReported
		}
		for _, reg := range regionsOf(env.path(o.regions), env.path(path)) {
			eff := fl
			if reg.country != "" {
				if _, _, err := regionalFlow(&eff, env.path(path), env.path(o.regions), reg.country); err != nil {
					printErrors(env.Stderr, flowErrors(path, err))
					return errReported
				}
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
	}
	if len(missing) > 0 {
		fmt.Fprintln(env.Stdout, "\nnot exercised:")
		for _, m := range missing {
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
func regionsOf(dir, flowPath string) []coverRegion {
	if dir == "" {
		dir = filepath.Join(filepath.Dir(flowPath), "regions")
	}
	out := []coverRegion{{name: policy.DefaultRegion}}
	set, err := policy.Load(dir)
	if err != nil || set == nil {
		return out
	}
	for _, r := range set.Regions() {
		if len(r.Countries) > 0 {
			out = append(out, coverRegion{name: r.Name, country: r.Countries[0]})
		}
	}
	return out
}

// runArchive runs the tether run and replay commands of one testscript
// archive in a scratch directory holding the archive's files over a copy
// of flowsDir (as flows/), and returns their sessions' logs.
func runArchive(ctx context.Context, env *Env, path, flowsDir string) ([]coverLog, error) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tether-cover-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.CopyFS(filepath.Join(dir, "flows"), os.DirFS(flowsDir)); err != nil {
		return nil, err
	}
	for _, f := range ar.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) {
			return nil, fmt.Errorf("file %q of the archive is outside its directory", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return nil, err
		}
	}
	var logs []coverLog
	sub := &Env{
		Stdout: io.Discard, Stderr: io.Discard, Getenv: env.Getenv, commands: env.commands, dir: dir,
		observe: func(region string, fl *engine.Flow, log []engine.Entry) {
			logs = append(logs, coverLog{region: region, flow: fl.Name(), log: log})
		},
	}
	stdin := ""
	for n, line := range strings.Split(string(ar.Comment), "\n") {
		words := scriptWords(line)
		want := 0 // the exit status the script expects; -1: any but 0
		if len(words) > 0 && words[0] == "!" {
			words, want = words[1:], -1
		}
		switch {
		case len(words) == 0:
			continue
		case words[0] == "stdin" && len(words) == 2:
			stdin = words[1]
			continue
		case words[0] == "exec-status" && len(words) > 1:
			status, err := strconv.Atoi(words[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: exec-status %q is not an exit status", n+1, words[1])
			}
			words, want = append([]string{"exec"}, words[2:]...), status
		}
		if len(words) < 3 || words[0] != "exec" || words[1] != "tether" || (words[2] != "run" && words[2] != "replay") {
			if len(words) > 0 && strings.HasPrefix(words[0], "exec") {
				stdin = ""
			}
			continue
		}
		sub.Stdin = strings.NewReader("")
		if stdin != "" {
			data, err := os.ReadFile(filepath.Join(dir, stdin))
			if err != nil {
				return nil, err
			}
			sub.Stdin = strings.NewReader(string(data))
			stdin = ""
		}
		argv := words[2:]
		for i, a := range argv {
			argv[i] = strings.ReplaceAll(a, "$WORK", dir)
		}
		// A command that does not do what its script expects says the
		// archive is broken: its logs would measure the wrong thing.
		if got := sub.main(ctx, argv); (want >= 0 && got != want) || (want < 0 && got == 0) {
			expect := fmt.Sprint(want)
			if want < 0 {
				expect = "a failure"
			}
			return nil, fmt.Errorf("line %d: tether %s exited %d, the script expects %s", n+1, strings.Join(words[2:], " "), got, expect)
		}
	}
	return logs, nil
}

// scriptWords splits a testscript line into words: blanks separate them,
// single quotes group them, # starts a comment.
func scriptWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range strings.TrimSpace(line) {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case !quoted && r == '#' && !in:
			return words
		case !quoted && (r == ' ' || r == '\t'):
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
