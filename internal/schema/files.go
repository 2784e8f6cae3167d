package schema

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tetherflow/tether/adapters/answers"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/policy"
)

// overlaySchema is the schema of a regional policy overlay
// (docs/policy.md), from policy.OverlayKeys.
func overlaySchema() (obj, error) {
	countries := country.Codes()
	flow, err := flowSchema()
	if err != nil {
		return nil, err
	}
	value := flow["$defs"].(obj)["value"]
	props := obj{
		"region": obj{"type": "string", "pattern": policy.RegionPattern(), "not": obj{"const": policy.DefaultRegion},
			"description": "the region's name: lower-case letters, digits, - and _; " + policy.DefaultRegion + " is reserved"},
		"countries": obj{"type": "array", "uniqueItems": true, "items": obj{"enum": countries},
			"description": "the countries the region covers: ISO 3166-1 alpha-2 codes, upper case"},
		"extends": obj{"type": "string", "minLength": 1, "description": "the region whose values this one starts from"},
		"flows": mapOf("per flow (its flow: name), policy keys and values", obj{"pattern": `^[A-Za-z_][A-Za-z0-9_]*$`},
			mapOf("policy keys the flow's policy: declares, and their values", nil, ref("value"))),
	}
	if err := checkKeys("an overlay", policy.OverlayKeys(), props); err != nil {
		return nil, err
	}
	s := object("A Tether regional policy overlay (docs/policy.md). tether validate and tether policy check it against the flows.", props, "region")
	s["title"] = "Tether regional policy overlay"
	s["$defs"] = obj{"value": value}
	return s, nil
}

// fixtureSchema is the schema of the demo portal fixture
// (docs/portal-fixture.md), from demoportal.Fixture's fields: its loader
// decodes into them, and refuses keys they do not have.
func fixtureSchema() (obj, error) {
	s, err := typeSchema(reflect.TypeFor[demoportal.Fixture]())
	if err != nil {
		return nil, err
	}
	s["title"] = "Tether demo portal fixture"
	s["description"] = "The demo portal's settings, accounts and tokens (docs/portal-fixture.md). Any key may be left empty: it gets its zero value or default."
	return s, nil
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// timestamp matches the YAML timestamps yaml.v3 decodes into a time.
const timestamp = `^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?[ \t]*(Z|[+-][0-9]{1,2}(:?[0-9]{2})?)?)?$`

// typeSchema is the schema of what yaml.v3 decodes into t, as the fixture
// loader holds each value to its type: a struct is a mapping of its
// fields' yaml tags; any value may be empty (null), for its zero value.
func typeSchema(t reflect.Type) (obj, error) {
	switch {
	case t == timeType:
		return obj{"type": "string", "pattern": timestamp, "description": "a time: 2030-01-31 or 2030-01-31T12:00:00Z"}, nil
	case t == durationType:
		return obj{"type": "string", "pattern": goDuration, "description": "a Go duration: 90s, 15m, 2h"}, nil
	case t.Kind() == reflect.Struct:
		props := obj{}
		for f := range t.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fs, err := typeSchema(f.Type)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
			}
			props[tag] = obj{"anyOf": []any{obj{"type": "null"}, fs}}
			if now := f.Tag.Get("deprecated"); now != "" {
				props[tag] = obj{"anyOf": []any{obj{"type": "null"}, fs}, "deprecated": true,
					"description": fmt.Sprintf("deprecated: the old name of %s, read until the next release with a warning; write %s", now, now)}
			}
		}
		return object("", props), nil
	case t.Kind() == reflect.Slice:
		es, err := typeSchema(t.Elem())
		if err != nil {
			return nil, err
		}
		return obj{"type": "array", "items": obj{"anyOf": []any{obj{"type": "null"}, es}}}, nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// yaml.v3 takes any number for an int, and drops a fraction.
		return obj{"type": "number", "description": "a whole number"}, nil
	case reflect.Bool:
		return obj{"anyOf": []any{obj{"type": "boolean"}, obj{"enum": yamlBools()}}}, nil
	case reflect.String:
		return obj{"type": []string{"string", "number", "boolean"}}, nil
	}
	return nil, fmt.Errorf("a field of Go type %s, which internal/schema does not describe", t)
}

// wantList reads the keys a loader lists in its message for an unknown
// key: "... (want a, b, c or d)" or "(want one of a, b, c)".
func wantList(msg string) ([]string, bool) {
	m := regexp.MustCompile(`\(want (?:one of:? )?([^()]*)\)`).FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	list := strings.ReplaceAll(m[1], " or ", ", ")
	var out []string
	for _, k := range strings.Split(list, ", ") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out, len(out) > 0
}

// AnswersKeys returns the keys of an answer as the answers loader takes
// them: those its message for an unknown key lists.
func AnswersKeys() ([]string, error) {
	_, err := answers.Parse("probe.yaml", []byte("- {zz_probe: 1, choice: x}\n"))
	if err == nil {
		return nil, errors.New("the answers loader took an unknown key")
	}
	keys, ok := wantList(err.Error())
	if !ok {
		return nil, fmt.Errorf("the answers loader's message for an unknown key lists no keys: %v", err)
	}
	return keys, nil
}

// answersSchema is the schema of an answers file (docs/answers.md): its
// keys are what the answers loader takes (AnswersKeys).
func answersSchema() (obj, error) {
	keys, err := AnswersKeys()
	if err != nil {
		return nil, err
	}
	name := obj{"anyOf": []any{obj{"type": "string", "minLength": 1}, obj{"type": []string{"number", "boolean"}}}}
	props := obj{
		"flow":   withDesc(name, "the flow whose prompt it answers (a subflow's name); empty: any"),
		"state":  withDesc(name, "the state whose prompt it answers: the run stops when the session is elsewhere"),
		"choice": withDesc(name, "the choice's name (not its label)"),
		"fields": mapOf("the values of the choice's fields, taken as written; {{sms}} and {{captcha}} are looked up when the answer is used",
			obj{"minLength": 1}, scalar("a field's value")),
		"wait": obj{"type": "string", "pattern": goDuration, "not": obj{"anyOf": []any{obj{"pattern": zeroDuration}, obj{"pattern": `^-`}}},
			"description": "let this much time pass (timers may fire): a positive Go duration such as 31s"},
	}
	if err := checkKeys("an answer", keys, props); err != nil {
		return nil, err
	}
	answer := obj{}
	for k, v := range props {
		if k != "wait" {
			answer[k] = v
		}
	}
	item := obj{"oneOf": []any{
		object("an answer to the prompt the session waits at", answer, "choice"),
		object("time passing", obj{"wait": props["wait"]}, "wait"),
	}}
	return obj{"title": "Tether answers file", "type": "array", "items": item,
		"description": "Answers to a flow's prompts, in order, for tether run --answers (docs/answers.md)."}, nil
}

// pathSchema is the schema of a path file (docs/paths.md), from the Go
// type its loader decodes items into (strictly: unknown keys are errors):
// a string field is where (flow, state), a *string field one kind of
// decision, the bool field the stop flag.
func pathSchema(item any) (obj, error) {
	if item == nil {
		return nil, errors.New("no path item type")
	}
	t := reflect.TypeOf(item)
	text := obj{"type": []string{"string", "number", "boolean"}}
	where := obj{}
	decisions := obj{}
	var oneDecision []any
	var wait, results string
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.String:
			decisions[tag] = withDesc(text, "a decision: the "+tag+" taken here")
			oneDecision = append(oneDecision, obj{"required": []string{tag}})
		case f.Type.Kind() == reflect.String:
			where[tag] = obj{"anyOf": []any{obj{"type": "null"}, text}}
		case f.Type.Kind() == reflect.Bool:
			wait = tag
		case f.Type.Kind() == reflect.Map && f.Type.Elem().Kind() == reflect.Bool:
			results = tag
		default:
			return nil, fmt.Errorf("path item field %s of Go type %s, which internal/schema does not describe", f.Name, f.Type)
		}
	}
	if _, ok := where["state"]; !ok || wait == "" || len(decisions) == 0 {
		return nil, fmt.Errorf("the path item type %s has no state, stop flag or decision fields", t)
	}
	where["state"] = obj{"description": "the state", "anyOf": []any{obj{"type": "string", "minLength": 1}, obj{"type": []string{"number", "boolean"}}}}
	decision, stop := obj{}, obj{}
	for k, v := range where {
		decision[k], stop[k] = v, v
	}
	for k, v := range decisions {
		decision[k] = v
	}
	decision[wait] = obj{"anyOf": []any{obj{"const": false}, obj{"type": "null"}}}
	if results != "" {
		decision[results] = obj{"type": "object", "additionalProperties": obj{"type": "boolean"},
			"description": "with outcome: the action's bool outputs given as true (the others at false)"}
	}
	stop[wait] = obj{"const": true, "description": "the path stops here, the session waiting (the last item only)"}
	d := object("a decision: where, and one of "+strings.Join(sortedKeys(decisions), ", "), decision, "state")
	d["oneOf"] = oneDecision
	return obj{"title": "Tether path file", "type": "array",
		"description": "A path through a flow, as tether paths --write writes it and tether replay --path reads it (docs/paths.md).",
		// yaml.v3 skips an empty item of a list it decodes into a slice.
		"items": obj{"anyOf": []any{obj{"type": "null"}, obj{"oneOf": []any{d, object("where the path stops", stop, "state", wait)}}}}}, nil
}

func sortedKeys(o obj) []string {
	out := make([]string, 0, len(o))
	for k := range o {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
