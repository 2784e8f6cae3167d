package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostileFlows are the generated cases of the flows' hostile corpus; the
// small ones are files in testdata/hostile. Each is loaded and checked as
// `tether validate` would, and must end in its error within
// hostile.MaxAlloc.
func hostileFlows() []hostileCase {
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
	return []hostileCase{
		{
			name: "one state reused 2000 times",
			src:  state + hostile.Aliases("  ", "s", "s", 2000),
			want: []string{"f.yaml:186:8: alias *s takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			// Before: 64 s and 4.7 GB.
			name: "2000 variables pointing at an alias bomb",
			src:  head + "vars:\n" + hostile.Laughs("  ", "b", 4, 10) + hostile.Aliases("  ", "v", "b3", 2000),
			want: []string{"f.yaml:13:7: alias *b3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			name: "billion laughs",
			src:  head + "vars:\n" + hostile.Laughs("  ", "l", 9, 9),
			want: []string{"f.yaml:10:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			name: "billion laughs in a state's handler",
			src:  "flow: t\nstart: a\nx:\n" + hostile.Laughs("  ", "l", 9, 9) + "states:\n  a: {ask: {text: hi}, on: {continue: *l8}}\n",
			want: []string{"f.yaml:8:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			name: "lists nested 5000 deep",
			src:  head + "vars: {v: " + hostile.NestedLists(5000) + "}\n",
			want: []string{"f.yaml:5:73: mappings and lists nest deeper than 64 levels"},
		},
		{
			name: "mappings nested 500 deep",
			src:  head + "vars:\n" + hostile.NestedMaps("  ", 500),
			want: []string{"f.yaml:69:129: mappings and lists nest deeper than 64 levels"},
		},
		{
			name: "a file over the size budget",
			src:  head + hostile.Comments(engine.DefaultMaxYAMLBytes),
			want: []string{"f.yaml:9202:18: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			name: "more nodes than the budget without an alias",
			src:  head + "vars: {v: " + hostile.DenseList(60000) + "}\n",
			want: []string{"f.yaml:5:99982: the file holds more than 50000 YAML nodes"},
		},
		{
			name: "a thousand documents",
			src:  head + hostile.Documents(head, 1000),
			want: []string{"f.yaml:5:1: a second YAML document starts here: the file must hold exactly one"},
		},
		{
			// Located by parsing prefixes of the file, up to 32 KiB.
			name: "a syntax error after 30 KB",
			src:  head + "vars:\n" + manyVars(3000) + "x: y: z\n",
			want: []string{"f.yaml:3006:5: mapping values are not allowed in this context"},
		},
		{
			name: "10000 repeated keys",
			src:  head + "vars:\n  v: 1\n" + strings.Repeat("  v: 2\n", 10000),
			want: repeatedKeys(7, 10000),
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

type hostileCase struct {
	name string
	path string // the file's name in errors; f.yaml when empty
	src  string
	want []string
}

func (c hostileCase) file() string {
	if c.path == "" {
		return "f.yaml"
	}
	return c.path
}

func repeatedKeys(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("f.yaml:%d:3: duplicate key \"v\" (first at f.yaml:%d:3)", first+i, first-1)
	}
	return out
}

// hostileFiles reads the corpus in dir: each file's `# want: ERROR` lines
// are the errors loading it must give, all of them and no others.
func hostileFiles(t *testing.T, dir string) []hostileCase {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []hostileCase
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		c := hostileCase{name: e.Name(), path: e.Name(), src: string(src)}
		for _, line := range strings.Split(c.src, "\n") {
			if w, ok := strings.CutPrefix(line, "# want: "); ok {
				c.want = append(c.want, w)
			}
		}
		if len(c.want) == 0 {
			t.Fatalf("%s has no # want: line", e.Name())
		}
		out = append(out, c)
	}
	return out
}

func TestHostileFlows(t *testing.T) {
	reg := testRegistry(t, nil)
	cases := append(hostileFlows(), hostileFiles(t, "testdata/hostile")...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			alloc := hostile.Alloc(func() {
				var f *engine.File
				if f, err = engine.Load(c.file(), []byte(c.src)); err == nil {
					_, err = engine.Compile(f, reg)
				}
			})
			if got := errorStrings(err); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if alloc > hostile.MaxAlloc {
				t.Errorf("loading allocated %d MB, want at most %d MB", alloc>>20, hostile.MaxAlloc>>20)
			}
		})
	}
}
