package catalog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
)

func registry(t *testing.T) *engine.Registry {
	t.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// write creates files (path -> content) under a new directory.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestShippedFlows(t *testing.T) {
	cat, err := catalog.Load("../flows", catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatalf("the shipped flows have problems:\n%v", err)
	}
	if got := strings.Join(cat.Names(), ","); got != "connect,signup" {
		t.Errorf("Names() = %s, want connect,signup", got)
	}
	// Every shipped flow runs in every region's countries: an overlay
	// for connect does not stop signup (it once did: "region eu sets
	// policy for unknown flow connect").
	for _, name := range cat.Names() {
		for _, cc := range []string{"", "US", "FR", "DE", "BR", "SG", "IN"} {
			c, err := cat.Compiled(name, cc)
			if err != nil {
				t.Errorf("Compiled(%s, %q): %v", name, cc, err)
				continue
			}
			if fl, ok := cat.Version(c.Hash()); !ok || fl != c.Flow {
				t.Errorf("Version(%s) does not give back the flow Compiled(%s, %q) handed out", c.Hash(), name, cc)
			}
		}
	}
	de, _ := cat.Compiled("connect", "DE")
	us, _ := cat.Compiled("connect", "US")
	if de.Region.Name != "eu-de" || us.Region.Name != "default" {
		t.Errorf("regions: DE %s, US %s; want eu-de, default", de.Region.Name, us.Region.Name)
	}
	if de.Hash() == us.Hash() {
		t.Errorf("DE and US share a hash although their policies differ")
	}
	if got := de.Flow.Info().Policy["data_provisioning_consent"]; got != true {
		t.Errorf("DE data_provisioning_consent = %v, want true", got)
	}
}

const parent = `flow: parent
start: sub
states:
  sub:
    run: flow:child
    on: {low: low, high: high}
  low: {final: low}
  high: {final: high}
`

const child = `flow: child
start: pick
policy: {limit: 5}
states:
  pick:
    ask:
      text: "limit {{ policy.limit }}"
      choices: [next]
    on:
      next:
        - if: policy.limit < 3
          go: low
        - go: high
  low: {final: low}
  high: {final: high}
`

// An overlay's values for a subflow apply where the subflow runs.
func TestOverlayReachesSubflow(t *testing.T) {
	dir := write(t, map[string]string{
		"parent.yaml": parent,
		"child.yaml":  child,
		"regions/low.yaml": `region: low
countries: [FR]
flows:
  child: {limit: 2}
`,
	})
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatal(err)
	}
	for cc, want := range map[string]string{"FR": "limit 2", "US": "limit 5"} {
		c, err := cat.Compiled("parent", cc)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Flow.Start(context.Background(), engine.Ports{})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Current().Prompt.Title.Text; got != want {
			t.Errorf("parent in %s: the subflow asks %q, want %q", cc, got, want)
		}
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		flow  string // the flow file whose problems are asked for
		want  []string
	}{{
		name: "broken overlay stops every flow",
		files: map[string]string{"parent.yaml": parent, "child.yaml": child,
			"regions/us.yaml": "region: us\ncountries: [US]\nflows:\n  child: {limit: soon}\n"},
		flow: "parent.yaml",
		want: []string{"regions/us.yaml:4:11: policy limit of flow child is an int, not a string"},
	}, {
		name: "overlay for an unknown flow",
		files: map[string]string{"child.yaml": child,
			"regions/us.yaml": "region: us\ncountries: [US]\nflows:\n  chld: {limit: 1}\n"},
		flow: "child.yaml",
		want: []string{"regions/us.yaml:4:3: region us sets policy for unknown flow chld (did you mean child?)"},
	}, {
		name:  "a subflow's problems stop the parent",
		files: map[string]string{"parent.yaml": parent, "child.yaml": strings.Replace(child, "go: high", "go: hihg", 1)},
		flow:  "parent.yaml",
		want:  []string{"child.yaml:13:15: unknown state hihg (did you mean high?)"},
	}, {
		name:  "two files, one flow name",
		files: map[string]string{"a.yaml": child, "b.yaml": child},
		flow:  "b.yaml",
		want:  []string{"b.yaml:1:7: flow child is also defined in"},
	}, {
		name:  "a broken YAML file is a flow with an error",
		files: map[string]string{"x.yaml": "flow: [\n"},
		flow:  "x.yaml",
		want:  []string{"x.yaml:"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, tt.files)
			cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
			if err != nil {
				t.Fatal(err)
			}
			ferr := cat.FileErr(filepath.Join(dir, tt.flow))
			if ferr == nil {
				t.Fatalf("FileErr(%s) = nil, want problems", tt.flow)
			}
			got := strings.ReplaceAll(ferr.Error(), dir+string(filepath.Separator), "")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems:\n%s\nwant one containing %q", got, w)
				}
			}
			if cat.Err() == nil {
				t.Errorf("Err() = nil, want the problems")
			}
		})
	}
}

// Lists and mappings that are not flows (answers files, path files) in
// the directory are not flows; a file named explicitly is, whatever it
// holds.
func TestWhichFilesAreFlows(t *testing.T) {
	dir := write(t, map[string]string{
		"child.yaml":   child,
		"answers.yaml": "- {state: pick, choice: next}\n",
		"config.yaml":  "name: not a flow\n",
	})
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatalf("Err() = %v, want none", err)
	}
	if _, err := cat.NameOf(filepath.Join(dir, "answers.yaml")); !errors.Is(err, catalog.ErrNoFlow) {
		t.Errorf("NameOf(answers.yaml) = %v, want ErrNoFlow", err)
	}
	cat, err = catalog.Load(dir, catalog.Options{Registry: registry(t), Files: []string{filepath.Join(dir, "config.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.FileErr(filepath.Join(dir, "config.yaml")); err == nil {
		t.Errorf("an explicit file that is not a flow has no problems")
	}
}

// Compiled takes a country code and nothing else: the error for anything
// else wraps ErrCountry and says what was meant, the countries of a
// region when a region's name was given for a country.
func TestCompiledCountry(t *testing.T) {
	cat, err := catalog.Load("../flows", catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ code, want string }{
		{"DE", ""},
		{"de", `"de" is not upper case; did you mean DE?`},
		{"UK", "UK is not an assigned ISO 3166-1 alpha-2 code; the United Kingdom is GB"},
		{"XX", "XX is not an assigned ISO 3166-1 alpha-2 code"},
		{"EU", "EU is not an assigned ISO 3166-1 alpha-2 code"},
		{"DEU", `"DEU" is not a country code`},
		{"eu-de", "eu-de is a region (a policy overlay), not a country; give one of its countries: AT, DE, LI"},
		{"strict", "strict is a region (a policy overlay), not a country; give one of its countries: HK, KR, SG"},
		{strings.Repeat("x", 10<<10), `"xxxxxxxxxxxxxxxx"... (10240 bytes) is not a country code`},
	}
	for _, tt := range tests {
		_, err := cat.Compiled("connect", tt.code)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Compiled(connect, %.20s) = %v, want nil", tt.code, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, catalog.ErrCountry)):
			t.Errorf("Compiled(connect, %.20s) = %v, want ErrCountry with %q", tt.code, err, tt.want)
		}
	}
}

// Whether a file in the directory is a flow is decided from its first
// document as yaml.v3 reads it, whatever else is wrong with the file; one
// that does not parse is a flow, so that its error is reported.
func TestWhichFilesAreFlowsDespiteProblems(t *testing.T) {
	tests := []struct {
		name, src string
		flow      bool
	}{
		{"empty", "", false},
		{"comments only", "# nothing here\n", false},
		{"a list", "- {state: pick, choice: next}\n", false},
		{"a syntax error", "- a\n- b: [\n", true},
		{"a list, then a flow", "- a\n---\nflow: x\n", false},
		{"a flow, then a list", "flow: x\n---\n- a\n", true},
		{"a mapping with a repeated key", "name: a\nname: b\n", false},
		{"a flow with a repeated key", "states: {}\nstates: {}\n", true},
		{"an alias cycle in a mapping", "a: &x [*x]\n", false},
		// Not read past the size budget, so taken for a flow, whose
		// loading says the file is too large.
		{"a list over the size budget", strings.Repeat("- {state: pick, choice: next}\n", 20000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, map[string]string{"child.yaml": child, "x.yaml": tt.src})
			cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
			if err != nil {
				t.Fatal(err)
			}
			err = cat.FileErr(filepath.Join(dir, "x.yaml"))
			if got := !errors.Is(err, catalog.ErrNoFlow); got != tt.flow {
				t.Errorf("x.yaml taken for a flow: %v, want %v (FileErr: %v)", got, tt.flow, err)
			}
			if got := cat.Err() != nil; got != tt.flow {
				t.Errorf("Err() = %v, want problems: %v", cat.Err(), tt.flow)
			}
			if len(tt.src) > 512<<10 && (cat.Err() == nil || !strings.Contains(cat.Err().Error(), "larger than 512 KiB")) {
				t.Errorf("Err() = %v, want the size budget", cat.Err())
			}
		})
	}
}
