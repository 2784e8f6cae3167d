package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/policy"
)

var policyCommand = &Command{
	Name:  "policy",
	Args:  "show FLOW [--country CC] | diff FLOW CC1 CC2 | list FLOW",
	Short: "show, compare and list regional policies",
	Long: `
Policy shows how the regional overlays (regions/*.yaml next to the flow
FLOW, or --regions DIR) change a flow's policy values per country. A
country is an ISO 3166-1 alpha-2 code (DE); a region is an overlay
(eu-de), which lists the countries it applies in. The flow and every
overlay are checked first; problems are reported as validate does, all at
once, and the command exits 1.

  tether policy show FLOW --country CC
	the effective policy for country CC: each key, its value and the
	file:line it comes from (the flow's default or the overlay that set
	it). Without --country, the defaults.

  tether policy diff FLOW CC1 CC2
	the keys whose values differ between the countries CC1 and CC2, each
	with its source, and the states that become reachable or unreachable
	when guards that read only policy values are decided: the consent
	states between US and DE, say.

  tether policy list FLOW
	the regions, their parents, files and countries. Countries in no
	region get the flow's defaults: region default.

See docs/policy.md for the overlay format.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &policyOptions{}
		countryFlag(fs, &o.country, "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) whose policy show prints")
		fs.StringVar(&o.regions, "regions", "", "`DIR` of regional overlays (default: regions/ next to the flow)")
		o.limits = budgetFlags(fs)
		return func(ctx context.Context, env *Env, args []string) error {
			fs.Visit(func(f *flag.Flag) { o.set = append(o.set, f.Name) })
			return runPolicy(env, o, args)
		}
	},
}

type policyOptions struct {
	country string
	regions string
	set     []string         // flags given on the command line
	limits  *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func runPolicy(env *Env, o *policyOptions, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: show, diff or list")
	}
	sub, args := args[0], args[1:]
	if sub != "show" && (slices.Contains(o.set, "country") || slices.Contains(o.set, "region")) {
		return usagef("--country is for policy show; policy %s takes countries as arguments", sub)
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
	if sub == "show" && o.country != "" {
		countries = []string{o.country}
	}
	path := env.path(args[0])
	base, cat, err := compiledFlow(env, path, "", flowSource{regions: o.regions, limits: *o.limits}, exitFail)
	if err != nil {
		return err
	}
	for _, cc := range countries {
		if _, err := cat.Compiled(base.Name, cc); errors.Is(err, catalog.ErrCountry) {
			return usagef("%v", err)
		}
	}
	switch sub {
	case "show":
		return policyShow(env.Stdout, cat, base, o.country)
	case "diff":
		return policyDiff(env.Stdout, cat, base, countries[0], countries[1])
	}
	return policyList(env.Stdout, path, cat.Regions())
}

func policyShow(w io.Writer, cat *catalog.Catalog, base *catalog.Compiled, country string) error {
	eff := base
	if country != "" {
		var err error
		if eff, err = cat.Compiled(base.Name, country); err != nil {
			return err
		}
		fmt.Fprintf(w, "flow %s (%s), country %s: region %s\n", base.Name, base.Path, country, regionLine(eff.Region))
	} else {
		fmt.Fprintf(w, "flow %s (%s): defaults\n", base.Name, base.Path)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	info := eff.Flow.Info()
	for _, k := range info.PolicyKeys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, value.Quote(info.Policy[k]), source(info.PolicySources[k]))
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
func source(p yamlfile.Pos) string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func policyDiff(w io.Writer, cat *catalog.Catalog, base *catalog.Compiled, a, b string) error {
	ca, err := cat.Compiled(base.Name, a)
	if err != nil {
		return err
	}
	cb, err := cat.Compiled(base.Name, b)
	if err != nil {
		return err
	}
	fl, effA, effB := base.Flow, ca.Flow, cb.Flow
	fmt.Fprintf(w, "flow %s: %s (region %s) -> %s (region %s)\n", fl.Name(), a, ca.Region.Name, b, cb.Region.Name)
	infoA, infoB := effA.Info(), effB.Info()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	for _, k := range fl.Info().PolicyKeys {
		va, vb := value.Quote(infoA.Policy[k]), value.Quote(infoB.Policy[k])
		if va == vb {
			continue
		}
		n++
		pa, pb := infoA.PolicySources[k], infoB.PolicySources[k]
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
	reachA, reachB := infoA.Reachable, infoB.Reachable
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
