package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostileOverlays are the generated cases of the overlays' hostile corpus;
// the small ones are files in testdata/hostile.
func hostileOverlays() []hostile.Case {
	const head = "region: r\ncountries: [FR]\n"
	return []hostile.Case{
		{
			Name: "a policy value pointing at billion laughs",
			Src:  head + "x:\n" + hostile.Laughs("  ", "l", 9, 9) + "flows:\n  connect:\n    consent_document: *l8\n",
			Want: []string{"f.yaml:8:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "2000 flows pointing at one big overlay",
			Src:  head + "x: &m {" + bigMapping(40) + "}\nflows:\n" + hostile.Aliases("  ", "f", "m", 2000),
			Want: []string{"f.yaml:312:9: alias *m takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "a value nested 5000 deep",
			Src:  head + "flows: {connect: {region: " + hostile.NestedLists(5000) + "}}\n",
			Want: []string{"f.yaml:3:88: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "a file over the size budget",
			Src:  head + hostile.Comments(yamlfile.DefaultMaxBytes),
			Want: []string{"f.yaml:9200:34: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			Name: "a thousand documents",
			Src:  head + hostile.Documents(head, 1000),
			Want: []string{"f.yaml:3:1: a second YAML document starts here: the file must hold exactly one"},
		},
	}
}

// bigMapping returns a flow mapping's content: n keys, each a list of two.
func bigMapping(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("k%d: [1, 2]", i)
	}
	return strings.Join(parts, ", ")
}

// TestHostileOverlays loads each case as the one overlay of a regions
// directory and checks it against the shipped connect flow, rules and all.
func TestHostileOverlays(t *testing.T) {
	flows := map[string]*engine.Flow{"connect": compile(t, "../flows/connect.yaml")}
	for _, c := range append(hostileOverlays(), hostile.Corpus(t, "testdata/hostile")...) {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			hostile.Check(t, c, func(name string, src []byte) error {
				if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Chdir(dir)
				set, err := Load(".")
				var errs yamlfile.ErrorList
				if err != nil {
					errs = listOf(err)
				}
				if set != nil {
					if err := set.Check(flows); err != nil {
						errs = append(errs, listOf(err)...)
					}
				}
				errs.Sort()
				return errs.Err()
			})
		})
	}
}

// FuzzOverlay: whatever an overlay holds, loading it and checking it
// against the shipped connect flow does not panic, and every problem is
// positioned in the overlay (or, for a value breaking a rule, names it).
func FuzzOverlay(f *testing.F) {
	for _, c := range hostile.Corpus(f, "testdata/hostile") {
		f.Add([]byte(c.Src))
	}
	for _, name := range []string{"brazil", "eu", "eu-de", "sms-short", "strict"} {
		src, err := os.ReadFile("../flows/regions/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		f.Fatal(err)
	}
	fl, err := engine.CompileFile("../flows/connect.yaml", reg)
	if err != nil {
		f.Fatal(err)
	}
	flows := map[string]*engine.Flow{"connect": fl}
	f.Fuzz(func(t *testing.T, src []byte) {
		var errs yamlfile.ErrorList
		var regions []*Region
		if r := parse("r.yaml", src, &errs); r != nil {
			regions = append(regions, r)
		}
		s := link(regions, &errs)
		if err := s.Check(flows); err != nil {
			errs = append(errs, listOf(err)...)
		}
		if len(errs) > 0 {
			hostile.Positioned(t, errs, "r.yaml")
			return
		}
		for _, r := range s.Regions() {
			for _, c := range r.Countries {
				if _, _, err := s.Effective(fl, c); err != nil {
					t.Fatalf("Effective(%s) = %v after Check passed", c, err)
				}
			}
		}
	})
}
