package schema

import (
	"fmt"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
)

// flowSchema is the schema of a flow file (docs/flow-language.md), from
// syntax.FlowGrammar.
func flowSchema() (obj, error) {
	syn := syntax.FlowGrammar()
	types := make([]string, len(syn.FieldTypes))
	for i, t := range syn.FieldTypes {
		types[i] = string(t)
	}
	roles := make([]string, len(syn.Roles))
	for i, r := range syn.Roles {
		roles[i] = string(r)
	}
	defs := obj{
		// A name is letters, digits and _; the YAML words true and false
		// are names to the loader, which reads them as written.
		"name": obj{"description": "a name: letters, digits and _, not starting with a digit",
			"anyOf": []any{obj{"type": "string", "pattern": syn.NamePattern}, obj{"type": "boolean"}}},
		"text": scalar("text; {{ expr }} parts are interpolated where the text is shown"),
		"expr": obj{"description": "an expr expression (https://expr-lang.org), compiled when the flow is checked",
			"anyOf": []any{obj{"type": "string", "pattern": `\S`}, obj{"type": []string{"number", "boolean"}}}},
		"label": obj{"description": "a version label: letters, digits, '.', '-', '_' and '+', starting with a letter or digit (2026.1, v3)",
			"anyOf": []any{obj{"type": "string", "pattern": syn.LabelPattern}, obj{"type": "number", "minimum": 0}, obj{"type": "boolean"}}},
		"duration": obj{"type": "string", "pattern": goDuration, "description": "a Go duration: 30s, 5m, 1h30m"},
		"value": obj{"description": "a value, typed by how it is written: 3 int, 0.5 float, true bool, 30s duration (unquoted), 2024-01-01 time (unquoted), text string, [..] list, {..} map",
			"anyOf": []any{obj{"type": []string{"string", "number", "boolean"}},
				obj{"type": "array", "items": ref("value")},
				obj{"type": "object", "additionalProperties": ref("value")}}},
		"names":   obj{"type": "array", "uniqueItems": true, "items": ref("name"), "description": "names, each once"},
		"values":  mapOf("names and their values", obj{"pattern": syn.NamePattern}, ref("value")),
		"assigns": mapOf("names and the expressions that give their values", obj{"pattern": syn.NamePattern}, ref("expr")),
		"handlers": mapOf("what each event does: a target state, a branch, or a list of branches tried in order",
			obj{"pattern": syn.NamePattern}, ref("handler")),
		"timers": mapOf("timers: a delay (a duration literal, or a duration expression such as policy.code_lifetime) and what it does when it fires",
			obj{"pattern": `\S`}, ref("handler")),
		"handler": obj{"anyOf": []any{ref("name"), ref("branch"),
			obj{"type": "array", "minItems": 1, "items": obj{"anyOf": []any{ref("name"), ref("branch")}}}}},
		"message": messageSchema(),
	}
	props := map[string]obj{
		"file": {
			"flow":         withDesc(ref("name"), "the flow's name; run: flow:NAME refers to it"),
			"version":      withDesc(ref("label"), "this version's label, which migrate: entries of later versions name"),
			"title":        withDesc(ref("text"), "text for people"),
			"start":        withDesc(ref("name"), "the state a session begins in"),
			"vars":         withDesc(ref("values"), "the session's variables, each typed by its initial value"),
			"sensitive":    withDesc(ref("names"), "the variables that hold sensitive values (a ticket, a token): sealed at rest, masked in logs, never shown"),
			"policy":       withDesc(ref("values"), "tunable values, read as policy.KEY; regional overlays override them"),
			"policy_rules": obj{"type": "array", "description": "bounds the policy's values must keep in every region", "items": ref("policy_rule")},
			"messages":     mapOf("texts the flow's expressions show with message(\"name\", {param: value}); their id is FLOW.NAME", obj{"pattern": syn.NamePattern}, ref("message")),
			"properties":   obj{"type": "array", "description": "rules every session keeps, proven over every path of every region (docs/properties.md)", "items": ref("property")},
			"migrate":      obj{"type": "array", "description": "how sessions waiting in earlier versions move to this one", "items": ref("migration")},
			"states":       mapOf("the states, by name", obj{"pattern": syn.NamePattern}, ref("state")),
		},
		"policy_rule": {
			"check":   withDesc(ref("expr"), "a bool expression over policy.* that must hold"),
			"message": withDesc(ref("text"), "what the rule is and why, for whoever breaks it"),
		},
		"property": {
			"name":    withDesc(ref("name"), "the property's name, as tether validate reports it"),
			"message": withDesc(ref("text"), "what the rule is and why, for whoever breaks it"),
			"when":    withDesc(ref("expr"), "the premise: a bool expression over the path (did, chose, at, ended, once, times) and the variables; the requirement applies where it holds (default: everywhere)"),
			"require": withDesc(ref("expr"), "what must hold at every point of every path where the premise does"),
			"ends":    obj{"const": true, "description": "every session can end: a final state is reachable from every configuration, and no cycle is made of action states alone"},
		},
		"migration": {
			"from":   withDesc(ref("label"), "the version migrated from: its version label, or its hash"),
			"states": mapOf("old state: new state", obj{"pattern": syn.NamePattern}, ref("name")),
			"vars": mapOf("old variable: new variable, or ~ to drop it", obj{"pattern": syn.NamePattern},
				obj{"anyOf": []any{ref("name"), obj{"type": "null"}}}),
		},
		"retry": {
			"attempts":  obj{"type": "integer", "minimum": 1, "maximum": syn.MaxRetryAttempts, "description": "every try, the first included"},
			"backoff":   obj{"description": "the wait after the first failed try, doubled after each next one (default 1s)", "anyOf": []any{obj{"type": "string", "pattern": goDuration, "not": obj{"pattern": `^-`}}, obj{"const": 0}}},
			"max_delay": obj{"description": "the longest wait (default 30s)", "anyOf": []any{ref("duration"), obj{"const": 0}}},
		},
		"branch": {
			"if":  withDesc(ref("expr"), "taken when this bool expression holds; a branch without if always holds"),
			"set": withDesc(ref("assigns"), "variables to assign"),
			"go":  withDesc(ref("name"), "the next state; without go the session stays"),
		},
		"field": {
			"type":     obj{"enum": types, "description": "the field's type"},
			"label":    withDesc(ref("text"), "the label (default: the name, _ as spaces)"),
			"hint":     withDesc(ref("text"), "what to put in it, shown by the field (a CAPTCHA's question)"),
			"if":       withDesc(ref("expr"), "shown only when this bool expression holds"),
			"optional": obj{"type": "boolean", "description": "the answer may leave it out"},
			"options": obj{"description": "a choice field's options: a list of values, or an expression that computes them when the prompt is shown (strings, or maps with a value, a label and data)",
				"anyOf": []any{obj{"type": "array", "items": ref("text")}, ref("expr")}},
			"length":  obj{"type": "integer", "minimum": 1, "maximum": syn.MaxCodeLength, "description": "a code field's exact number of digits"},
			"prefill": withDesc(ref("expr"), "the value a text, email or number field starts with: never a secret"),
		},
		"choice": {
			"label":        withDesc(ref("text"), "the label shown"),
			"role":         obj{"enum": roles, "description": "what the choice is for: primary (default for the first), secondary (for the others), cancel, help, or link (not an answer: url)"},
			"url":          withDesc(ref("expr"), "a link's address, a string expression (role: link)"),
			"fields":       obj{"type": "array", "items": ref("name"), "description": "the fields this choice takes; [] for none"},
			"available_at": withDesc(ref("expr"), "a time expression: until then the choice is shown as not available yet (a resend cooldown)"),
		},
		"ask": {
			"text":    withDesc(ref("text"), "the prompt's heading"),
			"body":    withDesc(ref("text"), "the paragraphs under the heading"),
			"help":    withDesc(ref("text"), "help shown with it"),
			"fields":  mapOf("the inputs, by name", obj{"pattern": syn.NamePattern}, ref("field")),
			"choices": obj{"type": "array", "items": ref("choice"), "description": "the answers, in order; default [continue]"},
		},
	}
	// Every key of a state belongs to the kinds of state it is allowed in.
	stateKinds := map[string][]string{
		"run": {"run"}, "with": {"run"}, "timeout": {"run"}, "retry": {"run"},
		"ask":   {"ask"},
		"final": {"final"}, "success": {"final"}, "message": {"final"}, "output": {"final"},
		"sensitive": {"run", "final"},
		"on":        {"run", "ask"}, "after": {"run", "ask"},
	}
	stateProps := obj{
		"run":       obj{"description": "the action to run (tether actions lists them), or flow:NAME", "type": []string{"string", "number", "boolean"}},
		"with":      withDesc(ref("assigns"), "the action's parameters, or the subflow's variables"),
		"timeout":   obj{"type": "string", "pattern": goDuration, "not": obj{"anyOf": []any{obj{"pattern": zeroDuration}, obj{"pattern": `^-`}}}, "description": "bounds each try at the action"},
		"retry":     withDesc(ref("retry"), "how a remote action's transport failures are retried"),
		"ask":       withDesc(ref("ask"), "a prompt: the session waits for an answer"),
		"final":     withDesc(ref("name"), "the outcome this end has"),
		"success":   obj{"type": "boolean", "description": "whether the outcome is a success (default false)"},
		"message":   withDesc(ref("text"), "the result's message"),
		"output":    withDesc(ref("assigns"), "values a parent flow sees as result.*"),
		"sensitive": withDesc(ref("names"), "outputs that hold sensitive values: result.NAME of a run state's action or subflow, or a final state's output NAME"),
		"on":        withDesc(ref("handlers"), "what each event does"),
		"after":     withDesc(ref("timers"), "timers, armed when the state is entered"),
	}
	props["state"] = stateProps
	for mapping, keys := range syn.Keys {
		described, ok := props[mapping]
		if !ok {
			return nil, fmt.Errorf("the flow loader has a mapping %q that internal/schema does not describe", mapping)
		}
		if err := checkKeys(mapping, keys, described); err != nil {
			return nil, err
		}
	}
	for k := range stateKinds {
		if _, ok := stateProps[k]; !ok {
			return nil, fmt.Errorf("internal/schema puts %s in a kind of state, but the loader takes no such key", k)
		}
	}
	for k := range stateProps {
		if _, ok := stateKinds[k]; !ok {
			return nil, fmt.Errorf("the loader takes %s in a state: say which kinds of state it belongs to (internal/schema)", k)
		}
	}
	var kinds []any
	for _, kind := range []string{"run", "ask", "final"} {
		p := obj{}
		for k, ks := range stateKinds {
			for _, want := range ks {
				if want == kind {
					p[k] = stateProps[k]
				}
			}
		}
		kinds = append(kinds, object(kind+" state", p, kind))
	}
	defs["state"] = obj{"description": "a state: it runs an action or a subflow (run), asks (ask), or ends the session (final)", "oneOf": kinds}
	defs["policy_rule"] = object("a bound on policy values", props["policy_rule"], "check", "message")
	defs["property"] = obj{"description": "a property: {name, message, when, require} or {name, message, ends: true}",
		"oneOf": []any{object("an invariant", props["property"], "name", "message", "require"), object("every session can end", props["property"], "name", "message", "ends")}}
	defs["migration"] = object("how sessions of an earlier version move to this one", props["migration"], "from")
	defs["retry"] = object("retries of transport failures", props["retry"], "attempts")
	defs["branch"] = object("a branch: if, set, go", props["branch"])
	field := object("a prompt field", props["field"], "type")
	field["allOf"] = []any{
		// A choice field has options; options belong to choice fields;
		// prefill to text, email and number fields; length to code fields.
		obj{"if": obj{"properties": obj{"type": obj{"const": "choice"}}, "required": []string{"type"}},
			"then": obj{"required": []string{"options"}, "properties": obj{"options": obj{"minItems": 1}}}},
		obj{"if": obj{"required": []string{"options"}, "properties": obj{"options": obj{"minItems": 1}}},
			"then": obj{"properties": obj{"type": obj{"const": "choice"}}}},
		obj{"if": obj{"required": []string{"prefill"}}, "then": obj{"properties": obj{"type": obj{"enum": []string{"text", "email", "number"}}}}},
		obj{"if": obj{"required": []string{"length"}}, "then": obj{"properties": obj{"type": obj{"const": "code"}}}},
	}
	defs["field"] = field
	choice := object("the choice's label, role and fields", props["choice"])
	choice["allOf"] = []any{
		// A link has a url and nothing to send; only a link has a url.
		obj{"if": obj{"properties": obj{"role": obj{"const": "link"}}, "required": []string{"role"}},
			"then": obj{"required": []string{"url"}, "not": obj{"anyOf": []any{obj{"required": []string{"available_at"}},
				obj{"required": []string{"fields"}, "properties": obj{"fields": obj{"minItems": 1}}}}}}},
		obj{"if": obj{"required": []string{"url"}}, "then": obj{"required": []string{"role"}, "properties": obj{"role": obj{"const": "link"}}}},
	}
	defs["choice"] = obj{"description": "a choice: a name, name: Label, or name: {label, role, fields}",
		"anyOf": []any{ref("name"), obj{"type": "object", "minProperties": 1, "maxProperties": 1,
			"propertyNames":        obj{"pattern": syn.NamePattern},
			"additionalProperties": obj{"anyOf": []any{ref("text"), choice}}}}}
	defs["ask"] = object("a prompt", props["ask"])
	top := object("A Tether flow (docs/flow-language.md). The checker (tether validate) stays the authority: it also checks states, actions, expressions and types.",
		props["file"], "flow", "start", "states")
	top["title"] = "Tether flow"
	top["$defs"] = defs
	return top, nil
}

// messageSchema is the schema of a message as a flow's messages: block
// and a catalog write it (syntax.ParseMessage): a text, or its forms by
// plural category or by a parameter's value.
func messageSchema() obj {
	placeholder := "a text; {{ name }} is a parameter's value"
	// Every {{ starts a placeholder, {{ name }}, and no }} stands alone
	// (prompt.ParseTemplate).
	text := obj{"type": []string{"string", "number", "boolean"}, "description": placeholder,
		"pattern": `^(?:[^{}]|\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}|\{[^{]|\}[^}]|[{}]$)*$`}
	forms := obj{}
	for _, c := range prompt.PluralCategories() {
		forms[c] = withDesc(text, "the text for a count in the plural category "+c)
	}
	name := obj{"type": "string", "pattern": `^[A-Za-z_][A-Za-z0-9_]*$`}
	pluralForms := obj{"plural": withDesc(name, "the parameter whose count chooses the form")}
	for k, v := range forms {
		pluralForms[k] = v
	}
	return obj{"description": "a message: " + placeholder + "; or its forms by the plural category of a count (plural: NAME, one:, other:, ...), or by a parameter's value (select: NAME, VALUE:, other:)",
		"anyOf": []any{
			text,
			object("forms by a count's CLDR plural category", pluralForms, "plural", "other"),
			obj{"type": "object", "description": "forms by a parameter's value; other for the rest", "required": []string{"select", "other"},
				"properties":           obj{"select": withDesc(name, "the parameter whose value chooses the form")},
				"additionalProperties": text},
		}}
}
