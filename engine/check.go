package engine

import "github.com/tetherflow/tether/engine/syntax"

// Graph checks over a flow's states: what the start can reach, and what can
// reach an end.

// handlers returns s's handlers in a fixed order: its events sorted by
// name, then its timers as declared. Once the flow is compiled the list is
// built once (see compiler.flow); callers must not modify it.
func (s *state) handlers() []*handler {
	if s.hs != nil {
		return s.hs
	}
	hs := make([]*handler, 0, len(s.on)+len(s.timers))
	for _, ev := range sortedKeys(s.on) {
		hs = append(hs, s.on[ev])
	}
	for _, t := range s.timers {
		hs = append(hs, t.handler)
	}
	return hs
}

// successors returns the states s can move to, including through timers.
func (s *state) successors() []*state {
	var out []*state
	for _, h := range s.handlers() {
		for _, b := range h.branches {
			if b.target != nil {
				out = append(out, b.target)
			}
		}
	}
	return out
}

// graphChecks reports the states the start cannot reach and those from
// which no final state can be reached. Both are one pass over the edges:
// forwards from the start, backwards from the final states.
func (c *compiler) graphChecks(fl *Flow) {
	// A branch to an unknown state is already an error; the graph without it
	// is not the one the author meant, and reporting states as unreachable or
	// trapped would only repeat that error in other words.
	for _, s := range fl.states {
		for _, h := range s.decl.On {
			if hasUnknownTarget(fl, h.Branches) {
				return
			}
		}
		for _, t := range s.decl.After {
			if hasUnknownTarget(fl, t.Branches) {
				return
			}
		}
	}
	n := len(fl.states)
	succ := make([][]*state, n)
	preds := make([][]*state, n)
	for _, s := range fl.states {
		succ[s.id] = s.successors()
		for _, t := range succ[s.id] {
			preds[t.id] = append(preds[t.id], s)
		}
	}
	reach := closure(n, []*state{fl.start}, succ)
	for _, s := range fl.states {
		if !reach[s.id] {
			c.errs.Add(s.decl.Pos, "state %s is unreachable from %s", s.name, fl.start.name)
		}
	}
	// A non-final state from which no final state can be reached traps the
	// session forever. Work backwards from the final states.
	var finals []*state
	for _, s := range fl.states {
		if s.kind == syntax.FinalState {
			finals = append(finals, s)
		}
	}
	ends := closure(n, finals, preds)
	for _, s := range fl.states {
		if !ends[s.id] && reach[s.id] {
			if len(succ[s.id]) == 0 {
				c.errs.Add(s.decl.Pos, "state %s has no way out: it is not final and goes nowhere", s.name)
			} else {
				c.errs.Add(s.decl.Pos, "state %s has no way out: no final state can be reached from it", s.name)
			}
		}
	}
}

// closure marks, by state id, the states reachable from the states from
// along edges (by state id), from included.
func closure(n int, from []*state, edges [][]*state) []bool {
	seen := make([]bool, n)
	stack := make([]*state, 0, len(from))
	for _, s := range from {
		if !seen[s.id] {
			seen[s.id] = true
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range edges[s.id] {
			if !seen[t.id] {
				seen[t.id] = true
				stack = append(stack, t)
			}
		}
	}
	return seen
}

func hasUnknownTarget(fl *Flow, bs []*syntax.Branch) bool {
	for _, b := range bs {
		if _, ok := fl.byName[b.Go.Name]; b.Go.Name != "" && !ok {
			return true
		}
	}
	return false
}
