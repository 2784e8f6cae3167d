package explore_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostilePaths are the path files of tether replay --path that no one
// writes by hand: each is refused, where and why, within the YAML budgets.
func hostilePaths() []hostile.Case {
	return []hostile.Case{
		{
			Name: "billion laughs in a decision",
			Src:  "- state: a\n  outcome: ok\n" + hostile.Laughs("  ", "l", 9, 9),
			Want: []string{"f.yaml:7:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "one decision reused 20000 times",
			Src:  "- &d {state: a, choice: go}\n" + hostile.ListAliases("", "d", 20000),
			Want: []string{"f.yaml:10000:3: alias *d takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "a state nested 5000 deep",
			Src:  "- {state: " + hostile.NestedLists(5000) + ", outcome: ok}\n",
			Want: []string{"f.yaml:1:73: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "a file over the size budget",
			Src:  "- {state: a, outcome: ok}\n" + hostile.Comments(yamlfile.DefaultMaxBytes),
			Want: []string{"f.yaml:9199:34: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			Name: "a thousand documents",
			Src:  "- {state: a, outcome: ok}\n" + hostile.Documents("- {state: b, outcome: ok}\n", 1000),
			Want: []string{"f.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		},
		{
			Name: "five thousand bad decisions",
			Src:  strings.Repeat("- {state: a, wait: never}\n", 5000),
			Want: badWaits(5000),
		},
	}
}

func badWaits(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`f.yaml:%d:20: wait must be true or false, not "never"`, i+1)
	}
	return out
}

func TestHostilePathFiles(t *testing.T) {
	for _, c := range hostilePaths() {
		t.Run(c.Name, func(t *testing.T) {
			hostile.Check(t, c, func(name string, src []byte) error {
				_, err := explore.ParsePathFile(name, src)
				return err
			})
		})
	}
}

// FuzzParsePathFile: whatever the file, ParsePathFile does not panic,
// every error is positioned in it, and what it accepts Format writes as a
// file that reads back the same.
func FuzzParsePathFile(f *testing.F) {
	for _, c := range hostilePaths() {
		f.Add([]byte(c.Src))
	}
	for _, s := range []string{
		"- {state: saved_credentials, outcome: none}\n- {flow: signup, state: details, choice: cancel}\n- {state: code, pause: 2m30s}\n- {state: code, timer: 5m}\n- {state: code, wait: true}\n",
		"- &d {state: a, choice: go}\n- *d\n- ~\n",
		"- {state: 'a, {b}: c', choice: \"x\\ny\"}\n",
		"- {state: a, state: b, outcome: ok}\n",
		"- {state: [a], outcome: {b: c}, colour: red}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		pf, err := explore.ParsePathFile("p.yaml", src)
		if err != nil {
			hostile.Positioned(t, err, "p.yaml")
			return
		}
		again, err := explore.ParsePathFile("q.yaml", pf.Format(""))
		if err != nil {
			t.Fatalf("what Format wrote does not read back: %v\n%s", err, pf.Format(""))
		}
		if !reflect.DeepEqual(again, pf) {
			t.Fatalf("read back as %+v, want %+v", again, pf)
		}
	})
}
