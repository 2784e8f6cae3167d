package syntax

import (
	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// Property is one item of a flow's properties: a rule every session of
// the flow keeps, in every region, that the checker proves over every
// path (docs/properties.md). It is either an invariant, When and Require
// (at every point of a path where When holds, Require holds), or Ends:
// every session can end.
type Property struct {
	Name    Ident
	Pos     yamlfile.Pos // the property's item in the list
	Message string
	// When is the premise (nil: every point); Require what must hold
	// there. Both are bool expressions over the path (did, chose, at,
	// ended, once, count) and the session's variables.
	When, Require *Expr
	// Ends states that every session can end: from every configuration
	// a final state is reachable, and no cycle is made of action states
	// alone.
	Ends bool
}

var propertyKeys = []string{"name", "message", "when", "require", "ends"}

// properties reads `properties:`, a list of {name, message, when,
// require} or {name, message, ends: true}.
func (l *loader) properties(n *yaml.Node) []*Property {
	n = l.resolve(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "properties must be a list of {name, message, when, require} or {name, message, ends: true}, not %s", describe(n))
		return nil
	}
	var out []*Property
	names := map[string]yamlfile.Pos{}
	for _, item := range n.Content {
		p := &Property{Pos: l.pos(item)}
		var endsNode *yaml.Node
		named := false
		if !l.pairs(item, "property", propertyKeys, func(k, v *yaml.Node) {
			switch k.Value {
			case "name":
				p.Name, named = l.name(v, "property name")
			case "message":
				p.Message, _ = l.str(v, "message")
			case "when":
				p.When = l.expr(v, "when")
			case "require":
				p.Require = l.expr(v, "require")
			case "ends":
				endsNode = v
				p.Ends = l.boolean(v, "ends")
			}
		}) {
			continue
		}
		item = l.resolve(item)
		ok := true
		for _, key := range []string{"name", "message"} {
			if !l.has(item, key) {
				l.errorf(item, "property needs %s", key)
				ok = false
			}
		}
		switch {
		case endsNode != nil && !p.Ends:
			l.errorf(endsNode, "ends: false states nothing: leave the key out, or say require:")
			ok = false
		case p.Ends && (l.has(item, "when") || l.has(item, "require")):
			l.errorf(item, "a property is either ends: true or when:/require:, not both")
			ok = false
		case endsNode == nil && !l.has(item, "require"):
			l.errorf(item, "property needs require: (what must hold) or ends: true")
			ok = false
		}
		if named {
			if at, dup := names[p.Name.Name]; dup {
				l.errs.Add(p.Name.Pos, "property %s is named twice (first at %s)", p.Name.Name, at)
				ok = false
			} else {
				names[p.Name.Name] = p.Name.Pos
			}
		}
		if ok && named && p.Message != "" && (p.Ends || p.Require != nil) && (!l.has(item, "when") || p.When != nil) {
			out = append(out, p)
		}
	}
	return out
}
