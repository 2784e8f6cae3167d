package syntax

import (
	"regexp"

	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// Migration is one item of a flow's migrate: list: how sessions of the
// version From move to this one.
type Migration struct {
	Pos yamlfile.Pos // the list item
	// From is the version the sessions started on: its version: label,
	// or its hash (Flow.Hash, as sessions record it, or Flow.SourceHash).
	From Ident
	// States maps states of the old version to states of this one. A
	// state it does not name keeps its name.
	States []*Rename
	// Vars maps variables of the old version to variables of this one;
	// New.Name is empty for a variable dropped (`old: ~`), whose new
	// namesake, if any, starts at its initial value. A variable it does
	// not name keeps its name and value when this version has it (of the
	// same kind), and is dropped otherwise.
	Vars []*Rename
}

// Rename maps a name of an old version to a name of this one.
type Rename struct {
	Old, New Ident
}

var migrateKeys = []string{"from", "states", "vars"}

// labelRE is what a version label may be: `2026.1`, `v3`, `2026-02-01`, a
// hash.
var labelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)

// label reads a version label. A number is taken as written: `version:
// 2026.10` is the label "2026.10", not the float 2026.1.
func (l *loader) label(n *yaml.Node, what string) (Ident, bool) {
	n = l.resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "%s must be a version label such as 2026.1 or v3, not %s", what, describe(n))
		return Ident{}, false
	}
	if !labelRE.MatchString(n.Value) {
		l.errorf(n, "%s %q is not a version label (letters, digits, '.', '-', '_' and '+', starting with a letter or digit, at most 64)", what, n.Value)
		return Ident{}, false
	}
	return Ident{Name: n.Value, Pos: l.pos(n)}, true
}

// migrations reads `migrate:`, a list of {from, states, vars}.
func (l *loader) migrations(n *yaml.Node) []*Migration {
	n = l.resolve(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "migrate must be a list of {from, states, vars}, not %s", describe(n))
		return nil
	}
	var out []*Migration
	for _, item := range n.Content {
		item = l.resolve(item)
		m := &Migration{Pos: l.pos(item)}
		if !l.pairs(item, "migration", migrateKeys, func(k, v *yaml.Node) {
			switch k.Value {
			case "from":
				m.From, _ = l.label(v, "from")
			case "states":
				m.States = l.renames(v, "states", false)
			case "vars":
				m.Vars = l.renames(v, "vars", true)
			}
		}) {
			continue
		}
		if !l.has(item, "from") {
			l.errorf(item, "migration needs from: the version label or hash it migrates sessions from")
			continue
		}
		if m.From.Name != "" {
			out = append(out, m)
		}
	}
	return out
}

// renames reads `{old: new}`; with drops, `old: ~` drops old.
func (l *loader) renames(n *yaml.Node, what string, drops bool) []*Rename {
	var out []*Rename
	l.pairs(n, what, nil, func(k, v *yaml.Node) {
		old, ok := l.name(k, what+": old name")
		if !ok {
			return
		}
		if drops && v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			out = append(out, &Rename{Old: old, New: Ident{Pos: l.pos(v)}})
			return
		}
		nw, ok := l.name(v, what+"."+old.Name)
		if ok {
			out = append(out, &Rename{Old: old, New: nw})
		}
	})
	return out
}

// MigrationFrom returns the migration the file declares from the version
// with the given label or hashes (empty ones are not matched).
func (f *File) MigrationFrom(label string, hashes ...string) (*Migration, bool) {
	for _, m := range f.Migrations {
		if label != "" && m.From.Name == label {
			return m, true
		}
		for _, h := range hashes {
			if h != "" && m.From.Name == h {
				return m, true
			}
		}
	}
	return nil, false
}
