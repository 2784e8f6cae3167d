package syntax

import (
	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// PolicyRule is one item of a flow's policy_rules: a condition on policy.*
// that the flow's effective policy must meet, in every region, and what to
// tell whoever breaks it.
type PolicyRule struct {
	Pos     yamlfile.Pos // the rule's item in the list
	Check   *Expr        // a boolean expression over policy.*
	Message string
}

var policyRuleKeys = []string{"check", "message"}

// policyRules reads `policy_rules:`, a list of {check, message}.
func (l *loader) policyRules(n *yaml.Node) []*PolicyRule {
	n = l.resolve(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "policy_rules must be a list of {check, message}, not %s", describe(n))
		return nil
	}
	var out []*PolicyRule
	for _, item := range n.Content {
		r := &PolicyRule{Pos: l.pos(item)}
		if !l.pairs(item, "policy rule", policyRuleKeys, func(k, v *yaml.Node) {
			switch k.Value {
			case "check":
				r.Check = l.expr(v, "check")
			case "message":
				r.Message, _ = l.str(v, "message")
			}
		}) {
			continue
		}
		item = l.resolve(item)
		for _, key := range policyRuleKeys {
			if !l.has(item, key) {
				l.errorf(item, "policy rule needs %s", key)
			}
		}
		if r.Check != nil && r.Message != "" {
			out = append(out, r)
		}
	}
	return out
}
