package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// testFlow is a small flow whose policy has one value of each kind the
// overlays set, and a consent state only a policy guard leads to.
const testFlow = `flow: door
start: ask
policy:
  attempts: 3
  wait: 30s
  consent: false
  document: plain
  ratio: 0.5
states:
  ask:
    ask:
      choices: [next]
    on:
      next:
        - if: policy.consent
          go: consent
        - go: done
  consent:
    ask:
      choices: [accept]
    on:
      accept: done
  done:
    final: done
    success: true
`

// inDir writes files (relative path -> content) into a new directory and
// makes it the working directory, so that positions read regions/x.yaml.
func inDir(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

func compile(t *testing.T, path string) *engine.Flow {
	t.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.CompileFile(path, reg)
	if err != nil {
		t.Fatalf("CompileFile(%s) = %v", path, err)
	}
	return fl
}

// errorLines returns err's messages one per element, for comparing.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "unknown key, missing region",
			files: map[string]string{"regions/a.yaml": "countrys: [DE]\n"},
			want: []string{
				"regions/a.yaml:1:1: missing key region (the region's name)",
				"regions/a.yaml:1:1: unknown key countrys in overlay (did you mean countries?)",
			},
		},
		{
			name:  "not a mapping",
			files: map[string]string{"regions/a.yaml": "- DE\n"},
			want:  []string{"regions/a.yaml:1:1: overlay must be a mapping, not a list"},
		},
		{
			name:  "syntax error",
			files: map[string]string{"regions/a.yaml": "region: a\ncountries: [DE\n"},
			want:  []string{"regions/a.yaml:2:13: this list is not closed: a \",\" or \"]\" was expected"},
		},
		{
			name:  "empty file",
			files: map[string]string{"regions/a.yaml": "# nothing yet\n"},
			want:  []string{"regions/a.yaml:1:1: empty overlay: want region, countries, extends or flows"},
		},
		{
			name: "region names",
			files: map[string]string{
				"regions/a.yaml": "region: default\ncountries: [DE]\n",
				"regions/b.yaml": "region: Big One\ncountries: [FR]\n",
			},
			want: []string{
				"regions/a.yaml:1:9: region name default is reserved for countries in no overlay",
				`regions/b.yaml:1:9: region name "Big One": want lower-case letters, digits, - and _, starting with a letter`,
			},
		},
		{
			name: "region defined twice",
			files: map[string]string{
				"regions/a.yaml": "region: eu\ncountries: [DE]\n",
				"regions/b.yaml": "region: eu\ncountries: [FR]\n",
			},
			want: []string{
				"regions/a.yaml:1:9: region eu is also defined at regions/b.yaml:1:9",
				"regions/b.yaml:1:9: region eu is also defined at regions/a.yaml:1:9",
			},
		},
		{
			name: "bad country codes",
			files: map[string]string{
				"regions/a.yaml": "region: a\ncountries: [de, DEU, UK, XX, 49, DE, DE]\n",
			},
			want: []string{
				`regions/a.yaml:2:13: bad country code "de": want two upper-case letters (ISO 3166-1 alpha-2) (did you mean DE?)`,
				`regions/a.yaml:2:17: bad country code "DEU": want two upper-case letters (ISO 3166-1 alpha-2)`,
				"regions/a.yaml:2:22: country code UK is not an assigned ISO 3166-1 alpha-2 code (the United Kingdom is GB)",
				"regions/a.yaml:2:26: country code XX is not an assigned ISO 3166-1 alpha-2 code",
				"regions/a.yaml:2:30: country code must be two upper-case letters (ISO 3166-1 alpha-2), not 49",
				"regions/a.yaml:2:38: country DE is listed twice (first at line 2)",
			},
		},
		{
			name:  "countries not a list",
			files: map[string]string{"regions/a.yaml": "region: a\ncountries: DE\n"},
			want:  []string{`regions/a.yaml:2:12: countries must be a list of country codes, not "DE"`},
		},
		{
			name: "country in two regions",
			files: map[string]string{
				"regions/a.yaml": "region: a\ncountries: [FR, DE]\n",
				"regions/b.yaml": "region: b\ncountries:\n  - DE\n",
			},
			want: []string{
				"regions/a.yaml:2:17: country DE is also in region b (regions/b.yaml:3:5): a country belongs to one region",
				"regions/b.yaml:3:5: country DE is also in region a (regions/a.yaml:2:17): a country belongs to one region",
			},
		},
		{
			name: "unknown parent",
			files: map[string]string{
				"regions/eu.yaml":  "region: eu\ncountries: [FR]\n",
				"regions/de.yaml":  "region: de\nextends: eux\ncountries: [DE]\n",
				"regions/top.yaml": "region: top\nextends: nowhere\ncountries: [US]\n",
			},
			want: []string{
				"regions/de.yaml:2:10: region de extends unknown region eux (did you mean eu?)",
				"regions/top.yaml:2:10: region top extends unknown region nowhere",
			},
		},
		{
			name: "extends cycle",
			files: map[string]string{
				"regions/a.yaml": "region: a\nextends: b\ncountries: [FR]\n",
				"regions/b.yaml": "region: b\nextends: a\ncountries: [DE]\n",
				"regions/c.yaml": "region: c\nextends: c\ncountries: [IT]\n",
				"regions/d.yaml": "region: d\nextends: a\ncountries: [ES]\n",
			},
			want: []string{
				"regions/a.yaml:2:10: extends cycle: a extends b extends a",
				"regions/b.yaml:2:10: extends cycle: b extends a extends b",
				"regions/c.yaml:2:10: extends cycle: c extends c",
			},
		},
		{
			name: "region that applies nowhere",
			files: map[string]string{
				"regions/base.yaml":  "region: base\n",
				"regions/child.yaml": "region: child\nextends: base\ncountries: [DE]\n",
				"regions/lost.yaml":  "region: lost\ncountries: []\n",
			},
			want: []string{"regions/lost.yaml:1:9: region lost has no countries and no region extends it, so it applies nowhere"},
		},
		{
			name: "flow values",
			files: map[string]string{"regions/a.yaml": `region: a
countries: [DE]
flows:
  door:
    attempts:
    wait: 5q
    attempts: 2
  door-2: {}
  hall: []
`},
			want: []string{
				"regions/a.yaml:5:14: policy attempts of flow door has no value",
				`regions/a.yaml:7:5: duplicate key "attempts" (first at regions/a.yaml:5:5)`,
				`regions/a.yaml:8:3: flow name "door-2" is not a name`,
				"regions/a.yaml:9:9: flows.hall must be a mapping, not a list",
			},
		},
		{
			name:  "scalar keys",
			files: map[string]string{"regions/a.yaml": "region: [a]\nextends: 3\ncountries: [DE]\n"},
			want: []string{
				"regions/a.yaml:1:9: region must be a name, not a list",
				"regions/a.yaml:2:10: extends must be a name, not 3",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inDir(t, tt.files)
			s, err := Load("regions")
			if got := errorLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("Load() errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if s == nil {
				t.Errorf("Load() set = nil, want what could be read along with the errors")
			}
			var list yamlfile.ErrorList
			if err != nil && !errors.As(err, &list) {
				t.Errorf("Load() error is %T, want yamlfile.ErrorList", err)
			}
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	inDir(t, nil)
	_, err := Load("regions")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error matching os.ErrNotExist", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		overlay string
		want    []string
	}{
		{
			name:    "valid",
			overlay: "region: a\ncountries: [DE]\nflows:\n  door:\n    attempts: 2\n    ratio: 1\n    wait: 1m\n",
		},
		{
			name:    "unknown flow",
			overlay: "region: a\ncountries: [DE]\nflows:\n  dor: {attempts: 2}\n  kitchen: {attempts: 2}\n",
			want: []string{
				"regions/a.yaml:4:3: region a sets policy for unknown flow dor (did you mean door?)",
				"regions/a.yaml:5:3: region a sets policy for unknown flow kitchen",
			},
		},
		{
			name: "unknown keys and wrong kinds",
			overlay: `region: a
countries: [DE]
flows:
  door:
    attempt: 2
    attempts: "2"
    wait: 30
    consent: "yes"
    document: 2025.1
    ratio: 1s
`,
			want: []string{
				"regions/a.yaml:5:5: unknown policy key attempt for flow door (did you mean attempts?)",
				`regions/a.yaml:6:5: policy attempts of flow door is an int, not a string`,
				"regions/a.yaml:7:5: policy wait of flow door is a duration, not an int",
				`regions/a.yaml:8:5: policy consent of flow door is a bool, not a string`,
				"regions/a.yaml:9:5: policy document of flow door is a string, not a float",
				"regions/a.yaml:10:5: policy ratio of flow door is a float, not a duration",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inDir(t, map[string]string{"door.yaml": testFlow, "regions/a.yaml": tt.overlay})
			fl := compile(t, "door.yaml")
			s, err := Load("regions")
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			err = s.Check(map[string]*engine.Flow{"door": fl})
			if got := errorLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("Check() errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// overlays for the merge tests: base sets three values, mid extends it
// and overrides one, leaf extends mid and overrides another.
var mergeFiles = map[string]string{
	"door.yaml": testFlow,
	"regions/base.yaml": `region: base
countries: [FR]
flows:
  door:
    attempts: 5
    consent: true
    document: base-doc
`,
	"regions/mid.yaml": `region: mid
extends: base
countries: [DE]
flows:
  door:
    document: mid-doc
`,
	"regions/leaf.yaml": `region: leaf
extends: mid
countries: [AT]
flows:
  door:
    attempts: 2
    wait: 1m
`,
	"regions/other.yaml": `region: other
countries: [BR]
`,
}

func TestEffective(t *testing.T) {
	type value struct {
		v   any
		pos string
	}
	tests := []struct {
		country string
		region  string
		files   []string
		want    map[string]value
	}{
		{"US", "default", nil, map[string]value{
			"attempts": {3, "door.yaml:4:13"},
			"wait":     {30 * time.Second, "door.yaml:5:9"},
			"consent":  {false, "door.yaml:6:12"},
			"document": {"plain", "door.yaml:7:13"},
		}},
		{"FR", "base", []string{"regions/base.yaml"}, map[string]value{
			"attempts": {5, "regions/base.yaml:5:5"},
			"wait":     {30 * time.Second, "door.yaml:5:9"},
			"consent":  {true, "regions/base.yaml:6:5"},
			"document": {"base-doc", "regions/base.yaml:7:5"},
		}},
		{"DE", "mid", []string{"regions/mid.yaml", "regions/base.yaml"}, map[string]value{
			"attempts": {5, "regions/base.yaml:5:5"},
			"consent":  {true, "regions/base.yaml:6:5"},
			"document": {"mid-doc", "regions/mid.yaml:6:5"},
		}},
		{"AT", "leaf", []string{"regions/leaf.yaml", "regions/mid.yaml", "regions/base.yaml"}, map[string]value{
			"attempts": {2, "regions/leaf.yaml:6:5"},
			"wait":     {time.Minute, "regions/leaf.yaml:7:5"},
			"consent":  {true, "regions/base.yaml:6:5"},
			"document": {"mid-doc", "regions/mid.yaml:6:5"},
			"ratio":    {0.5, "door.yaml:8:10"},
		}},
		{"BR", "other", []string{"regions/other.yaml"}, map[string]value{
			"attempts": {3, "door.yaml:4:13"},
		}},
	}
	inDir(t, mergeFiles)
	fl := compile(t, "door.yaml")
	s, err := Load("regions")
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if err := s.Check(map[string]*engine.Flow{"door": fl}); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	for _, tt := range tests {
		eff, r, err := s.Effective(fl, tt.country)
		if err != nil {
			t.Errorf("Effective(%s) = %v", tt.country, err)
			continue
		}
		if r.Name != tt.region || !slices.Equal(r.Files(), tt.files) {
			t.Errorf("Effective(%s) region = %s %q, want %s %q", tt.country, r.Name, r.Files(), tt.region, tt.files)
		}
		pol := eff.Info().Policy
		for k, w := range tt.want {
			pos := eff.Info().PolicySources[k]
			if pol[k] != w.v || pos.String() != w.pos {
				t.Errorf("Effective(%s) %s = %v from %s, want %v from %s", tt.country, k, pol[k], pos, w.v, w.pos)
			}
		}
	}
	// The flow itself is not changed.
	if got := fl.Info().Policy["attempts"]; got != 3 {
		t.Errorf("after Effective, the flow's own attempts = %v, want 3", got)
	}
}

func TestEffectiveReachable(t *testing.T) {
	inDir(t, mergeFiles)
	fl := compile(t, "door.yaml")
	s, err := Load("regions")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		country string
		want    []string
	}{
		{"US", []string{"ask", "done"}},
		{"AT", []string{"ask", "consent", "done"}},
	}
	for _, tt := range tests {
		eff, _, err := s.Effective(fl, tt.country)
		if err != nil {
			t.Fatal(err)
		}
		if got := eff.Info().Reachable; !slices.Equal(got, tt.want) {
			t.Errorf("Effective(%s).Info().Reachable = %q, want %q", tt.country, got, tt.want)
		}
	}
}

func TestEffectiveBadCountry(t *testing.T) {
	inDir(t, mergeFiles)
	fl := compile(t, "door.yaml")
	s, err := Load("regions")
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range []string{"de", "DEU", "", "XX", "UK"} {
		if _, _, err := s.Effective(fl, cc); !errors.Is(err, ErrCountry) {
			t.Errorf("Effective(%q) = %v, want ErrCountry", cc, err)
		}
	}
}

// TestShipped holds flows/regions to the shipped flows: it must load and
// check clean, and each region must change what its comment says it does.
func TestShipped(t *testing.T) {
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.CompileFile("../flows/connect.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load("../flows/regions")
	if err != nil {
		t.Fatalf("Load(flows/regions) = %v", err)
	}
	flows := map[string]*engine.Flow{fl.Name(): fl}
	for n, sub := range fl.Subflows() {
		flows[n] = sub
	}
	if err := s.Check(flows); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	tests := []struct {
		country, region string
		want            map[string]any
	}{
		{"US", "default", map[string]any{"data_provisioning_consent": false, "region": "default"}},
		{"FR", "eu", map[string]any{"data_provisioning_consent": true, "consent_version": "2025.1", "region": "eu"}},
		{"DE", "eu-de", map[string]any{"data_provisioning_consent": true, "consent_document": "gdpr-data-provisioning-de", "region": "eu-de"}},
		{"BR", "brazil", map[string]any{"data_provisioning_consent": true, "consent_document": "lgpd-data-provisioning", "region": "brazil"}},
		{"SG", "strict", map[string]any{"captcha_after_failures": 2, "lockout_after_failures": 4, "region": "strict"}},
		{"IN", "sms-short", map[string]any{"code_lifetime": 2 * time.Minute, "resend_cooldown": time.Minute, "max_resends": 1, "region": "sms-short"}},
	}
	for _, tt := range tests {
		eff, r, err := s.Effective(fl, tt.country)
		if err != nil {
			t.Fatalf("Effective(%s) = %v", tt.country, err)
		}
		if r.Name != tt.region {
			t.Errorf("Effective(%s) region = %s, want %s", tt.country, r.Name, tt.region)
		}
		pol := eff.Info().Policy
		for k, v := range tt.want {
			if pol[k] != v {
				t.Errorf("Effective(%s) %s = %v, want %v", tt.country, k, pol[k], v)
			}
		}
	}
	// Every region names itself in the region policy, so that consent
	// records and logs say which overlay applied.
	for _, r := range s.Regions() {
		if v, ok := r.Merged("connect")["region"]; !ok || v.Value != r.Name {
			t.Errorf("region %s sets policy region to %v, want %s", r.Name, v.Value, r.Name)
		}
	}
}
