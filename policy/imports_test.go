package policy

import (
	"go/build"
	"strings"
	"testing"
)

// Policy is read by every front end and by the catalog; it knows flows
// and countries, never the actions flows run or the systems behind them.
func TestImportsNoActionOrAdapter(t *testing.T) {
	const module = "github.com/tetherflow/tether/"
	seen := map[string]bool{}
	var walk func(path, dir, from string)
	walk = func(path, dir, from string) {
		if seen[path] {
			return
		}
		seen[path] = true
		rest, ok := strings.CutPrefix(path, module)
		if !ok {
			return // the standard library and other modules
		}
		if rest == "actions" || strings.HasPrefix(rest, "actions/") || strings.HasPrefix(rest, "adapters/") {
			t.Errorf("policy imports %s (through %s)", path, from)
			return
		}
		pkg, err := build.Default.Import(path, dir, 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, pkg.Dir, path)
		}
	}
	walk(module+"policy", ".", "")
	if !seen[module+"internal/country"] {
		t.Errorf("policy does not import internal/country: the walk missed its imports")
	}
}
