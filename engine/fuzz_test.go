package engine_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// FuzzLoadCheck feeds arbitrary bytes to Load and Compile: a flow file is
// user data, so neither may panic, and a failure must be an error list.
func FuzzLoadCheck(f *testing.F) {
	var paths []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		okFlow,
		"",
		"---\n",
		"flow: t\n---\nflow: u\n",
		"flow: [\n",
		"- a\n",
		"flow: t\nstart: a\nstates:\n  a: &x {run: svc.ping, on: {done: *x}}\n",
		"flow: t\nstart: a\nvars: {v: &l [*l]}\nstates: {a: {final: ok}}\n",
		"flow: t\nstart: a\nstates:\n  a:\n    ask: {text: '{{ }}{{', fields: {f: {type: code, length: 0}}}\n    after: {-5s: a, policy.x: a, 1e9: a}\n",
		"flow: t\nstart: a\nstates:\n  a:\n    run: flow:t\n    with: {x: '(((('}\n    on: {ok: [{if: '1 +', go: a}, b]}\n",
		"flow: t\nstart: a\nstates:\n  a:\n    ask:\n      choices: [{x: {fields: [y, 1]}}, {x: X}, [z]]\n    on: {x: done}\n  done: {final: ok, output: {o: 'now()'}}\n",
		"flow: t\nstart: a\npolicy: {d: 30s, t: 2024-01-01T00:00:00Z, n: !!int x, b: !!binary aGk=}\nstates: {a: {final: ok}}\n",
	} {
		f.Add([]byte(s))
	}
	reg := testRegistry(f, nil)
	subs := flows{"sub": okFlow, "t": okFlow}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := syntax.Load("f.yaml", src)
		if err != nil {
			if len(yamlfile.Errors(err)) == 0 {
				t.Fatalf("Load error %v holds no errors", err)
			}
			return
		}
		fl, err := engine.Compile(file, reg, engine.WithSubflows(subs.resolve))
		if err != nil {
			if fl != nil {
				t.Fatalf("Compile returned a flow and an error: %v", err)
			}
			return
		}
		if fl.Name() != file.Flow.Name {
			t.Fatalf("flow name = %q, want %q", fl.Name(), file.Flow.Name)
		}
	})
}
