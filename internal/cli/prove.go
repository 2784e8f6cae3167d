package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
)

// proveOptions are validate's flags for the proofs of flows' properties.
type proveOptions struct {
	maxConfigs int
	cxDir      string // write counterexamples here; "" prints them only
}

// proofJob is one flow file under one region's policy, standing for the
// regions whose policy decides alike (explore.DecisivePolicy).
type proofJob struct {
	path    string // the flow file
	c       *catalog.Compiled
	region  string   // the region's name, "default" for the flow's own policy
	country string   // a country of the region, "" for the default
	also    []string // the other regions it stands for
	proof   *explore.Proof
	err     error
}

// regionJobs lists, for the valid flow file path of cat, one compiled
// flow per group of regions whose policy values decide alike, the
// default first: a region that changes only what a session shows or
// passes to actions (a document's name) proves nothing new. A flow that
// does not compile in a region (an overlay's problem, which validate
// reports) is not proven.
func regionJobs(cat *catalog.Catalog, path string) (jobs []*proofJob, regions int) {
	c, err := cat.CompiledFile(path, "")
	if err != nil || len(c.Flow.Info().Properties) == 0 {
		return nil, 0
	}
	jobs = []*proofJob{{path: path, c: c, region: "default"}}
	byKey := map[string]*proofJob{decisiveKey(c): jobs[0]}
	regions = 1
	for _, r := range cat.Regions().Regions() {
		if len(r.Countries) == 0 {
			continue // no session runs under it
		}
		rc, err := cat.CompiledFile(path, r.Countries[0])
		if err != nil {
			return nil, 0
		}
		regions++
		k := decisiveKey(rc)
		if j, ok := byKey[k]; ok {
			j.also = append(j.also, r.Name)
			continue
		}
		j := &proofJob{path: path, c: rc, region: r.Name, country: r.Countries[0]}
		byKey[k] = j
		jobs = append(jobs, j)
	}
	return jobs, regions
}

// decisiveKey identifies the policy values of c that decide what a proof
// finds.
func decisiveKey(c *catalog.Compiled) string {
	vals := explore.DecisivePolicy(c.Flow)
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%#v;", k, vals[k])
	}
	return b.String()
}

// runProofs proves every job, as many at once as there are cores.
func runProofs(ctx context.Context, jobs []*proofJob, opts explore.ProveOptions) {
	next := make(chan *proofJob)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for j := range next {
				j.proof, j.err = explore.Prove(ctx, j.c.Flow, opts)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

// proofReport is what the proofs of one flow file say: problems (a
// property violated, or not proven within the budget) and warnings.
type proofReport struct {
	problems, warnings []string
	properties         int
}

// report reads the proofs of one flow file's jobs.
func (o *proveOptions) report(env *Env, jobs []*proofJob) (*proofReport, error) {
	rep := &proofReport{}
	for _, j := range jobs {
		if j.err != nil {
			return nil, j.err
		}
		info := j.c.Flow.Info()
		rep.properties = len(info.Properties)
		for i, v := range j.proof.Verdicts {
			prop := &info.Properties[i]
			where := fmt.Sprintf("%s: property %s", prop.Pos, v.Name)
			in := "in region " + j.region
			if j.country != "" {
				in += " (" + j.country + ")"
			}
			if len(j.also) > 0 {
				in += ", as in " + strings.Join(j.also, ", ")
			}
			switch v.Status {
			case explore.Holds:
				if v.Vacuous {
					rep.warnings = append(rep.warnings, fmt.Sprintf("%s: warning: property %s holds vacuously %s: its when: holds at no point of any path", prop.Pos, v.Name, in))
				}
			case explore.Unknown:
				rep.problems = append(rep.problems, fmt.Sprintf("%s is not proven %s: the search stopped at %d configurations (--max-configs), and a search cut short proves nothing", where, in, j.proof.MaxConfigs))
			case explore.Violated, explore.Failed:
				msg, err := o.counterexample(env, j, prop, v, where, in)
				if err != nil {
					return nil, err
				}
				rep.problems = append(rep.problems, msg)
			}
		}
	}
	return rep, nil
}

// counterexample describes a broken property: where, why, and the path
// that breaks it, each step at its state's position, written as a path
// file into o.cxDir when it is set.
func (o *proveOptions) counterexample(env *Env, j *proofJob, prop *flowinfo.Property, v explore.Verdict, where, in string) (string, error) {
	var b strings.Builder
	switch v.Status {
	case explore.Failed:
		fmt.Fprintf(&b, "%s cannot be evaluated %s: %v", where, in, v.Err)
	default:
		fmt.Fprintf(&b, "%s is violated %s: %s", where, in, v.Message)
	}
	if v.Why != "" {
		fmt.Fprintf(&b, "\n\t%s", v.Why)
	}
	if v.Path == nil {
		return b.String(), nil
	}
	flow := j.c.Flow.Name()
	replay := "tether replay " + j.path
	if j.country != "" {
		replay += " --country " + j.country
	}
	if o.cxDir != "" {
		name := filepath.Join(o.cxDir, fmt.Sprintf("%s-%s-%s.yaml", flow, j.region, v.Name))
		replay += " --path " + name
		data := fmt.Appendf(nil, "# A counterexample to property %s of %s %s: %s\n", v.Name, j.path, in, v.Message)
		data = fmt.Appendf(data, "# %s\n", replay)
		data = append(data, v.Path.Format(flow)...)
		if err := os.MkdirAll(env.path(o.cxDir), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(env.path(name), data, 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n\tcounterexample: %s", replay)
	} else {
		fmt.Fprintf(&b, "\n\tcounterexample (write it with --counterexamples DIR, run it with %s --path FILE):", replay)
	}
	info := j.c.Flow.Info()
	for i, st := range v.Path.Steps {
		mark := ""
		if i+1 == v.At && v.Why == "" {
			mark = "  <- breaks it"
		}
		fmt.Fprintf(&b, "\n\t%s: %s%s", statePos(info, st.Flow, st.State), st.Format(flow), mark)
	}
	if w := v.Path.Wait; w != nil {
		fmt.Fprintf(&b, "\n\t%s: %s (waiting)", statePos(info, w.Flow, w.State), strings.TrimSuffix(w.Format(flow), ":"))
	}
	return b.String(), nil
}

// statePos returns where state of flow (root's for "") is declared.
func statePos(root *flowinfo.Flow, flow, state string) yamlfile.Pos {
	info := root
	if flow != "" && flow != root.Name {
		if sub := findSubflow(root, flow, map[*flowinfo.Flow]bool{}); sub != nil {
			info = sub
		}
	}
	for _, s := range info.States {
		if s.Name == state {
			return s.Pos
		}
	}
	return yamlfile.Pos{File: info.File.Path}
}

func findSubflow(f *flowinfo.Flow, name string, seen map[*flowinfo.Flow]bool) *flowinfo.Flow {
	if seen[f] {
		return nil
	}
	seen[f] = true
	for n, sub := range f.Subflows {
		if n == name {
			return sub
		}
		if s := findSubflow(sub, name, seen); s != nil {
			return s
		}
	}
	return nil
}

// flows proves the properties of the valid flow files oks of cat in
// every region, and returns validate's lines for them (FILE: ok, and what
// was proven) and the problems the proofs found.
func (o *proveOptions) flows(ctx context.Context, env *Env, cat *catalog.Catalog, oks []string) (lines, problems, warnings []string, err error) {
	byFile := make([][]*proofJob, len(oks))
	regions := make([]int, len(oks))
	var all []*proofJob
	for i, path := range oks {
		byFile[i], regions[i] = regionJobs(cat, path)
		all = append(all, byFile[i]...)
	}
	runProofs(ctx, all, explore.ProveOptions{MaxConfigs: o.maxConfigs})
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	for i, path := range oks {
		if len(byFile[i]) == 0 {
			lines = append(lines, path+": ok")
			continue
		}
		rep, err := o.report(env, byFile[i])
		if err != nil {
			return nil, nil, nil, err
		}
		warnings = append(warnings, rep.warnings...)
		problems = append(problems, rep.problems...)
		if len(rep.problems) > 0 {
			continue
		}
		word := "region"
		if regions[i] > 1 {
			word = "regions"
		}
		lines = append(lines, path+": ok",
			fmt.Sprintf("%s: %d properties proven in %d %s", path, rep.properties, regions[i], word))
	}
	return lines, problems, warnings, nil
}
