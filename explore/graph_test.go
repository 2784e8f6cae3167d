package explore_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/explore"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata with the current output")

// graphRegistry declares the actions testdata/graph flows run; graphs never
// run them.
func graphRegistry(t *testing.T) *engine.Registry {
	t.Helper()
	noop := func(context.Context, engine.Args) (engine.Result, error) { return engine.Result{}, nil }
	reg, err := engine.NewRegistry(engine.Func(engine.Spec{
		Name: "portal.sign_in",
		Params: []engine.Param{
			{Name: "email", Kind: value.String, Required: true},
			{Name: "password", Kind: value.String, Required: true, Secret: true},
		},
		Outcomes: []string{"ok", "wrong"},
	}, noop))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

var graphExt = map[explore.GraphFormat]string{explore.Mermaid: ".mmd", explore.DOT: ".dot"}

// TestGraphGolden renders every flow in testdata/graph in every format and
// compares it with its golden file (go test -run Graph -update rewrites them).
func TestGraphGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/graph/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no flows in testdata/graph (err %v)", err)
	}
	for _, file := range files {
		fl, err := engine.CompileFile(file, graphRegistry(t))
		if err != nil {
			t.Fatalf("compile %s: %v", file, err)
		}
		for _, format := range explore.GraphFormats() {
			golden := strings.TrimSuffix(file, ".yaml") + graphExt[format]
			t.Run(filepath.Base(golden), func(t *testing.T) {
				var got bytes.Buffer
				if err := explore.Graph(&got, fl, format); err != nil {
					t.Fatalf("Graph(%s) = %v", format, err)
				}
				// Handlers live in a map: render again to catch any order
				// that depends on map iteration.
				for range 10 {
					var again bytes.Buffer
					if err := explore.Graph(&again, fl, format); err != nil {
						t.Fatal(err)
					}
					if again.String() != got.String() {
						t.Fatalf("Graph(%s) differs between calls:\n%s\n---\n%s", format, got.String(), again.String())
					}
				}
				if *update {
					if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./explore -run Graph -update to create it)", err)
				}
				if got.String() != string(want) {
					t.Errorf("Graph(%s) of %s differs from %s (-update rewrites it):\ngot:\n%s\nwant:\n%s", format, file, golden, got.String(), want)
				}
			})
		}
	}
}

// TestGraphShapes pins the parts of a diagram the golden files could let
// slip if they were regenerated without reading them.
func TestGraphShapes(t *testing.T) {
	fl, err := engine.CompileFile("testdata/graph/connect.yaml", graphRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	render := func(format explore.GraphFormat) string {
		var b bytes.Buffer
		if err := explore.Graph(&b, fl, format); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	mmd, dot := render(explore.Mermaid), render(explore.DOT)
	tests := []struct {
		name, got, want string
	}{
		{"mermaid header", mmd, "stateDiagram-v2\n"},
		{"mermaid start", mmd, "    [*] --> sign_in\n"},
		{"mermaid guard", mmd, "    check_password --> sign_in: wrong [failures + 1 #gt;= policy.captcha_after_failures]\n"},
		{"mermaid else", mmd, "    check_password --> sign_in: wrong [else]\n"},
		{"mermaid self-loop", mmd, "    enter_code --> enter_code: resend [failures #lt; 3]\n"},
		{"mermaid timer", mmd, "    sign_in --> abandoned: after 10m\n"},
		{"mermaid policy timer", mmd, "    enter_code --> sign_in: after policy.code_lifetime\n"},
		{"mermaid subflow", mmd, "    signup: run flow#58;signup\n"},
		{"mermaid success", mmd, "    connected: final connected (success)\n"},
		{"mermaid no success", mmd, "    locked: final locked (no success)\n"},
		{"mermaid final", mmd, "    connected --> [*]\n"},
		{"dot start", dot, "\t\"[*]\" -> \"sign_in\";\n"},
		{"dot guard", dot, "\t\"check_password\" -> \"locked\" [label=\"wrong [failures + 1 >= policy.lockout_after_failures]\"];\n"},
		{"dot self-loop", dot, "\t\"enter_code\" -> \"enter_code\" [label=\"resend [failures < 3]\"];\n"},
		{"dot success", dot, "\t\"connected\" [label=\"connected\\nfinal connected (success)\", peripheries=2, color=darkgreen];\n"},
		{"dot no success", dot, "\t\"abandoned\" [label=\"abandoned\\nfinal not_connected (no success)\", peripheries=2, color=firebrick];\n"},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.got, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.name, tt.want, tt.got)
		}
	}
	// Handlers are sorted by event: continue before create_account, and
	// the on: handlers before the timer.
	order := []string{
		"sign_in --> check_password: continue",
		"sign_in --> signup: create_account",
		"sign_in --> abandoned: after 10m",
	}
	last := -1
	for _, line := range order {
		i := strings.Index(mmd, line)
		if i < 0 || i < last {
			t.Errorf("edge %q at %d, want after %d", line, i, last)
		}
		last = i
	}
}

func TestGraphEscaping(t *testing.T) {
	fl, err := engine.CompileFile("testdata/graph/special.yaml", graphRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var mmd, dot bytes.Buffer
	if err := explore.Graph(&mmd, fl, explore.Mermaid); err != nil {
		t.Fatal(err)
	}
	if err := explore.Graph(&dot, fl, explore.DOT); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"mermaid title", mmd.String(), "title: \"Say \\\"hi\\\"; #1: a\\\\b <ok> & {x}\"\n"},
		{"mermaid keyword state", mmd.String(), "    state \"state\" as state__\n"},
		{"mermaid keyword end", mmd.String(), "    state \"end\" as end_\n"},
		{"mermaid label", mmd.String(), "    state__ --> note_: go [word == #quot;x#59;y#quot; || word contains #quot;#35;#quot;]\n"},
		{"mermaid block guard", mmd.String(), "    state__ --> state_: go [word startsWith #quot;\\\\#quot; #amp;#amp; len(word) #lt; 3]\n"},
		{"mermaid braces", mmd.String(), "stay [#123;'a'#58; 1#125;.a #gt; 0]"},
		{"dot title", dot.String(), "\tlabel=\"Say \\\"hi\\\"; #1: a\\\\b <ok> & {x}\";\n"},
		{"dot label", dot.String(), "[label=\"go [word startsWith \\\"\\\\\\\\\\\" && len(word) < 3]\"]"},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.got, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.name, tt.want, tt.got)
		}
	}
	// No label may end a Mermaid line early or hold raw markup: once the
	// #code; entities are taken out, no edge label holds : ; # " < > { } &.
	entity := regexp.MustCompile(`#[a-z0-9]+;`)
	for _, line := range strings.Split(mmd.String(), "\n") {
		_, label, ok := strings.Cut(line, ": ")
		if !strings.Contains(line, "-->") || !ok {
			continue
		}
		if strings.ContainsAny(entity.ReplaceAllString(label, ""), ":;#\"<>{}&") {
			t.Errorf("mermaid edge line not escaped: %q", line)
		}
	}
}

func TestGraphUnknownFormat(t *testing.T) {
	fl, err := engine.CompileFile("testdata/graph/signup.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err = explore.Graph(&b, fl, "svg")
	if err == nil || !strings.Contains(err.Error(), `unknown format "svg"`) {
		t.Errorf("Graph(svg) = %v, want an unknown format error", err)
	}
	if b.Len() != 0 {
		t.Errorf("Graph(svg) wrote %q, want nothing", b.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestGraphWriteError(t *testing.T) {
	fl, err := engine.CompileFile("testdata/graph/signup.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := explore.Graph(failWriter{}, fl, explore.DOT); err == nil || err.Error() != "disk full" {
		t.Errorf("Graph(failing writer) = %v, want disk full", err)
	}
}
