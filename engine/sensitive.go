package engine

import (
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/suggest"
)

// A sensitive value is one a flow keeps but never shows: the portal's
// sign-in ticket, a token. It is sensitive because an action declares the
// output it comes from Sensitive, or because the flow marks it: variables
// in the top-level sensitive: list, outputs in a run or final state's.
// The checker proves that a sensitive value reaches only sensitive
// variables, sensitive outputs and parameters declared secret or
// sensitive; never a prompt, a message or a variable that is not marked.
// The log masks it; snapshots name the variables that hold one
// (FrameSnapshot.Sensitive), which a store keeps sealed.

// sensitiveVars reads the flow's sensitive: list.
func (c *compiler) sensitiveVars(fl *Flow, f *syntax.File) {
	fl.sensitive = map[string]bool{}
	for _, id := range f.Sensitive {
		if _, ok := fl.varIdx[id.Name]; !ok {
			names := make([]string, len(fl.vars))
			for i, v := range fl.vars {
				names[i] = v.name
			}
			c.errs.Add(id.Pos, "sensitive: unknown variable %s%s", id.Name, suggest.Hint(id.Name, names))
			continue
		}
		fl.sensitive[id.Name] = true
		fl.sensitiveNames = append(fl.sensitiveNames, id.Name)
	}
	slices.Sort(fl.sensitiveNames)
}

// sensitiveOutputs works out which outputs of state s are sensitive: of
// its action, those the action declares so and those s marks; of its
// subflow, those a final state of the subflow marks, and those s marks;
// of a final state, those it marks. A mark must name an output there is.
func (c *compiler) sensitiveOutputs(s *state) {
	d := s.decl
	out := map[string]bool{}
	var names []string
	switch {
	case s.spec != nil:
		for _, o := range s.spec.Outputs {
			names = append(names, o.Name)
			if o.Sensitive {
				out[o.Name] = true
			}
		}
	case s.sub != nil:
		for _, fs := range s.sub.states {
			if fs.kind != syntax.FinalState {
				continue
			}
			for _, a := range fs.decl.Output {
				if !contains(names, a.Name) {
					names = append(names, a.Name)
				}
			}
			for name := range fs.sensitiveOut {
				out[name] = true
			}
		}
	case s.kind == syntax.FinalState:
		for _, a := range d.Output {
			names = append(names, a.Name)
		}
	case s.kind == syntax.RunState:
		return // an unknown action or flow, reported already
	}
	for _, id := range d.Sensitive {
		if !contains(names, id.Name) {
			what := "state " + s.name
			switch {
			case s.spec != nil:
				what = "action " + s.spec.Name
			case s.sub != nil:
				what = "flow " + s.sub.name
			}
			c.errs.Add(id.Pos, "sensitive: %s has no output %s%s", what, id.Name, suggest.Hint(id.Name, names))
			continue
		}
		out[id.Name] = true
	}
	if len(out) > 0 {
		s.sensitiveOut = out
	}
}

// sensitiveRef returns the first sensitive value prog reads in scope sc
// (a variable, or result.NAME of a sensitive output), with where it is in
// the source; "" when it reads none. Reading all of result where it holds
// a sensitive output counts.
func (c *compiler) sensitiveRef(prog *cexpr, sc *scope) (string, file.Location) {
	if prog == nil || (len(sc.sensitiveVars) == 0 && len(sc.sensitiveResult) == 0) {
		return "", file.Location{}
	}
	var (
		found          string
		at             file.Location
		whole, members int
		wholeAt        file.Location
	)
	node := prog.node()
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			if n.Value == "result" {
				if whole++; whole == 1 {
					wholeAt = n.Location()
				}
			}
			if found == "" && sc.sensitiveVars[n.Value] {
				found, at = "variable "+n.Value, n.Location()
			}
		case *ast.MemberNode:
			id, ok := n.Node.(*ast.IdentifierNode)
			prop, ok2 := n.Property.(*ast.StringNode)
			if !ok || !ok2 || id.Value != "result" {
				return
			}
			members++
			if found == "" && sc.sensitiveResult[prop.Value] {
				found, at = "result."+prop.Value, id.Location()
			}
		}
	}))
	if found == "" && whole > members && len(sc.sensitiveResult) > 0 {
		// result as a whole, or indexed by an expression
		found, at = "result."+sortedKeys(sc.sensitiveResult)[0], wholeAt
	}
	return found, at
}

// sensitiveError reports msg at loc in e's source, with a caret snippet;
// at e itself when loc is not in the source.
func (c *compiler) sensitiveError(e *syntax.Expr, loc file.Location, msg string) {
	src := []rune(e.Src)
	if loc.From < 0 || loc.From >= len(src) {
		c.errs.Add(e.Pos, "%s", msg)
		return
	}
	c.exprErrorOff(e, len(string(src[:loc.From])), msg)
}

// masked returns out as the log and the session keep it: its outputs
// that final state st marks sensitive replaced by eventlog.Masked. A
// parent flow gets them in full, as result.*.
func (st *state) masked(out *eventlog.Outcome) *eventlog.Outcome {
	if len(st.sensitiveOut) == 0 || len(out.Output) == 0 {
		return out
	}
	m := *out
	m.Output = make(map[string]any, len(out.Output))
	for k, v := range out.Output {
		if st.sensitiveOut[k] && !value.IsZero(v) {
			v = eventlog.Masked
		}
		m.Output[k] = v
	}
	return &m
}
