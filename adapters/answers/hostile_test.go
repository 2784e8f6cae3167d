package answers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostileAnswers are the generated cases of the answers files' hostile
// corpus; the small ones are files in testdata/hostile.
func hostileAnswers() []hostile.Case {
	var big strings.Builder
	big.WriteString("- &a\n  choice: continue\n  fields:\n")
	for i := range 50 {
		fmt.Fprintf(&big, "    f%d: value %d\n", i, i)
	}
	return []hostile.Case{
		{
			Name: "one answer reused 2000 times",
			Src:  big.String() + hostile.ListAliases("", "a", 2000),
			Want: []string{"f.yaml:529:3: alias *a takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "billion laughs in the fields",
			Src:  "- choice: x\n  fields:\n" + hostile.Laughs("    ", "l", 9, 9),
			Want: []string{"f.yaml:7:39: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "fields nested 5000 deep",
			Src:  "- choice: x\n  fields: {f: " + hostile.NestedLists(5000) + "}\n",
			Want: []string{"f.yaml:2:76: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "a file over the size budget",
			Src:  "- choice: x\n" + hostile.Comments(yamlfile.DefaultMaxBytes),
			Want: []string{"f.yaml:9199:48: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			Name: "a thousand documents",
			Src:  "- choice: x\n" + hostile.Documents("- choice: y\n", 1000),
			Want: []string{"f.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		},
		{
			Name: "ten thousand bad answers",
			Src:  strings.Repeat("- wait: never\n", 10000),
			Want: badWaits(10000),
		},
	}
}

func badWaits(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`f.yaml:%d:9: wait must be a positive duration such as 30s, not "never"`, i+1)
	}
	return out
}

func TestHostileAnswers(t *testing.T) {
	for _, c := range append(hostileAnswers(), hostile.Corpus(t, "testdata/hostile")...) {
		t.Run(c.Name, func(t *testing.T) {
			hostile.Check(t, c, func(name string, src []byte) error {
				_, err := Parse(name, src)
				return err
			})
		})
	}
}

// FuzzParse: whatever the file, Parse does not panic, every error is
// positioned in it, and what it accepts is a list of answers a driver can
// hand out.
func FuzzParse(f *testing.F) {
	for _, c := range hostile.Corpus(f, "testdata/hostile") {
		f.Add([]byte(c.Src))
	}
	for _, s := range []string{
		"- state: sign_in\n  choice: continue\n  fields: {email: a@example.com, password: \"{{secret}}\"}\n- wait: 31s\n- choice: resend\n",
		"- {flow: signup, state: details, choice: cancel}\n",
		"- choice: x\n  fields: &f {a: b}\n- {choice: y, fields: *f}\n",
		"- {choice: x, fields: {a: 1, a: 2}}\n",
		"- wait: 1s\n  choice: x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		as, err := Parse("a.yaml", src)
		if err != nil {
			hostile.Positioned(t, err, "a.yaml")
			return
		}
		d := New("a.yaml", as, func(string) (string, bool) { return "x", true })
		for _, a := range as {
			if a.Line < 1 || (a.Wait > 0) == (a.Choice != "") {
				t.Fatalf("answer %+v: want a line, and either a wait or a choice", a)
			}
			r, err := d.Next(t.Context(), engine.Step{Flow: a.Flow, State: a.State}, nil)
			if err != nil || r.Choice != a.Choice || r.Wait != a.Wait {
				t.Fatalf("Next() = %+v, %v, want answer %+v", r, err, a)
			}
		}
	})
}
