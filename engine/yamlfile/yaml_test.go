package yamlfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/hostile"
)

func TestDecodeBudgets(t *testing.T) {
	small := yamlfile.Limits{MaxBytes: 64, MaxNodes: 10, MaxDepth: 3}
	tests := []struct {
		name string
		src  string
		lim  yamlfile.Limits
		want string // the error, "" for none
	}{
		{"fits", "a: [b, c]\n", yamlfile.Limits{}, ""},
		{"syntax error", "a: b: c\n", yamlfile.Limits{}, "f.yaml:1:5: a \":\" where no key can start: quote a value that holds \": \", or indent the line as the keys around it are"},
		{"syntax error on a later line", "a:\n  - b\n  c: d\n", yamlfile.Limits{}, "f.yaml:3:4: a list item (\"- \") was expected here: the items of a list line up under each other"},
		{"second document", "a: 1\n---\nb: 2\n", yamlfile.Limits{}, "f.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		{"empty second document", "a: 1\n---\n", yamlfile.Limits{}, "f.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		{"document end marker only", "a: 1\n...\n", yamlfile.Limits{}, ""},
		{"unknown anchor", "a: *nowhere\n", yamlfile.Limits{}, "f.yaml:1:4: alias *nowhere refers to no anchor: an alias repeats a value marked &nowhere before it"},
		{"cycle", "a: &l [1, *l]\n", yamlfile.Limits{}, "f.yaml:1:11: alias *l refers to a node that contains it"},
		{"cycle through a mapping", "a: &m {b: [*m]}\n", yamlfile.Limits{}, "f.yaml:1:12: alias *m refers to a node that contains it"},

		// Exactly at a budget is within it; one more is not.
		{"size at the budget", "a: " + strings.Repeat("b", 60) + "\n", small, ""},
		{"size over the budget", "a: " + strings.Repeat("b", 61) + "\n", small, "f.yaml:1:65: the file is larger than 64 bytes, the budget for a YAML file"},
		{"nodes at the budget", hostile.DenseList(9), small, ""},
		{"nodes over the budget", hostile.DenseList(10), small, "f.yaml:1:20: the file holds more than 10 YAML nodes"},
		{"depth at the budget", hostile.NestedLists(3), small, ""},
		{"depth over the budget", hostile.NestedLists(4), small, "f.yaml:1:4: mappings and lists nest deeper than 3 levels"},
		{"block depth over the budget", hostile.NestedMaps("", 4), small, "f.yaml:4:7: mappings and lists nest deeper than 3 levels"},
		{"scalars do not count as a level", "a: {b: [c]}\n", small, ""},

		// Aliases count as what they expand to.
		{"alias within the node budget", "a: &a [1, 2]\nb: *a\n", small, ""},
		{"alias over the node budget", "a: &a [1, 2, 3]\nb: *a\nc: *a\n", small, "f.yaml:2:4: alias *a takes the file past 10 YAML nodes once aliases are expanded"},
		{"alias over the depth budget", "a: &a [[x]]\nb: [*a]\n", small, "f.yaml:2:5: alias *a nests mappings and lists deeper than 3 levels"},
		{"laughs", "l:\n" + hostile.Laughs("  ", "l", 9, 9), yamlfile.Limits{}, "f.yaml:6:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		{"laughs two wide", "l:\n" + hostile.Laughs("  ", "l", 20, 2), yamlfile.Limits{}, "f.yaml:15:20: alias *l12 takes the file past 50000 YAML nodes once aliases are expanded"},
		{"alias chain too deep", "l:\n" + hostile.Laughs("  ", "l", 70, 1), yamlfile.Limits{}, "f.yaml:64:14: alias *l61 nests mappings and lists deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := yamlfile.Decode("f.yaml", []byte(tt.src), tt.lim)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("Decode() error = %q, want %q", got, tt.want)
			}
			if (root == nil) != (tt.want != "") {
				t.Errorf("Decode() root = %v with error %q, want a root exactly when there is no error", root, got)
			}
			var list yamlfile.ErrorList
			if err != nil && !errors.As(err, &list) {
				t.Errorf("Decode() error is a %T, want an yamlfile.ErrorList", err)
			}
		})
	}
}

func TestDecodeNoDocument(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n"} {
		root, err := yamlfile.Decode("f.yaml", []byte(src), yamlfile.Limits{})
		if root != nil || err != nil {
			t.Errorf("Decode(%q) = %v, %v, want nil, nil", src, root, err)
		}
	}
	root, err := yamlfile.Decode("f.yaml", []byte("~\n"), yamlfile.Limits{})
	if err != nil || root == nil || root.Tag != "!!null" {
		t.Errorf("Decode(~) = %v, %v, want the null scalar", root, err)
	}
}

// TestDecodeDuplicateKeys checks that every repeated key is reported at
// its place, naming the first, and that the tree keeps only the first, so
// that a loader reports the rest of the file without repeating them.
func TestDecodeDuplicateKeys(t *testing.T) {
	src := `a: 1
b:
  c: &m {x: 1, x: 2}
  c: 3
a: 4
d: *m
e: *m
`
	root, err := yamlfile.Decode("f.yaml", []byte(src), yamlfile.Limits{})
	want := []string{
		`f.yaml:3:16: duplicate key "x" (first at f.yaml:3:10)`, // once, however many aliases use it
		`f.yaml:4:3: duplicate key "c" (first at f.yaml:3:3)`,
		`f.yaml:5:1: duplicate key "a" (first at f.yaml:1:1)`,
	}
	if got := errorStrings(err); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Decode() errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if root == nil {
		t.Fatal("Decode() root = nil, want the tree without the repeated pairs")
	}
	var got map[string]any
	if err := root.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["a"] != 1 || got["b"].(map[string]any)["c"].(map[string]any)["x"] != 1 {
		t.Errorf("tree = %v, want the first value of every repeated key (a: 1, x: 1)", got)
	}
}

func errorStrings(err error) []string {
	var out []string
	for _, e := range yamlfile.Errors(err) {
		out = append(out, e.Error())
	}
	return out
}

// TestReadFileStopsAtTheBudget reads a 1 GiB file (sparse: it takes no
// disk) and checks that no more than the budget was read.
func TestReadFileStopsAtTheBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var rerr error
	alloc := hostile.Alloc(func() { _, rerr = yamlfile.ReadFile(path, yamlfile.Limits{}) })
	const want = "big.yaml:1:524289: the file is larger than 512 KiB, the budget for a YAML file"
	if rerr == nil || !strings.HasSuffix(rerr.Error(), want) {
		t.Errorf("ReadFile() error = %v, want %s", rerr, want)
	}
	if alloc > 8<<20 {
		t.Errorf("ReadFile() allocated %d bytes for a 1 GiB file, want it to stop reading at the 512 KiB budget", alloc)
	}
	if _, err := yamlfile.ReadFile(filepath.Join(t.TempDir(), "none.yaml"), yamlfile.Limits{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) error = %v, want one wrapping os.ErrNotExist", err)
	}
}

// FuzzDecode holds Decode to its contract on any input, under
// small budgets so that the fuzzer reaches them: no panic; every error
// positioned in the file; and whatever it accepts is, by a plain recursive
// count, within the budgets and free of repeated keys.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"a: [b, c]\n",
		"a: 1\n---\nb: 2\n",
		"a: &l [1, *l]\n",
		"a: &a [1, 2, 3]\nb: *a\nc: *a\n",
		"a: &a [[x]]\nb: [*a]\n",
		"a: 1\na: 2\n",
		"? [a]\n: b\n",
		"a: &k b\n*k : c\n",
		"<<: {a: 1}\n",
		hostile.NestedLists(5),
		hostile.NestedMaps("", 5),
		"l:\n" + hostile.Laughs("  ", "l", 4, 3),
	} {
		f.Add([]byte(s))
	}
	addCorpus(f, "../testdata/hostile")
	lim := yamlfile.Limits{MaxBytes: 4096, MaxNodes: 40, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, err := yamlfile.Decode("f.yaml", src, lim)
		if err != nil {
			hostile.Positioned(t, err, "f.yaml")
		}
		if root == nil {
			return
		}
		var c naiveCount
		c.walk(root, 1, lim)
		if c.nodes > lim.MaxNodes || c.depth > lim.MaxDepth {
			t.Fatalf("accepted a tree of %d nodes, %d deep, over the budget of %d nodes, %d deep", c.nodes, c.depth, lim.MaxNodes, lim.MaxDepth)
		}
		if c.dup != "" {
			t.Fatalf("accepted a tree in which key %q repeats", c.dup)
		}
	})
}

// naiveCount counts a tree the obvious way, expanding every alias, and
// gives up as soon as it is over the budget.
type naiveCount struct {
	nodes, depth int
	dup          string
}

func (c *naiveCount) walk(n *yaml.Node, level int, lim yamlfile.Limits) {
	if c.nodes > lim.MaxNodes || level > lim.MaxDepth+1 {
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c.nodes++
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return
	}
	c.depth = max(c.depth, level)
	seen := map[string]bool{}
	for i, k := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind == yaml.ScalarNode && seen[k.Value] {
				c.dup = k.Value
			}
			seen[k.Value] = true
		}
		c.walk(n.Content[i], level+1, lim)
	}
}

// addCorpus adds every file under dir to f's seed corpus.
func addCorpus(f *testing.F, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
}

// BenchmarkDecode times the worst inputs within reach of the budgets:
// a file of the most nodes its size allows (refused at the node budget
// after yaml.v3 has parsed it all), an alias bomb, and a syntax error at
// the end of the largest file whose errors are located.
func BenchmarkDecode(b *testing.B) {
	dense := "v: " + hostile.DenseList(yamlfile.DefaultMaxBytes/2)
	located := strings.Repeat("a: b\n", (32<<10)/5-2) + "x: y: z\n"
	for _, bm := range []struct{ name, src string }{
		{"dense", dense[:yamlfile.DefaultMaxBytes-2] + "]\n"},
		{"laughs", "l:\n" + hostile.Laughs("  ", "l", 9, 9)},
		{"located syntax error", located},
	} {
		b.Run(bm.name, func(b *testing.B) {
			src := []byte(bm.src)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := yamlfile.Decode("f.yaml", src, yamlfile.Limits{}); err == nil {
					b.Fatal("Decode accepted a hostile input")
				}
			}
		})
	}
}
