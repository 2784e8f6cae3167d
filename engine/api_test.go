package engine_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// maxExported bounds the package's exported functions, methods and types,
// counted as `go doc -all ./engine | grep -cE '^func |^type '` counts
// them (constants and variables are not counted). The engine compiles and
// runs flows; what the flow language gains goes into package syntax and
// the checker, what tools need into package flowinfo (doc.go).
const maxExported = 60

func TestExportedAPIIsSmall(t *testing.T) {
	names := exportedAPI(t, ".")
	t.Logf("package engine exports %d functions, methods and types", len(names))
	if len(names) > maxExported {
		t.Errorf("package engine exports %d functions, methods and types, more than %d:\n%s\n"+
			"move what a flow author or a front end does not need into a package of its own (doc.go)",
			len(names), maxExported, strings.Join(names, "\n"))
	}
	// The count is go doc's: a type, its constructors and its methods
	// each count once, constants, variables and what is unexported not at
	// all (testdata/apicount holds one of each).
	got := exportedAPI(t, "testdata/apicount")
	want := []string{"func (*T) Get", "func (T) String", "func Free", "func NewT", "type T"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("testdata/apicount counts as %q, want %q (go doc -all shows those)", got, want)
	}
}

// exportedAPI lists what go doc shows of the package in dir: its exported
// functions, types and the methods of its exported types.
func exportedAPI(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/tetherflow/tether/engine")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range p.Funcs {
		out = append(out, "func "+f.Name)
	}
	for _, ty := range p.Types {
		out = append(out, "type "+ty.Name)
		for _, f := range ty.Funcs {
			out = append(out, "func "+f.Name)
		}
		for _, m := range ty.Methods {
			out = append(out, "func ("+m.Recv+") "+m.Name)
		}
	}
	sort.Strings(out)
	return out
}
