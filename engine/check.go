package engine

// Graph checks over a flow's states: what the start can reach, and what can
// reach an end.

// handlers returns s's handlers in a fixed order: its events sorted by
// name, then its timers as declared.
func (s *state) handlers() []*handler {
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
	reach := map[*state]bool{}
	var walk func(s *state)
	walk = func(s *state) {
		if reach[s] {
			return
		}
		reach[s] = true
		for _, n := range s.successors() {
			walk(n)
		}
	}
	walk(fl.start)
	for _, s := range fl.states {
		if !reach[s] {
			c.errs.Add(s.decl.Pos, "state %s is unreachable from %s", s.name, fl.start.name)
		}
	}
	// A non-final state from which no final state can be reached traps the
	// session forever. Work backwards from the final states.
	ends := map[*state]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range fl.states {
			if ends[s] {
				continue
			}
			if s.kind == FinalState {
				ends[s], changed = true, true
				continue
			}
			for _, n := range s.successors() {
				if ends[n] {
					ends[s], changed = true, true
					break
				}
			}
		}
	}
	for _, s := range fl.states {
		if !ends[s] && reach[s] {
			if len(s.successors()) == 0 {
				c.errs.Add(s.decl.Pos, "state %s has no way out: it is not final and goes nowhere", s.name)
			} else {
				c.errs.Add(s.decl.Pos, "state %s has no way out: no final state can be reached from it", s.name)
			}
		}
	}
}

func hasUnknownTarget(fl *Flow, bs []*Branch) bool {
	for _, b := range bs {
		if _, ok := fl.byName[b.Go.Name]; b.Go.Name != "" && !ok {
			return true
		}
	}
	return false
}
