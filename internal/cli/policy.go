package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/policy"
)

var policyCommand = &Command{
	Name:  "policy",
	Args:  "show FLOW [--region CC] | diff FLOW CC1 CC2 | list FLOW",
	Short: "show, compare and list regional policies",
	Long: `
Policy shows how the regional overlays (regions/*.yaml next to the flow,
or --regions DIR) change a flow's policy values per country. The flow and
every overlay are checked first; problems are reported as validate does,
all at once, and the command exits 1.

  tether policy show FLOW --region CC
	the effective policy for country CC (ISO 3166-1 alpha-2, e.g. DE):
	each key, its value and the file:line it comes from (the flow's
	default or the overlay that set it). Without --region, the defaults.

  tether policy diff FLOW CC1 CC2
	the keys whose values differ between CC1 and CC2, each with its
	source, and the states that become reachable or unreachable when
	guards that read only policy values are decided: the consent states
	between US and DE, say.

  tether policy list FLOW
	the regions, their parents, files and countries. Countries in no
	region get the flow's defaults: region default.

See docs/policy.md for the overlay format.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &policyOptions{}
		fs.StringVar(&o.region, "region", "", "country `CC` (ISO 3166-1 alpha-2) whose policy show prints")
		fs.StringVar(&o.regions, "regions", "", "directory of regional overlays (default: regions/ next to the flow)")
		return func(ctx context.Context, env *Env, args []string) error {
			fs.Visit(func(f *flag.Flag) { o.set = append(o.set, f.Name) })
			return runPolicy(env, o, args)
		}
	},
}

type policyOptions struct {
	region  string
	regions string
	set     []string // flags given on the command line
}

func runPolicy(env *Env, o *policyOptions, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: show, diff or list")
	}
	sub, args := args[0], args[1:]
	if sub != "show" && slices.Contains(o.set, "region") {
		return usagef("--region is for policy show; policy %s takes countries as arguments", sub)
	}
	var want int
	switch sub {
	case "show", "list":
		want = 1
	case "diff":
		want = 3
	default:
		return usagef("unknown subcommand %q: want show, diff or list", sub)
	}
	if len(args) != want {
		if sub == "diff" {
			return usagef("policy diff wants a flow file and two countries, got %d arguments", len(args))
		}
		return usagef("policy %s wants one flow file, got %d arguments", sub, len(args))
	}
	countries := args[1:]
	if sub == "show" && o.region != "" {
		countries = []string{o.region}
	}
	for _, cc := range countries {
		if !policy.ValidCountry(cc) {
			return usagef("bad country %q: want an ISO 3166-1 alpha-2 code in upper case, e.g. DE", cc)
		}
	}
	path := args[0]
	fl, set, err := loadPolicy(path, o.regions)
	if err != nil {
		var list engine.ErrorList
		if errors.As(err, &list) {
			printErrors(env.Stderr, list)
			return errReported
		}
		return err
	}
	switch sub {
	case "show":
		return policyShow(env.Stdout, path, fl, set, o.region)
	case "diff":
		return policyDiff(env.Stdout, fl, set, countries[0], countries[1])
	}
	return policyList(env.Stdout, path, set)
}

// regionsDir is where the overlays for the flow at path are: dir when
// given, regions/ next to the flow otherwise.
func regionsDir(path, dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(filepath.Dir(path), "regions")
}

// loadPolicy compiles the flow at path and loads and checks its overlays
// (see loadRegions). Problems in the flow and in the overlays come back
// together as an engine.ErrorList.
func loadPolicy(path, dir string) (*engine.Flow, *policy.Set, error) {
	fl, err := compileFlow(path)
	if err != nil {
		errs := flowErrors(path, err)
		rdir := regionsDir(path, dir)
		if _, rerr := policy.Load(rdir); rerr != nil && !(dir == "" && errors.Is(rerr, fs.ErrNotExist)) {
			errs = append(errs, regionErrors(rdir, rerr)...)
		}
		errs.Sort()
		return nil, nil, errs
	}
	set, err := loadRegions(fl, path, dir)
	if err != nil {
		return nil, nil, err
	}
	return fl, set, nil
}

// loadRegions loads the overlays for fl, compiled from path, from dir (see
// regionsDir) and checks them against fl, its subflows and any other flow
// they name that is found next to it. A missing default regions directory
// is an empty set; a missing --regions directory is an error. Problems in
// the overlays are an engine.ErrorList.
func loadRegions(fl *engine.Flow, path, dir string) (*policy.Set, error) {
	rdir := regionsDir(path, dir)
	set, err := policy.Load(rdir)
	switch {
	case set == nil && dir == "" && errors.Is(err, fs.ErrNotExist):
		return &policy.Set{}, nil
	case set == nil:
		return nil, regionErrors(rdir, err)
	}
	var errs engine.ErrorList
	if err != nil {
		errs = append(errs, regionErrors(rdir, err)...)
	}
	if err := set.Check(knownFlows(path, fl, set)); err != nil {
		errs = append(errs, regionErrors(rdir, err)...)
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return set, nil
}

// regionErrors turns what loading the overlays in dir returned into
// positioned errors, as flowErrors does for a flow.
func regionErrors(dir string, err error) engine.ErrorList {
	var list engine.ErrorList
	if errors.As(err, &list) {
		return list
	}
	msg := err.Error()
	if perr, ok := errors.AsType[*fs.PathError](err); ok {
		msg = perr.Err.Error()
	}
	return engine.ErrorList{{Pos: engine.Pos{File: dir}, Msg: "regions directory: " + msg}}
}

// knownFlows returns the flows overlays may set values for: fl, its
// subflows, and NAME.yaml next to fl for any other flow an overlay names,
// when it compiles to a flow of that name.
func knownFlows(path string, fl *engine.Flow, set *policy.Set) map[string]*engine.Flow {
	flows := map[string]*engine.Flow{}
	var add func(f *engine.Flow)
	add = func(f *engine.Flow) {
		if flows[f.Name()] != nil {
			return
		}
		flows[f.Name()] = f
		for _, sub := range f.Subflows() {
			add(sub)
		}
	}
	add(fl)
	for _, name := range set.FlowNames() {
		if flows[name] != nil {
			continue
		}
		if other, err := compileFlow(filepath.Join(filepath.Dir(path), name+".yaml")); err == nil && other.Name() == name {
			add(other)
		}
	}
	return flows
}

func policyShow(w io.Writer, path string, fl *engine.Flow, set *policy.Set, country string) error {
	eff, r := fl, set.ForCountry("")
	if country != "" {
		var err error
		if eff, r, err = set.Effective(fl, country); err != nil {
			return err
		}
		fmt.Fprintf(w, "flow %s (%s), country %s: region %s\n", fl.Name(), path, country, regionLine(r))
	} else {
		fmt.Fprintf(w, "flow %s (%s): defaults\n", fl.Name(), path)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pol := eff.Policy()
	for _, k := range eff.PolicyKeys() {
		pos, _ := eff.PolicySource(k)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, engine.PolicyString(pol[k]), source(pos))
	}
	return tw.Flush()
}

// regionLine is the region's name with its parents: "eu-de, extends eu".
func regionLine(r *policy.Region) string {
	line := r.Lineage()
	names := make([]string, len(line))
	for i, p := range line {
		names[i] = p.Name
	}
	if len(names) == 1 {
		return names[0]
	}
	return names[0] + ", extends " + strings.Join(names[1:], ", extends ")
}

// source formats where a value was set as file:line, the column being
// noise for a whole line of YAML.
func source(p engine.Pos) string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func policyDiff(w io.Writer, fl *engine.Flow, set *policy.Set, a, b string) error {
	effA, ra, err := set.Effective(fl, a)
	if err != nil {
		return err
	}
	effB, rb, err := set.Effective(fl, b)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "flow %s: %s (region %s) -> %s (region %s)\n", fl.Name(), a, ra.Name, b, rb.Name)
	polA, polB := effA.Policy(), effB.Policy()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	for _, k := range fl.PolicyKeys() {
		va, vb := engine.PolicyString(polA[k]), engine.PolicyString(polB[k])
		if va == vb {
			continue
		}
		n++
		pa, _ := effA.PolicySource(k)
		pb, _ := effB.PolicySource(k)
		fmt.Fprintf(tw, "\n%s\n", k)
		fmt.Fprintf(tw, "  - %s:\t%s\t%s\n", a, va, source(pa))
		fmt.Fprintf(tw, "  + %s:\t%s\t%s\n", b, vb, source(pb))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(w, "\nno policy values differ\n")
	}
	reachA, reachB := effA.PolicyReachable(), effB.PolicyReachable()
	fmt.Fprintf(w, "\nstates reachable only in %s: %s\n", b, listOrNone(minus(reachB, reachA)))
	fmt.Fprintf(w, "states reachable only in %s: %s\n", a, listOrNone(minus(reachA, reachB)))
	return nil
}

// minus returns the elements of a that are not in b, in a's order.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func policyList(w io.Writer, path string, set *policy.Set) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "REGION\tEXTENDS\tFILE\tCOUNTRIES\n")
	for _, r := range set.Regions() {
		cs := slices.Clone(r.Countries)
		sort.Strings(cs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, orDash(r.Extends), r.File, listOrNone(cs))
	}
	fmt.Fprintf(tw, "%s\t-\t%s\tevery other country\n", policy.DefaultRegion, path)
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
