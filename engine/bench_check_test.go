package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/flowgen"
)

// BenchmarkCheck checks and compiles generated flows of 100 to 10,000
// states, chains and diamonds (internal/flowgen), from files loaded
// beforehand: the work of `tether validate` after parsing. Checking is
// linear when chain-10000 takes about ten times chain-1000.
func BenchmarkCheck(b *testing.B) {
	reg := testRegistry(b, nil)
	for _, shape := range []struct {
		name string
		gen  func(int, string) []byte
	}{{"chain", flowgen.Chain}, {"diamond", flowgen.Diamond}} {
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s-%d", shape.name, n), func(b *testing.B) {
				// The larger generated flows are over the default YAML
				// budgets (chain-10000 is about 4 MB): load them under
				// budgets that fit them.
				src := shape.gen(n, "svc.ping")
				file, err := syntax.LoadLimits("gen.yaml", src, yamlfile.Limits{MaxBytes: len(src), MaxNodes: 100 * n})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := engine.Compile(file, reg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Large flows compile their states on every core: the result is the same
// flow, and the same errors, sorted, as one core would give.
func TestLargeFlowsCompileAlike(t *testing.T) {
	reg := testRegistry(t, nil)
	src := string(flowgen.Chain(400, "svc.ping"))
	bad := strings.Replace(src, "n + 3}", "n + nope}", 1)
	bad = strings.Replace(bad, "len(seen) > 2}", "len(seen) > zilch}", 1)
	for range 3 {
		file, err := syntax.Load("gen.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		fl, err := engine.Compile(file, reg)
		if err != nil {
			t.Fatalf("compile: %v", err)
		}
		s := start(t, fl, newClock().ports(reg))
		send(t, s, "next", map[string]any{"x": 500, "note": "n"})
		if got := s.Current().State; got != "s1" {
			t.Errorf("after next: state %s, want s1", got)
		}
		file, err = syntax.Load("gen.yaml", []byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		_, err = engine.Compile(file, reg)
		got := errorLines(err)
		if len(got) != 2 || !strings.HasPrefix(got[0], "gen.yaml:24:24: unknown name nope") || !strings.HasPrefix(got[1], "gen.yaml:51:60: unknown name zilch") {
			t.Fatalf("errors:\n%s\nwant nope, then zilch, sorted by position", joinLines(got))
		}
	}
}

// BenchmarkLoadInterpolations loads a flow whose prompt text has N {{ }}
// parts: the text is split in one pass, so 100000 parts take about five
// times as long as 20000 (the scan was quadratic: 200,000 took 47 s).
func BenchmarkLoadInterpolations(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		src := []byte("flow: t\nstart: a\nstates:\n  a:\n    ask:\n      text: '" + strings.Repeat("{{a}}", n) + "'\n    on: {continue: done}\n  done: {final: ok}\n")
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := syntax.Load("t.yaml", src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
