package engine

// Policy rules: the bounds a flow puts on its own policy values, checked
// against the flow's defaults when it is compiled and against every
// overlay's effective values when WithPolicies applies them. A value of the
// right kind can still be absurd (a lockout after a million failures, a
// negative cooldown); which values are absurd depends on what the flow does
// with them, so the flow says, and the engine holds every region to it.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/types"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// prule is a compiled policy rule.
type prule struct {
	decl *syntax.PolicyRule
	prog *cexpr
	keys []string // the policy keys it reads, in order of first use
}

// policyRules compiles the flow's policy rules against the typed policy
// and holds the flow's defaults to them.
func (c *compiler) policyRules(fl *Flow, rules []*syntax.PolicyRule, policy types.Map) {
	// A scope of its own per flow (a space is in no flow's name): the
	// configuration and the programs compiled in it are the flow's, not
	// shared with the rules of another flow of the same compile.
	key := fl.name + " policy_rules"
	sc := &scope{env: types.Map{"policy": policy}, key: key, flowKey: key}
	for _, r := range rules {
		prog, _ := c.compile(r.Check, sc, value.Bool, "policy rule")
		if prog == nil {
			continue
		}
		keys := policyKeysRead(prog, fl)
		if len(keys) == 0 {
			c.errs.Add(r.Check.Pos, "policy rule reads no policy value: it holds for every region or for none")
			continue
		}
		fl.rules = append(fl.rules, &prule{decl: r, prog: prog, keys: keys})
	}
	c.errs = append(c.errs, fl.brokenRules(nil)...)
}

// policyKeysRead returns the policy keys prog reads, in order of first
// use; all of them when it uses policy other than as policy.KEY (as
// len(policy) or policy[k] do).
func policyKeysRead(prog *cexpr, fl *Flow) []string {
	var keys []string
	members, idents, whole := 0, 0, false
	node := prog.node()
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.MemberNode:
			id, ok := n.Node.(*ast.IdentifierNode)
			if !ok || id.Value != "policy" {
				return
			}
			members++
			p, ok := n.Property.(*ast.StringNode)
			if !ok {
				whole = true
				return
			}
			if !contains(keys, p.Value) {
				keys = append(keys, p.Value)
			}
		case *ast.IdentifierNode:
			if n.Value == "policy" {
				idents++
			}
		}
	}))
	if whole || idents > members {
		return fl.policyKeys()
	}
	return keys
}

// brokenRules evaluates the flow's rules against its effective policy and
// reports each one that does not hold. A rule is reported at every value
// it reads that an overlay set (overlaid says which; nil for none), each
// naming the other values it read, as two regions claiming a country are
// reported at both places; when every value it read is the flow's own
// default, at the first of them.
func (f *Flow) brokenRules(overlaid func(key string) bool) yamlfile.ErrorList {
	var errs yamlfile.ErrorList
	env := map[string]any{"policy": f.policy}
	var s Session // the budgets of a session's evaluations hold here too
	for _, r := range f.rules {
		v, err := s.eval(&frame{env: env}, r.prog)
		if err != nil {
			errs = append(errs, exprErrorAt(r.decl.Check, err, fmt.Sprintf("policy rule cannot be evaluated for flow %s: ", f.name)))
			continue
		}
		if ok, _ := v.(bool); ok {
			continue
		}
		var at []string
		if overlaid != nil {
			for _, k := range r.keys {
				if overlaid(k) {
					at = append(at, k)
				}
			}
		}
		if len(at) == 0 {
			at = r.keys[:1]
		}
		for _, k := range at {
			errs.Add(f.psource[k], "policy %s of flow %s is %s%s: %s", k, f.name, value.Quote(f.policy[k]), f.others(r, k), r.decl.Message)
		}
	}
	return errs
}

// others lists the other values rule r read than key's, each with where
// it was set: ", with lockout_after_failures 5 (flows/connect.yaml:31:27)".
func (f *Flow) others(r *prule, key string) string {
	var parts []string
	for _, k := range r.keys {
		if k != key {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", k, value.Quote(f.policy[k]), f.psource[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return ", with " + strings.Join(parts, ", ")
}
