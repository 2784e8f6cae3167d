// Package hostile generates the big inputs of the loaders' hostile
// corpora: alias bombs, deep nesting, oversized files, many documents.
// They are generated rather than committed, so that the repository holds
// kilobytes, not megabytes; each loader's tests wrap them in the shape of
// its own files (a flow's states, an overlay's policy, a fixture's
// accounts, an answers list) and assert the error and the memory taken.
// Corpus reads a loader's committed small cases, and Check holds a loader
// to a case: exactly its errors, within MaxAlloc.
//
//	src := "vars:\n" + hostile.Laughs("  ", "l", 9, 9) + hostile.Aliases("  ", "v", "l8", 2000)
//	alloc := hostile.Alloc(func() { syntax.Load("f.yaml", []byte(src)) })
package hostile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/yamlfile"
)

// MaxAlloc is what loading any hostile input may allocate in all: the
// issue's 256 MB. Allocation counts every byte the load asks for, garbage
// included, so it bounds the peak memory from above.
const MaxAlloc = 256 << 20

// Laughs returns the "billion laughs": block mapping entries, each line
// starting with indent, that define anchors name0 to name<levels-1>;
// name0 is a list of width scalars and each next one a list of width
// aliases to the one before, so the last expands to width^levels scalars.
func Laughs(indent, name string, levels, width int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s0: &%s0 [%s]\n", indent, name, name, strings.TrimSuffix(strings.Repeat("lol, ", width), ", "))
	for l := 1; l < levels; l++ {
		ref := fmt.Sprintf("*%s%d", name, l-1)
		fmt.Fprintf(&b, "%s%s%d: &%s%d [%s]\n", indent, name, l, name, l, strings.TrimSuffix(strings.Repeat(ref+", ", width), ", "))
	}
	return b.String()
}

// Aliases returns n block mapping entries, prefix0 to prefix<n-1>, each an
// alias to anchor.
func Aliases(indent, prefix, anchor string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%s%d: *%s\n", indent, prefix, i, anchor)
	}
	return b.String()
}

// ListAliases returns n block list items, each an alias to anchor.
func ListAliases(indent, anchor string, n int) string {
	return strings.Repeat(indent+"- *"+anchor+"\n", n)
}

// NestedLists returns a flow-style scalar inside depth nested lists:
// [[[x]]] for depth 3.
func NestedLists(depth int) string {
	return strings.Repeat("[", depth) + "x" + strings.Repeat("]", depth)
}

// NestedMaps returns block mappings nested depth deep, the first key
// indented by indent: `a:\n  a:\n    a: x` for depth 3.
func NestedMaps(indent string, depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(indent + strings.Repeat("  ", i) + "a:")
		if i == depth-1 {
			b.WriteString(" x")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// DenseList returns a flow list of n one-digit scalars, two bytes each:
// the most YAML nodes a file of its size can hold.
func DenseList(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]"
}

// Comments returns comment lines adding up to at least size bytes: a file
// that is big without holding any node.
func Comments(size int) string {
	const line = "# a comment that makes the file big without a node in it\n"
	return strings.Repeat(line, size/len(line)+1)
}

// Documents returns n YAML documents, each doc after a --- line.
func Documents(doc string, n int) string {
	return strings.Repeat("---\n"+doc, n)
}

// Alloc returns how many bytes f allocates on the heap, garbage included
// (runtime.MemStats.TotalAlloc). The caller must not run other tests in
// parallel, whose allocations would count too.
func Alloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Case is one input of a hostile corpus and the errors loading it must
// give: all of them, and no others.
type Case struct {
	Name string
	Path string // the file's name in errors; "f.yaml" when empty
	Src  string
	Want []string
}

// File returns the name the case's input is loaded under.
func (c Case) File() string {
	if c.Path == "" {
		return "f.yaml"
	}
	return c.Path
}

// Corpus reads the committed cases in dir: every file is one, loaded
// under its own name, and its `# want: ERROR` lines are the errors it must
// give. A file without one is a mistake in the corpus, reported on t.
func Corpus(t testing.TB, dir string) []Case {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []Case
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		c := Case{Name: e.Name(), Path: e.Name(), Src: string(src)}
		for _, line := range strings.Split(c.Src, "\n") {
			if w, ok := strings.CutPrefix(line, "# want: "); ok {
				c.Want = append(c.Want, w)
			}
		}
		if len(c.Want) == 0 {
			t.Fatalf("%s: no # want: line", filepath.Join(dir, e.Name()))
		}
		out = append(out, c)
	}
	return out
}

// Check loads c with load, which returns the load's error, and reports on
// t when the errors are not exactly c.Want or the load allocated more
// than MaxAlloc.
func Check(t *testing.T, c Case, load func(name string, src []byte) error) {
	t.Helper()
	var err error
	alloc := Alloc(func() { err = load(c.File(), []byte(c.Src)) })
	var got []string
	if err != nil {
		got = strings.Split(err.Error(), "\n")
	}
	if strings.Join(got, "\n") != strings.Join(c.Want, "\n") {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.Want, "\n"))
	}
	if alloc > MaxAlloc {
		t.Errorf("loading allocated %d MB, want at most %d MB", alloc>>20, MaxAlloc>>20)
	}
}

// Positioned reports on t unless err is a non-empty yamlfile.ErrorList whose
// every error is at a line and column of file: what a loader's fuzz
// target holds every failure to.
func Positioned(t *testing.T, err error, file string) {
	t.Helper()
	var list yamlfile.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error %v is not an yamlfile.ErrorList", err)
	}
	for _, e := range list {
		if e.Pos.File != file || e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Fatalf("error %q is not positioned in %s", e, file)
		}
	}
}
