package testscripts_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/policy"
)

// replayScript is one generated replay: its tether arguments, path file
// and golden transcript.
type replayScript struct {
	name       string
	args       []string
	path, want []byte
}

func loadReplays(t testing.TB) []replayScript {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(generatedDir, "replay-*.txtar"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no generated replays in %s: %v", generatedDir, err)
	}
	var out []replayScript
	for _, n := range names {
		ar, err := txtar.ParseFile(n)
		if err != nil {
			t.Fatal(err)
		}
		rs := replayScript{name: filepath.Base(n)}
		for _, line := range strings.Split(string(ar.Comment), "\n") {
			if rest, ok := strings.CutPrefix(line, "exec tether "); ok {
				rs.args = strings.Fields(rest)
			}
		}
		for _, f := range ar.Files {
			switch f.Name {
			case "path.yaml":
				rs.path = f.Data
			case "transcript":
				rs.want = f.Data
			}
		}
		if rs.args == nil || rs.path == nil || rs.want == nil {
			t.Fatalf("%s is not a generated replay", n)
		}
		out = append(out, rs)
	}
	return out
}

// mutant is connect.yaml with one change to its transitions.
type mutant struct {
	desc string
	src  []byte
}

// mutants returns connect.yaml re-encoded unchanged, and a mutant per
// transition (its target replaced by the first state after it, in
// declaration order, that leaves a flow the checker accepts, so that the
// replays rather than the checker must notice; the next state when none
// does) and per branch of a handler with several (that branch dropped). A
// handler's only branch is dropped by dropping the handler, which the
// checker must refuse.
func mutants(t *testing.T, src []byte, valid func([]byte) bool) (base []byte, out []mutant) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	encode := func() []byte {
		b, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	states := mapValue(doc.Content[0], "states")
	var names []string
	for i := 0; i < len(states.Content); i += 2 {
		names = append(names, states.Content[i].Value)
	}
	next := func(name string) string {
		i := slices.Index(names, name)
		return names[(i+1)%len(names)]
	}
	retarget := func(where string, n *yaml.Node) {
		old := n.Value
		n.Value = next(old)
		m := encode()
		for cand := n.Value; ; {
			n.Value = cand
			if b := encode(); valid(b) {
				m = b
				break
			}
			if cand = next(cand); cand == old {
				n.Value = next(old)
				break
			}
		}
		out = append(out, mutant{fmt.Sprintf("%s: go %s instead of %s", where, n.Value, old), m})
		n.Value = old
	}
	for i := 0; i < len(states.Content); i += 2 {
		state, body := states.Content[i].Value, states.Content[i+1]
		for _, key := range []string{"on", "after"} {
			handlers := mapValue(body, key)
			if handlers == nil {
				continue
			}
			for j := 0; j < len(handlers.Content); j += 2 {
				event, h := handlers.Content[j].Value, handlers.Content[j+1]
				where := fmt.Sprintf("%s %s %s", state, key, event)
				branches := []*yaml.Node{h}
				if h.Kind == yaml.SequenceNode {
					branches = slices.Clone(h.Content)
				}
				for k, b := range branches {
					bw := fmt.Sprintf("%s branch %d", where, k+1)
					switch {
					case b.Kind == yaml.ScalarNode:
						retarget(bw, b)
					case mapValue(b, "go") != nil:
						retarget(bw, mapValue(b, "go"))
					}
					if h.Kind == yaml.SequenceNode && len(h.Content) > 1 {
						saved := slices.Clone(h.Content)
						h.Content = slices.Delete(h.Content, k, k+1)
						out = append(out, mutant{bw + " dropped", encode()})
						h.Content = saved
					}
				}
				if h.Kind != yaml.SequenceNode || len(h.Content) == 1 {
					saved := slices.Clone(handlers.Content)
					handlers.Content = slices.Delete(handlers.Content, j, j+2)
					out = append(out, mutant{where + " dropped", encode()})
					handlers.Content = saved
				}
			}
		}
	}
	return encode(), out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// TestMutationsAreCaught holds the generated replays to their purpose:
// retargeting any single transition of flows/connect.yaml, or dropping any
// branch, must make at least one of them fail (a transcript that differs,
// a path that no longer fits, or a flow the checker refuses).
func TestMutationsAreCaught(t *testing.T) {
	src, err := os.ReadFile("../flows/connect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scripts := loadReplays(t)
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	valid := func(src []byte) bool {
		f, err := syntax.Load("connect.yaml", src)
		if err == nil {
			_, err = engine.Compile(f, reg, subflowsIn("../flows"))
		}
		return err == nil
	}
	base, ms := mutants(t, src, valid)
	runs, err := os.ReadFile(filepath.Join("testdata", "run-account-jurisdiction.txtar"))
	if err != nil {
		t.Fatal(err)
	}

	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "flows"), os.DirFS("../flows")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work) // the replays name flows/connect.yaml, relative
	flowPath := filepath.Join("flows", "connect.yaml")
	// failing returns the first replay that fails against the flow src,
	// and why, or "" when all pass.
	failing := func(src []byte) (string, string) {
		if err := os.WriteFile(flowPath, src, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, rs := range scripts {
			if err := os.WriteFile("path.yaml", rs.path, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(rs.args, nil, &stdout, &stderr)
			switch {
			case code == 2:
				return rs.name, "the checker refused it: " + firstLine(stderr.String())
			case code != 0:
				return rs.name, "the path no longer fits: " + firstLine(stderr.String())
			case !bytes.Equal(stdout.Bytes(), rs.want):
				return rs.name, "the transcript differs"
			}
		}
		return "", ""
	}
	// The unmutated flow, re-encoded as the mutants are, passes every
	// replay: otherwise every mutant would be "caught" for nothing.
	if name, why := failing(base); name != "" {
		t.Fatalf("the re-encoded flow fails %s: %s", name, why)
	}
	caught, byChecker := 0, 0
	for _, m := range ms {
		name, why := failing(m.src)
		if name == "" && pinnedByRun(m.desc, runs) {
			continue
		}
		if name == "" {
			t.Errorf("mutant not caught by any of %d replays: %s", len(scripts), m.desc)
			continue
		}
		caught++
		if strings.HasPrefix(why, "the checker") {
			byChecker++
		}
	}
	t.Logf("mutation score: %d/%d mutants caught (%d of them by the checker, %d by a replay), %d replays",
		caught, len(ms), byChecker, caught-byChecker, len(scripts))
	if len(ms) < 50 {
		t.Errorf("only %d mutants: the mutation walk missed the flow's transitions", len(ms))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// outputDriven are the branches a replay cannot take: their guard reads
// what the portal answered (a replay's actions return zero outputs), here
// whether the account's jurisdiction requires the regulation. A golden
// `tether run` transcript pins each instead: the branch's line must be in
// testdata/run-account-jurisdiction.txtar's transcripts, which a mutant
// taking another way would change.
var outputDriven = map[string]string{
	"saved_credentials on ok branch 1": "if result.consent_required => consent",
	"check_password on ok branch 1":    "if result.consent_required => consent",
	"check_code on ok branch 2":        "if consent_required => consent",
}

// pinnedByRun reports whether the mutant desc changes an output-driven
// branch that the run transcripts (runs) take and check.
func pinnedByRun(desc string, runs []byte) bool {
	for branch, line := range outputDriven {
		if strings.HasPrefix(desc, branch+":") || desc == branch+" dropped" {
			return bytes.Contains(runs, []byte(line))
		}
	}
	return false
}

// subflowsIn finds the flow of `run: flow:NAME` as NAME.yaml in dir.
func subflowsIn(dir string) engine.Option {
	return engine.WithSubflows(func(name string) (*syntax.File, error) {
		return syntax.LoadFile(filepath.Join(dir, name+".yaml"))
	})
}

// TestMutationsCaughtByProperties reports, beside the replays' score, how
// many mutants of the mutation test the flow's properties alone catch: a
// mutant the checker accepts is caught when tether validate would fail,
// a property violated in a region (docs/properties.md). Every mutant that
// breaks one of the rules must be caught: breaksRule lists those the
// mutation walk makes, by what they break.
func TestMutationsCaughtByProperties(t *testing.T) {
	src, compileIn := connectCompiler(t)
	compile := func(src []byte) (*engine.Flow, error) { return compileIn(src, "") }
	_, ms := mutants(t, src, func(b []byte) bool { _, err := compile(b); return err == nil })
	type result struct {
		desc   string
		valid  bool
		broken []string // "property (region)"
		cut    bool     // a proof the budget cut short: validate fails, proving nothing
	}
	results := make([]result, len(ms))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = result{desc: ms[i].desc}
				if _, err := compile(ms[i].src); err != nil {
					continue
				}
				results[i].valid = true
				seen := map[string]bool{}
				for _, c := range spinCountries {
					eff, err := compileIn(ms[i].src, c)
					if err != nil {
						t.Error(err)
						break
					}
					// Regions whose policy decides alike have one proof,
					// as tether validate proves them.
					if k := fmt.Sprint(explore.DecisivePolicy(eff)); seen[k] {
						continue
					} else {
						seen[k] = true
					}
					pr, err := explore.Prove(context.Background(), eff, explore.ProveOptions{MaxConfigs: mutantConfigs})
					if err != nil {
						t.Error(err)
						break
					}
					if pr.Cut {
						results[i].cut = true
						break
					}
					for _, v := range pr.Verdicts {
						if v.Status != explore.Holds {
							results[i].broken = append(results[i].broken, v.Name+" ("+regionOf(c)+")")
						}
					}
					if len(results[i].broken) > 0 {
						break // caught: the other regions need not be proven
					}
				}
			}
		})
	}
	for i := range ms {
		next <- i
	}
	close(next)
	wg.Wait()
	valid, caught, cut := 0, 0, 0
	for _, r := range results {
		if !r.valid {
			continue
		}
		valid++
		switch {
		case r.cut:
			cut++
			t.Logf("not proven within %d configurations (a counter without bound): %s", mutantConfigs, r.desc)
		case len(r.broken) > 0:
			caught++
			t.Logf("caught: %s: %s", r.desc, strings.Join(r.broken, ", "))
		default:
			t.Logf("holds: %s", r.desc)
		}
		for prefix, rule := range breaksRule {
			if strings.HasPrefix(r.desc, prefix) && !slices.ContainsFunc(r.broken, func(b string) bool { return strings.HasPrefix(b, rule+" ") }) {
				t.Errorf("%s breaks %s, but the properties do not catch it (%v)", r.desc, rule, r.broken)
			}
		}
	}
	t.Logf("properties alone: %d/%d mutants the checker accepts caught by a violated property, %d more not proven within %d configurations, which fails tether validate too (%d mutants in all)",
		caught, valid, cut, mutantConfigs, len(ms))
}

// breaksRule names mutants of the mutation walk that break one of
// connect's rules, by the start of their description, and the property
// that must catch each.
var breaksRule = map[string]string{
	"consent on accept branch 1:":                                            "consent_recorded", // skips record_consent
	"saved_credentials on ok branch 1 dropped":                               "consent_recorded", // the portal's requirement ignored
	"check_password on ok branch 1 dropped":                                  "consent_recorded",
	"check_code on ok branch 2 dropped":                                      "consent_recorded",
	"enter_code after code_sent_at + policy.code_lifetime - now() branch 1:": "sms_code_checked", // the code's expiry goes on without it
	"check_code on expired branch 1:":                                        "sms_code_checked",
	"check_password on denied branch 1 dropped":                              "lockout",
	"activate_licence on inactive branch 2 dropped":                          "every_session_ends", // lists on without end
}

// TestOverlayMutationsCaughtByProperties does for the regional overlays
// what TestMutationsCaughtByProperties does for connect.yaml: each value
// an overlay sets for connect is changed (a switch flipped, a number one
// up and one down, a duration doubled and halved, a text replaced), and
// the region proven. It reports how many mutants the policy rules refuse
// and how many the properties catch: connect's rules follow the policy
// (consent where the region requires it, the lockout at the region's
// value), so an overlay that keeps the policy rules keeps them too.
func TestOverlayMutationsCaughtByProperties(t *testing.T) {
	src, compileIn := connectCompiler(t)
	fl, err := compileIn(src, "")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../flows/regions/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no overlays: %v", err)
	}
	total, refused, caught := 0, 0, 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		country := mapValue(doc.Content[0], "countries").Content[0].Value
		values := mapValue(mapValue(doc.Content[0], "flows"), "connect")
		for i := 0; i+1 < len(values.Content); i += 2 {
			key, v := values.Content[i].Value, values.Content[i+1]
			old := v.Value
			for _, nv := range overlayMutations(v) {
				total++
				v.Value = nv
				out, err := yaml.Marshal(&doc)
				v.Value = old
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				if err := os.CopyFS(dir, os.DirFS("../flows/regions")); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), out, 0o644); err != nil {
					t.Fatal(err)
				}
				desc := fmt.Sprintf("%s: %s %s instead of %s", filepath.Base(file), key, nv, old)
				regions, err := policy.Load(dir)
				var eff *engine.Flow
				if err == nil {
					eff, _, err = regions.Effective(fl, country)
				}
				if err != nil {
					refused++
					t.Logf("refused by the policy rules: %s", desc)
					continue
				}
				pr, err := explore.Prove(context.Background(), eff, explore.ProveOptions{MaxConfigs: mutantConfigs})
				if err != nil {
					t.Fatal(err)
				}
				var broken []string
				for _, v := range pr.Verdicts {
					if v.Status != explore.Holds {
						broken = append(broken, v.Name)
					}
				}
				if len(broken) > 0 {
					caught++
					t.Logf("caught: %s: %s", desc, strings.Join(broken, ", "))
				}
			}
		}
	}
	t.Logf("overlays: %d mutants, %d refused by the policy rules, %d caught by the properties alone, %d keep every rule", total, refused, caught, total-refused-caught)
	if total < 10 {
		t.Errorf("only %d overlay mutants: the walk missed the overlays' values", total)
	}
}

// overlayMutations returns the values an overlay's value v is changed
// to, by its kind.
func overlayMutations(v *yaml.Node) []string {
	switch {
	case v.Tag == "!!bool" && v.Value == "true":
		return []string{"false"}
	case v.Tag == "!!bool":
		return []string{"true"}
	case v.Tag == "!!int":
		n, _ := strconv.Atoi(v.Value)
		return []string{strconv.Itoa(n + 1), strconv.Itoa(n - 1)}
	}
	if d, err := time.ParseDuration(v.Value); err == nil && v.Style == 0 {
		return []string{(2 * d).String(), (d / 2).String()}
	}
	return []string{v.Value + "-x"}
}
