package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostileFlows are the generated cases of the flows' hostile corpus; the
// small ones are files in testdata/hostile. Each is loaded and checked as
// `tether validate` would, and must end in its error within
// hostile.MaxAlloc.
func hostileFlows() []hostile.Case {
	const head = "flow: t\nstart: a\nstates:\n  a: {final: ok}\n"
	// One state reused 2,000 times: before the per-file node budget, 20 s
	// and 850 MB to validate.
	state := "flow: t\nstart: s\nvars: {x: 0}\nstates:\n  s: &s\n    ask:\n      text: hello {{ x }}\n      fields:\n"
	for i := range 60 {
		state += fmt.Sprintf("        f%d: {type: text, if: x > %d}\n", i, i)
	}
	state += "    on:\n      continue:\n"
	for i := range 60 {
		state += fmt.Sprintf("        - {if: x > %d, set: {x: x + 1}, go: done}\n", i)
	}
	state += "        - done\n  done: {final: ok}\n"
	return []hostile.Case{
		{
			Name: "one state reused 2000 times",
			Src:  state + hostile.Aliases("  ", "s", "s", 2000),
			Want: []string{"f.yaml:186:8: alias *s takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			// Before: 64 s and 4.7 GB.
			Name: "2000 variables pointing at an alias bomb",
			Src:  head + "vars:\n" + hostile.Laughs("  ", "b", 4, 10) + hostile.Aliases("  ", "v", "b3", 2000),
			Want: []string{"f.yaml:13:7: alias *b3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "billion laughs",
			Src:  head + "vars:\n" + hostile.Laughs("  ", "l", 9, 9),
			Want: []string{"f.yaml:10:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "billion laughs in a state's handler",
			Src:  "flow: t\nstart: a\nx:\n" + hostile.Laughs("  ", "l", 9, 9) + "states:\n  a: {ask: {text: hi}, on: {continue: *l8}}\n",
			Want: []string{"f.yaml:8:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "lists nested 5000 deep",
			Src:  head + "vars: {v: " + hostile.NestedLists(5000) + "}\n",
			Want: []string{"f.yaml:5:73: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "mappings nested 500 deep",
			Src:  head + "vars:\n" + hostile.NestedMaps("  ", 500),
			Want: []string{"f.yaml:69:129: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "a file over the size budget",
			Src:  head + hostile.Comments(yamlfile.DefaultMaxBytes),
			Want: []string{"f.yaml:9202:18: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			Name: "more nodes than the budget without an alias",
			Src:  head + "vars: {v: " + hostile.DenseList(60000) + "}\n",
			Want: []string{"f.yaml:5:99982: the file holds more than 50000 YAML nodes"},
		},
		{
			Name: "a thousand documents",
			Src:  head + hostile.Documents(head, 1000),
			Want: []string{"f.yaml:5:1: a second YAML document starts here: the file must hold exactly one"},
		},
		{
			// Located by parsing prefixes of the file, up to 32 KiB.
			Name: "a syntax error after 30 KB",
			Src:  head + "vars:\n" + manyVars(3000) + "x: y: z\n",
			Want: []string{"f.yaml:3006:5: a \":\" where no key can start: quote a value that holds \": \", or indent the line as the keys around it are"},
		},
		{
			Name: "10000 repeated keys",
			Src:  head + "vars:\n  v: 1\n" + strings.Repeat("  v: 2\n", 10000),
			Want: repeatedKeys(7, 10000),
		},
	}
}

func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  v%d: 1\n", i)
	}
	return b.String()
}

func TestHostileFlows(t *testing.T) {
	reg := testRegistry(t, nil)
	for _, c := range append(hostileFlows(), hostile.Corpus(t, "testdata/hostile")...) {
		t.Run(c.Name, func(t *testing.T) {
			hostile.Check(t, c, func(name string, src []byte) error {
				f, err := syntax.Load(name, src)
				if err == nil {
					_, err = engine.Compile(f, reg)
				}
				return err
			})
		})
	}
}

// repeatedKeys returns the errors of n keys "v" at column 3 repeating the
// key of line first-1, on the lines from first on.
func repeatedKeys(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("f.yaml:%d:3: duplicate key \"v\" (first at f.yaml:%d:3)", first+i, first-1)
	}
	return out
}
