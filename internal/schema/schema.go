// Package schema generates the JSON Schemas (draft 2020-12) of tether's
// YAML file formats — flows, regional policy overlays, the demo portal
// fixture, answers files, path files and catalogs — for editors: completion, hover
// text and errors as one types (docs/editors.md).
//
// Each schema is generated from its loader's own tables, so that it keeps
// up with them: the flow loader's keys and patterns (syntax.FlowGrammar), the
// overlay loader's keys (policy.OverlayKeys), the fixture's and the path
// file's Go types (by reflection: their loaders decode into them), and
// the answers loader's keys, as its message for an unknown key lists
// them. What each key holds is said here; a key a loader learns that this
// package does not know makes Generate fail, naming it, until it is said.
// The loaders stay the authority — they give positions, and check what a
// schema cannot (names that refer to states, expressions, types) — and a
// test holds the two to the same verdicts.
//
//	data, err := schema.Generate("flow", schema.Sources{PathItem: t})
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Draft is the JSON Schema dialect of every schema.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Kinds returns the file formats with a schema, in the order tether
// schema lists them.
func Kinds() []string { return []string{"flow", "overlay", "fixture", "answers", "path", "catalog"} }

// File returns the name of kind's schema file in the repository's schema/
// directory.
func File(kind string) string { return kind + ".json" }

// Sources are the loaders' types Generate reads that this package cannot
// import.
type Sources struct {
	// PathItem is the struct type a path file's items decode into (its
	// fields' yaml tags are the item's keys; a *string field is one kind
	// of decision, a bool the wait flag).
	PathItem any
}

// Generate returns the JSON Schema of the file format kind, indented, with
// a final newline. It fails for an unknown kind, and when a loader has a
// key this package does not say the type of.
func Generate(kind string, src Sources) ([]byte, error) {
	var s obj
	var err error
	switch kind {
	case "flow":
		s, err = flowSchema()
	case "overlay":
		s, err = overlaySchema()
	case "fixture":
		s, err = fixtureSchema()
	case "answers":
		s, err = answersSchema()
	case "path":
		s, err = pathSchema(src.PathItem)
	case "catalog":
		s, err = catalogSchema()
	default:
		return nil, fmt.Errorf("no schema for %q (want one of: %s)", kind, strings.Join(Kinds(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", kind, err)
	}
	s["$schema"] = Draft
	s["$id"] = File(kind)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// obj is a JSON object being built.
type obj = map[string]any

// object is a closed mapping: exactly the properties given.
func object(desc string, props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if desc != "" {
		o["description"] = desc
	}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// mapOf is a mapping of names (matching keyPattern, when set) to values.
func mapOf(desc string, keys obj, values any) obj {
	o := obj{"type": "object", "additionalProperties": values}
	if keys != nil {
		o["propertyNames"] = keys
	}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func ref(def string) obj { return obj{"$ref": "#/$defs/" + def} }

func withDesc(s obj, desc string) obj {
	out := obj{}
	for k, v := range s {
		out[k] = v
	}
	out["description"] = desc
	return out
}

// checkKeys fails when the loader's keys and the ones described differ.
func checkKeys(where string, loader []string, described obj) error {
	var missing, extra []string
	for _, k := range loader {
		if _, ok := described[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range described {
		if !slices.Contains(loader, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("the loader takes %s in %s, which internal/schema does not describe: say what it holds there", strings.Join(missing, ", "), where)
	case len(extra) > 0:
		return fmt.Errorf("internal/schema describes %s in %s, which the loader no longer takes", strings.Join(extra, ", "), where)
	}
	return nil
}

// zeroDuration matches the Go durations that are zero: "0", "0s",
// "0m0.0s"; a positive duration is a duration that does not.
const zeroDuration = `^[+]?(0|((0+(\.0*)?|\.0+)(ns|us|µs|μs|ms|s|m|h))+)$`

// goDuration matches what time.ParseDuration takes.
const goDuration = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// scalar is any YAML scalar but null, as the JSON view of YAML has them.
func scalar(desc string) obj {
	return obj{"type": []string{"string", "number", "boolean"}, "description": desc}
}

// yamlBools are the plain words yaml.v3 decodes into a Go bool, besides
// true and false (YAML 1.1's).
func yamlBools() []string {
	return []string{"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}
}
