package testscripts_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/policy"
)

// spinCountries are a country of every shipped region, "" for the flow's
// own policy.
var spinCountries = []string{"", "BE", "DE", "BR", "IN", "SG"}

// spinSample is how many mutants of connect the agreement test checks
// besides the two of issue 25: every len/spinSample-th mutant the
// checker accepts, each in one region, the regions in turn.
const spinSample = 24

// mutantConfigs bounds the proofs of mutants: some let a counter grow
// without bound (a guard that held it dropped), which no budget proves.
// Connect has at most 3,100 configurations in a region.
const mutantConfigs = 30000

// TestSPINAgrees holds Tether's proofs to SPIN's (docs/properties.md):
// connect, with its properties, is exported to Promela in every region,
// and for a sample of its mutants, and SPIN must agree with Prove on
// every property, violated or not. SPIN may find a violation Prove does
// not only through an abstraction of the model (its trail names one),
// and may miss a violation of ends only where Prove found a trap among
// prompts, which no ltl claim states. It needs Debian's spin and gcc
// (.ci/run installs them); without them it skips, unless
// TETHER_REQUIRE_SPIN is set.
func TestSPINAgrees(t *testing.T) {
	for _, tool := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("TETHER_REQUIRE_SPIN") != "" {
				t.Fatalf("%s not found, and TETHER_REQUIRE_SPIN is set (apt-get install spin gcc)", tool)
			}
			t.Skipf("%s not found: apt-get install spin gcc to run the SPIN agreement test", tool)
		}
	}
	src, compile := connectCompiler(t)
	valid := func(src []byte) bool {
		_, err := compile(src, "")
		return err == nil
	}
	type job struct {
		name    string
		src     []byte
		country string
	}
	var jobs []job
	for _, c := range spinCountries {
		jobs = append(jobs, job{"connect in " + regionOf(c), src, c})
	}
	for i, m := range spinMutants(t, src, valid) {
		c := spinCountries[i%len(spinCountries)]
		jobs = append(jobs, job{m.desc + ", in " + regionOf(c), m.src, c})
	}
	var (
		mu        sync.Mutex
		unbounded int
		models    int
		violated  int // verdicts both find violated
		states    int
		elapsed   time.Duration
		explains  = map[string]int{}
	)
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			t.Parallel()
			fl, err := compile(j.src, j.country)
			if err != nil {
				t.Fatal(err)
			}
			proof, err := explore.Prove(context.Background(), fl, explore.ProveOptions{MaxConfigs: mutantConfigs})
			if err != nil {
				t.Fatal(err)
			}
			if proof.Cut {
				// A mutant that lets a counter grow without bound (a
				// guard dropped): Tether proves nothing, and SPIN's
				// search would not end either.
				mu.Lock()
				unbounded++
				mu.Unlock()
				t.Skipf("not proven within %d configurations: no verdicts to compare", mutantConfigs)
			}
			model, err := explore.Promela(fl)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got, stored := runSPIN(t, model)
			mu.Lock()
			models++
			states = max(states, stored)
			elapsed += time.Since(start)
			mu.Unlock()
			for _, v := range proof.Verdicts {
				s, ok := got[v.Name]
				if !ok {
					t.Errorf("%s: SPIN has no verdict", v.Name)
					continue
				}
				switch {
				case v.Status != explore.Holds && v.Status != explore.Violated:
					t.Errorf("%s: Tether %s, want a verdict", v.Name, v.Status)
				case (v.Status == explore.Violated) == s.violated:
					if s.violated {
						mu.Lock()
						violated++
						mu.Unlock()
					}
				case s.violated:
					// SPIN only: through an abstraction of the model.
					if s.abstraction == "" {
						t.Errorf("%s: SPIN finds a violation Tether does not, through no abstraction; trail:\n%s", v.Name, s.trail)
						continue
					}
					mu.Lock()
					explains[s.abstraction]++
					mu.Unlock()
				case v.Name == model.Ends && strings.HasPrefix(v.Why, "from "):
					// A trap among prompts: AG EF final is no ltl claim.
					t.Logf("%s: Tether finds a trap SPIN does not state: %s", v.Name, v.Why)
				default:
					t.Errorf("%s: Tether finds it violated (%s), SPIN does not", v.Name, v.Why)
				}
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("SPIN agreed with Tether on %d models (%d verdicts violated on both sides; %d states stored in the largest), in %v of SPIN; differences traced to abstractions: %v; %d mutants unbounded, skipped",
			models, violated, states, elapsed.Round(time.Millisecond), explains, unbounded)
		if !t.Failed() && models-len(spinCountries) < 20 {
			t.Errorf("SPIN checked %d mutants, fewer than 20: widen spinSample", models-len(spinCountries))
		}
	})
}

func regionOf(country string) string {
	if country == "" {
		return "the default region"
	}
	return country
}

// spinMutants returns the two mutants of issue 25, then an even sample
// of the mutation test's mutants that the checker accepts.
func spinMutants(t *testing.T, src []byte, valid func([]byte) bool) []mutant {
	t.Helper()
	out := []mutant{
		{"consent accept: go connect_device", []byte(strings.Replace(string(src), "accept: record_consent", "accept: connect_device", 1))},
		{"consent decline: go connect_device if failures == 0", []byte(strings.Replace(string(src), "decline: declined", `decline: [{if: "failures == 0", go: connect_device}, declined]`, 1))},
	}
	_, ms := mutants(t, src, valid)
	var ok []mutant
	for _, m := range ms {
		if valid(m.src) {
			ok = append(ok, m)
		}
	}
	step := max(1, len(ok)/spinSample)
	for i := 0; i < len(ok) && len(out) < spinSample+2; i += step {
		out = append(out, ok[i])
	}
	return out
}

// spinVerdict is what SPIN says of one claim.
type spinVerdict struct {
	violated    bool
	abstraction string // the first abstraction its trail went through
	trail       string
}

var (
	spinErrors = regexp.MustCompile(`errors: (\d+)`)
	spinStored = regexp.MustCompile(`(\d+) states, stored`)
	spinAbstr  = regexp.MustCompile(`abstraction (A\d+)`)
)

// runSPIN verifies every claim of model with SPIN: spin -a, gcc, then
// pan -a (acceptance cycles, the claims being ltl) for each, with no
// bound on the depth that could cut the search short. It returns the
// verdicts by claim and the most states one run stored.
func runSPIN(t *testing.T, model *explore.PromelaModel) (map[string]spinVerdict, int) {
	t.Helper()
	dir := t.TempDir()
	pml := filepath.Join(dir, "model.pml")
	if err := os.WriteFile(pml, model.Source, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("spin", "-a", "model.pml")
	// MEMLIM (MB) stops pan on a model whose states would not fit.
	run("gcc", "-O0", "-w", "-DMEMLIM=2048", "-o", "pan", "pan.c")
	claims := append([]string(nil), model.Claims...)
	if model.Ends != "" {
		claims = append(claims, model.Ends)
	}
	out := map[string]spinVerdict{}
	stored := 0
	for _, c := range claims {
		os.Remove(pml + ".trail")
		res := run("./pan", "-a", "-E", "-m10000000", "-N", c)
		if strings.Contains(res, "max search depth too small") || strings.Contains(res, "out of memory") {
			t.Fatalf("pan -N %s: the search was cut short by its depth:\n%s", c, res)
		}
		m := spinErrors.FindStringSubmatch(res)
		if m == nil {
			t.Fatalf("pan -N %s: no error count in:\n%s", c, res)
		}
		if s := spinStored.FindStringSubmatch(res); s != nil {
			n, _ := strconv.Atoi(s[1])
			stored = max(stored, n)
		}
		v := spinVerdict{violated: m[1] != "0"}
		if v.violated {
			v.trail = run("spin", "-t", "model.pml")
			if a := spinAbstr.FindStringSubmatch(v.trail); a != nil {
				v.abstraction = a[1]
			}
			if i := bytes.LastIndex([]byte(v.trail), []byte("\n")); i > 4000 {
				v.trail = v.trail[:4000] + "\n..."
			}
		}
		out[c] = v
	}
	return out, stored
}

// connectCompiler returns flows/connect.yaml's source and a compiler of
// it, or of a mutant of it, under country's policy ("" for the flow's
// own), with the shipped subflows and regions.
func connectCompiler(t *testing.T) ([]byte, func(src []byte, country string) (*engine.Flow, error)) {
	t.Helper()
	src, err := os.ReadFile("../flows/connect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	regions, err := policy.Load("../flows/regions")
	if err != nil {
		t.Fatal(err)
	}
	return src, func(src []byte, country string) (*engine.Flow, error) {
		f, err := syntax.Load("connect.yaml", src)
		if err != nil {
			return nil, err
		}
		fl, err := engine.Compile(f, reg, subflowsIn("../flows"))
		if err != nil || country == "" {
			return fl, err
		}
		eff, _, err := regions.Effective(fl, country)
		return eff, err
	}
}
