package syntax

import "github.com/tetherflow/tether/engine/prompt"

// Grammar is what the flow loader (Load) accepts, as data: the keys
// of every mapping whose keys are fixed, and the shapes of its names and
// values. internal/schema generates the flow file's JSON Schema from it,
// so that a key the loader learns shows up in the schema, or makes its
// generation fail until the schema says what the key holds.
type Grammar struct {
	// Keys are the keys of each fixed mapping, in the order the loader
	// lists them: "file" (the top level), "state", "retry", "ask",
	// "field", "choice" (a choice's details), "branch", "policy_rule",
	// "property", "migration".
	Keys map[string][]string
	// FieldTypes are the types a prompt field may have; Roles the roles
	// a choice may have.
	FieldTypes []prompt.FieldType
	Roles      []prompt.Role
	// NamePattern is what a name (of a state, variable, field, ...) is;
	// LabelPattern what a version label is.
	NamePattern, LabelPattern string
	// MaxRetryAttempts bounds retry.attempts; MaxCodeLength a code
	// field's length.
	MaxRetryAttempts, MaxCodeLength int
}

// FlowGrammar returns what the flow loader accepts.
func FlowGrammar() Grammar {
	return Grammar{
		Keys: map[string][]string{
			"file":        clone(fileKeys),
			"state":       clone(stateKeys),
			"retry":       clone(retryKeys),
			"ask":         clone(askKeys),
			"field":       clone(fieldKeys),
			"choice":      clone(choiceKeys),
			"branch":      clone(branchKeys),
			"policy_rule": clone(policyRuleKeys),
			"property":    clone(propertyKeys),
			"migration":   clone(migrateKeys),
		},
		FieldTypes:       prompt.FieldTypes(),
		Roles:            prompt.Roles(),
		NamePattern:      nameRE.String(),
		LabelPattern:     labelRE.String(),
		MaxRetryAttempts: maxRetryAttempts,
		MaxCodeLength:    maxCodeLength,
	}
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }

// maxCodeLength is the loader's bound on a code field's length (field
// spells it out; the schema agreement test holds the two equal).
const maxCodeLength = 64
