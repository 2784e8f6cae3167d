package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/explore"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/adapters/answers"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/internal/schema"
	"github.com/tetherflow/tether/policy"
	"github.com/tetherflow/tether/ui"
)

// The schemas are held to three things here: the files in schema/ are
// what tether schema generates; every YAML file the repository ships or
// its transcripts use validates against its schema exactly when its
// loader accepts it; and, for documents that use every key of each
// format, every single change of a key or a value (an unknown key, a key
// left out, a value of another shape) gets the same verdict from the
// schema as from the loader.

const repo = "../.."

// schemas compiles the generated schemas.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, kind := range schema.Kinds() {
		data, err := schema.Generate(kind, schemaSources())
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(schema.File(kind), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, kind := range schema.Kinds() {
		sch, err := c.Compile(schema.File(kind))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		out[kind] = sch
	}
	return out
}

// jsonView is a YAML document as a YAML language server validates it: its
// scalars by their YAML types (a timestamp stays the text it is), aliases
// followed.
func jsonView(src []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return nodeView(doc.Content[0], 0)
}

func nodeView(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("too deep")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nodeView(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := nodeView(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := nodeView(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return n.Value, nil
		}
		return b, nil
	case "!!int":
		v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return json.Number(n.Value), nil
		}
		return json.Number(strconv.FormatInt(v, 10)), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || f != f || f > 1e308 || f < -1e308 {
			return n.Value, nil // .inf, .nan: no JSON number
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return n.Value, nil
}

// schemaOK reports whether src validates against sch, and why not.
func schemaOK(sch *jsonschema.Schema, src []byte) (bool, string) {
	v, err := jsonView(src)
	if err != nil {
		return false, err.Error()
	}
	if err := sch.Validate(v); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// loaders are the loaders of each kind, as verdicts on a file's content.
// The overlay loader reads a directory: the overlay is written as
// child.yaml next to base.yaml (the region it may extend).
func loaders(t *testing.T) map[string]func(src []byte) error {
	return map[string]func([]byte) error{
		"flow": func(src []byte) error {
			_, err := syntax.Load("t.yaml", src)
			return err
		},
		"overlay": func(src []byte) error {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "base.yaml"), []byte("region: base\ncountries: [DE]\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "child.yaml"), src, 0o644)
			_, err := policy.Load(dir)
			return err
		},
		"fixture": func(src []byte) error {
			_, err := demoportal.ParseFixture("portal.yaml", src)
			return err
		},
		"answers": func(src []byte) error {
			_, err := answers.Parse("answers.yaml", src)
			return err
		},
		"path": func(src []byte) error {
			_, err := explore.ParsePathFile("path.yaml", src)
			return err
		},
		"catalog": func(src []byte) error {
			return ui.ParseCatalog("de.yaml", src)
		},
	}
}

// TestSchemaFiles holds schema/*.json to what tether schema generates.
func TestSchemaFiles(t *testing.T) {
	for _, kind := range schema.Kinds() {
		var out, errOut bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, commands: commands}
		if code := env.main(t.Context(), []string{"schema", kind}); code != 0 {
			t.Fatalf("tether schema %s: exit %d: %s", kind, code, errOut.String())
		}
		file := filepath.Join(repo, "schema", schema.File(kind))
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, out.Bytes()) {
			t.Errorf("%s is not what tether schema %s prints; regenerate the schemas with\n\tgo run ./cmd/tether schema --write schema", file, kind)
		}
	}
}

// kindOfFile says which schema a file of the repository or of a
// transcript archive is held to, by its name; "" for none.
func kindOfFile(name string) string {
	base := filepath.Base(name)
	switch {
	case strings.Contains(name, "regions"+string(filepath.Separator)) || strings.HasPrefix(name, "regions/"):
		return "overlay"
	case strings.Contains(name, "locales"+string(filepath.Separator)) || strings.HasPrefix(name, "locales/"):
		return "catalog"
	case base == "portal.yaml":
		return "fixture"
	case strings.HasPrefix(base, "answers") && strings.HasSuffix(base, ".yaml"):
		return "answers"
	case base == "path.yaml":
		return "path"
	case strings.HasSuffix(base, ".yaml"):
		return "flow"
	}
	return ""
}

// TestShippedFilesValidate validates every file of flows/, and every
// flow, overlay, answers and path file the transcript archives hold,
// against its schema: a file validates exactly when its loader takes it,
// and every shipped one does, naming its schema in a modeline.
func TestShippedFilesValidate(t *testing.T) {
	sch, load := schemas(t), loaders(t)
	modeline := regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)
	checked := 0
	walk := func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		rel = strings.TrimPrefix(rel, "flows"+string(filepath.Separator))
		kind := kindOfFile(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if ok, why := schemaOK(sch[kind], data); !ok {
			t.Errorf("%s does not validate against the %s schema: %s", path, kind, why)
		}
		m := modeline.FindSubmatch(data)
		if m == nil {
			t.Errorf("%s has no line # yaml-language-server: $schema=...", path)
			return nil
		}
		target := filepath.Clean(filepath.Join(filepath.Dir(path), string(m[1])))
		if want := filepath.Join(repo, "schema", schema.File(kind)); target != filepath.Clean(want) {
			t.Errorf("%s names the schema %s, want %s", path, target, want)
		}
		return nil
	}
	for _, dir := range []string{filepath.Join(repo, "flows"), filepath.Join(repo, "ui", "locales")} {
		if err := filepath.WalkDir(dir, walk); err != nil {
			t.Fatal(err)
		}
	}
	agreed := 0
	archives, _ := filepath.Glob(filepath.Join(repo, "testscripts", "*", "*.txtar"))
	for _, name := range archives {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			kind := kindOfFile(f.Name)
			if kind == "" || kind == "overlay" || kind == "fixture" || (kind == "flow" && !bytes.Contains(f.Data, []byte("states:"))) {
				continue // overlays and fixtures need their directory
			}
			loaderErr := load[kind](f.Data)
			ok, why := schemaOK(sch[kind], f.Data)
			if ok != (loaderErr == nil) {
				t.Errorf("%s, %s (%s): the schema says %v (%s), the loader %v", name, f.Name, kind, ok, why, loaderErr)
			}
			agreed++
		}
	}
	if checked < 8 || agreed < 100 {
		t.Errorf("only %d shipped files and %d archive files checked", checked, agreed)
	}
}

// TestSchemaKeysAreLoaderKeys compares the keys each schema allows at the
// top of a file with the keys its loader lists when refusing an unknown
// one: a key a loader learns is in its message before it is in a table.
func TestSchemaKeysAreLoaderKeys(t *testing.T) {
	load := loaders(t)
	for _, tc := range []struct {
		kind, doc string
		props     func(s map[string]any) map[string]any
	}{
		{"flow", "zz_probe: 1\nflow: t\nstart: a\nstates: {a: {final: x}}\n", top},
		{"overlay", "zz_probe: 1\nregion: x\ncountries: [FR]\n", top},
		{"fixture", "zz_probe: 1\n", top},
		{"catalog", "zz_probe: 1\nlocale: de\nmessages: {}\n", top},
		{"answers", "- {zz_probe: 1, choice: x}\n", func(s map[string]any) map[string]any {
			items := s["items"].(map[string]any)["oneOf"].([]any)
			out := map[string]any{}
			for _, it := range items {
				for k, v := range it.(map[string]any)["properties"].(map[string]any) {
					out[k] = v
				}
			}
			return out
		}},
	} {
		err := load[tc.kind]([]byte(tc.doc))
		m := regexp.MustCompile(`\(want (?:one of:? )?([^()]*)\)`).FindStringSubmatch(fmt.Sprint(err))
		if m == nil {
			t.Errorf("%s: the loader's message for an unknown key lists no keys: %v", tc.kind, err)
			continue
		}
		want := strings.Split(strings.ReplaceAll(m[1], " or ", ", "), ", ")
		sort.Strings(want)
		data, err := schema.Generate(tc.kind, schemaSources())
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		json.Unmarshal(data, &s)
		var got []string
		for k := range tc.props(s) {
			got = append(got, k)
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the schema allows %v at the top, the loader %v", tc.kind, got, want)
		}
	}
}

func top(s map[string]any) map[string]any { return s["properties"].(map[string]any) }

// Documents that use every key of their format, valid for the loader.
const (
	everyFlowKey = `flow: everything
version: "2"
title: Every key
start: ask
vars: {n: 0, when: 2024-01-01T00:00:00Z, wait: 30s, tags: [a, 1], meta: {k: v}}
policy: {limit: 3, life: 5m}
policy_rules:
  - {check: policy.limit > 0, message: at least one}
migrate:
  - {from: "1", states: {old_ask: ask}, vars: {old_n: n, gone: ~}}
states:
  ask:
    ask:
      text: "Hello {{ n }}"
      help: Some help
      fields:
        email: {type: email, label: Email, if: n > 0, optional: true}
        code: {type: code, length: 6}
        pick: {type: choice, options: [a, b]}
        name: {type: text, hint: "{{ n }}", prefill: '""'}
        lic: {type: choice, options: '["x"]'}
      choices:
        - continue
        - back: Go back
        - later: {label: Later, fields: []}
    after:
      5m: done
    on:
      continue: check
      back:
        if: n > 1
        set: {n: n + 1}
        go: ask
      later:
        - if: n > 2
          go: done
        - done
  check:
    run: svc.check
    with: {x: input.email}
    timeout: 10s
    retry: {attempts: 3, backoff: 1s, max_delay: 4s}
    on:
      ok: done
  done:
    final: ok
    success: true
    message: "done {{ n }}"
    output: {n: n}
`
	everyOverlayKey = `region: child
extends: base
countries: [FR, BE]
flows:
  connect: {captcha_after_failures: 2, code_lifetime: 2m, consent_version: "2025.1"}
`
	everyAnswersKey = `- {state: sign_in, choice: continue, fields: {email: a@example.com, password: x}}
- wait: 31s
- {flow: signup, state: details, choice: cancel}
`
	everyPathKey = `- {state: saved_credentials, outcome: none}
- {flow: signup, state: details, choice: cancel}
- {state: enter_code, pause: 2m30s}
- {state: enter_code, timer: 5m}
- {state: enter_code, wait: true}
`
)

// replacements are the values every value of a document is replaced by
// in turn: one of each shape and of the edges loaders check.
func replacements() []*yaml.Node {
	return []*yaml.Node{
		{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "a"}}},
		{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "zz"}, {Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"}}},
		{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "text"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "9x"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "30s"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "0s"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "-5s"},
		{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: "2030-01-31"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "FR"},
		{Kind: yaml.ScalarNode, Tag: "!!int", Value: "7"},
		{Kind: yaml.ScalarNode, Tag: "!!int", Value: "0"},
		{Kind: yaml.ScalarNode, Tag: "!!int", Value: "65"},
		{Kind: yaml.ScalarNode, Tag: "!!int", Value: "-1"},
		{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.5"},
		{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
		{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"},
	}
}

// disagreements are the changes on which the schema and the loader
// cannot agree, by their descriptions, with why: rules across keys or
// files, which the loaders (and the checker) keep; and one quirk.
func disagreements() map[string]string {
	d := map[string]string{
		"overlay extends=text":                  "extends names a region of another file",
		"overlay extends=9x":                    "extends names a region of another file",
		"overlay extends=30s":                   "extends names a region of another file",
		"overlay extends=0s":                    "extends names a region of another file",
		"overlay extends=-5s":                   "extends names a region of another file",
		"overlay extends=FR":                    "extends names a region of another file",
		"overlay extends=2030-01-31":            "extends names a region of another file",
		"flow states.check.retry.backoff=30s":   "max_delay shorter than backoff",
		"overlay countries left out":            "a region without countries that no region of the directory extends",
		"flow states.check.retry.max_delay=0s":  "max_delay shorter than backoff",
		"flow states.check.retry.max_delay=0":   "max_delay shorter than backoff",
		"flow states.check.retry.max_delay=-5s": "max_delay shorter than backoff",
	}
	// The answers loader takes ~ and null as the names "~" and "null",
	// but an empty value (state:) as none; a YAML language server sees
	// null for all three, and the schema refuses it: an empty name is the
	// likely mistake.
	for _, k := range []string{"[0].state", "[0].choice", "[2].flow", "[2].state", "[2].choice"} {
		d["answers "+k+"=null"] = "null as a name"
	}
	return d
}

// mutation is one changed document.
type mutation struct {
	desc string
	src  []byte
}

// mutate returns every document that differs from src by one key renamed
// to an unknown one, one key or list item left out, or one value replaced.
func mutate(t *testing.T, kind string, src string) []mutation {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var out []mutation
	reps := replacements()
	emit := func(desc string) {
		b, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mutation{kind + " " + desc, b})
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := strings.TrimPrefix(path+"."+k.Value, ".")
				old := k.Value
				k.Value = "zz_" + old
				emit(p + " renamed")
				k.Value = old
				saved := slices.Clone(n.Content)
				n.Content = slices.Delete(n.Content, i, i+2)
				emit(p + " left out")
				n.Content = saved
				for _, r := range reps {
					n.Content[i+1] = r
					emit(p + "=" + r.Value)
				}
				n.Content[i+1] = v
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range slices.Clone(n.Content) {
				p := fmt.Sprintf("%s[%d]", path, i)
				saved := slices.Clone(n.Content)
				n.Content = slices.Delete(n.Content, i, i+1)
				emit(p + " left out")
				n.Content = saved
				for _, r := range reps {
					n.Content[i] = r
					emit(p + "=" + r.Value)
				}
				n.Content[i] = c
				walk(c, p)
			}
		}
	}
	walk(doc.Content[0], "")
	return out
}

// TestSchemaAgreesWithLoaders changes every key and value of documents
// that use every key of their format, one change at a time, and holds
// the schema to the loader's verdict on each.
func TestSchemaAgreesWithLoaders(t *testing.T) {
	sch, load := schemas(t), loaders(t)
	portal, err := os.ReadFile(filepath.Join(repo, "flows", "demo", "portal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fixture := string(portal) + "outages:\n  - {op: connect, times: 1}\n"
	total, refused := 0, 0
	seen, disagreements := map[string]bool{}, disagreements()
	for _, base := range []struct{ kind, src string }{
		{"flow", everyFlowKey}, {"overlay", everyOverlayKey}, {"fixture", fixture},
		{"answers", everyAnswersKey}, {"path", everyPathKey},
	} {
		if err := load[base.kind]([]byte(base.src)); err != nil {
			t.Fatalf("the %s document does not load: %v", base.kind, err)
		}
		if ok, why := schemaOK(sch[base.kind], []byte(base.src)); !ok {
			t.Fatalf("the %s document does not validate: %s", base.kind, why)
		}
		for _, m := range mutate(t, base.kind, base.src) {
			loaderErr := load[base.kind](m.src)
			ok, why := schemaOK(sch[base.kind], m.src)
			total++
			if loaderErr != nil {
				refused++
			}
			if ok == (loaderErr == nil) {
				continue
			}
			if _, known := disagreements[m.desc]; known {
				seen[m.desc] = true
				continue
			}
			if ok {
				t.Errorf("%s: the schema accepts what the loader refuses: %v", m.desc, loaderErr)
			} else {
				t.Errorf("%s: the schema refuses what the loader accepts: %s", m.desc, why)
			}
		}
	}
	for desc := range disagreements {
		if !seen[desc] {
			t.Errorf("%s: listed as a disagreement, but the schema and the loader agree on it: take it off the list", desc)
		}
	}
	t.Logf("%d changed documents, %d refused by the loaders, %d known disagreements", total, refused, len(disagreements))
}

// TestSchemaCrossKeyRules holds the schema to the flow loader's rules
// that tie keys together, which single changes of a valid document do not
// all reach.
func TestSchemaCrossKeyRules(t *testing.T) {
	sch, load := schemas(t), loaders(t)
	const head = "flow: t\nstart: a\nstates:\n"
	for _, tc := range []struct {
		name, states string
		ok           bool
	}{
		{"run and ask in one state", "  a: {run: svc.x, ask: {text: hi}}\n", false},
		{"no kind of state", "  a: {on: {x: a}}\n", false},
		{"with: in an ask state", "  a: {ask: {text: hi}, with: {x: y}}\n", false},
		{"success: in a run state", "  a: {run: svc.x, success: true}\n", false},
		{"on: in a final state", "  a: {final: done, on: {x: a}}\n", false},
		{"after: in a run state (the checker's to refuse)", "  a: {run: flow:s, after: {5m: a}}\n", true},
		{"a choice field without options", "  a: {ask: {fields: {f: {type: choice}}}}\n", false},
		{"a choice field with no options", "  a: {ask: {fields: {f: {type: choice, options: []}}}}\n", false},
		{"options on a text field", "  a: {ask: {fields: {f: {type: text, options: [x]}}}}\n", false},
		{"no options on a text field", "  a: {ask: {fields: {f: {type: text, options: []}}}}\n", true},
		{"prefill on a secret field", "  a: {ask: {fields: {f: {type: secret, prefill: x}}}}\n", false},
		{"prefill on an email field", "  a: {ask: {fields: {f: {type: email, prefill: x}}}}\n", true},
		{"options computed", "  a: {ask: {fields: {f: {type: choice, options: 'map(l, #)'}}}}\n", true},
		{"a link without a url", "  a: {ask: {choices: [{x: {label: X, role: link}}]}}\n", false},
		{"a url on a button", "  a: {ask: {choices: [{x: {label: X, url: u}}]}}\n", false},
		{"a link with fields", "  a: {ask: {choices: [{x: {role: link, url: u, fields: [f]}}]}}\n", false},
		{"a link", "  a: {ask: {choices: [{x: {role: link, url: u}}]}}\n", true},
		{"an unknown role", "  a: {ask: {choices: [{x: {role: main}}]}}\n", false},
		{"a message with forms", "  a: {ask: {text: hi}}\nmessages: {m: {plural: n, one: a, other: b}}\n", true},
		{"a message without other", "  a: {ask: {text: hi}}\nmessages: {m: {plural: n, one: a}}\n", false},
		{"length on a text field", "  a: {ask: {fields: {f: {type: text, length: 4}}}}\n", false},
		{"the longest code", "  a: {ask: {fields: {f: {type: code, length: 64}}}}\n", true},
		{"a field without a type", "  a: {ask: {fields: {f: {label: F}}}}\n", false},
		{"a choice with two names", "  a: {ask: {choices: [{x: X, y: Y}]}}\n", false},
		{"a choice with details", "  a: {ask: {choices: [{x: {label: X, fields: []}}]}}\n", true},
		{"an empty list of branches", "  a: {ask: {text: hi}, on: {continue: []}}\n", false},
		{"a zero timeout", "  a: {run: svc.x, timeout: 0s}\n", false},
		{"a timeout", "  a: {run: svc.x, timeout: 1m30s}\n", true},
		{"eleven attempts", "  a: {run: svc.x, retry: {attempts: 11}}\n", false},
		{"retry without attempts", "  a: {run: svc.x, retry: {backoff: 1s}}\n", false},
		{"a negative backoff", "  a: {run: svc.x, retry: {attempts: 2, backoff: -1s}}\n", false},
		{"an empty timer", "  a: {ask: {text: hi}, after: {' ': a}}\n", false},
		{"a timer expression", "  a: {ask: {text: hi}, after: {policy.x + 5m: a}}\n", true},
		{"the word true as a name", "  a: {ask: {text: hi}, on: {continue: true}}\n", true},
		{"a state named 9", "  9a: {final: done}\n", false},
	} {
		src := []byte(head + tc.states)
		loaderErr := load["flow"](src)
		ok, why := schemaOK(sch["flow"], src)
		if (loaderErr == nil) != tc.ok {
			t.Errorf("%s: the loader says %v, want ok=%v", tc.name, loaderErr, tc.ok)
		}
		if ok != tc.ok {
			t.Errorf("%s: the schema says %v (%s), want %v", tc.name, ok, why, tc.ok)
		}
	}
	for _, tc := range []struct {
		version string
		ok      bool
	}{{"v3", true}, {"2026.10", true}, {"'2026.1'", true}, {"-1", false}, {"'bad label!'", false}, {"[1]", false}} {
		src := []byte("flow: t\nversion: " + tc.version + "\nstart: a\nstates:\n  a: {final: done}\n")
		loaderErr := load["flow"](src)
		ok, why := schemaOK(sch["flow"], src)
		if (loaderErr == nil) != tc.ok || ok != tc.ok {
			t.Errorf("version: %s: the loader says %v, the schema %v (%s); want ok=%v", tc.version, loaderErr, ok, why, tc.ok)
		}
	}
}
