package engine

import (
	"fmt"
	"sort"
)

// CoverKind is what a coverage item is.
type CoverKind string

// The kinds of coverage item.
const (
	CoverState   CoverKind = "state"   // a state entered
	CoverOutcome CoverKind = "outcome" // an action (or subflow) outcome returned in a state
	CoverBranch  CoverKind = "branch"  // a branch of a handler taken
	CoverTimer   CoverKind = "timer"   // a timer fired
)

// CoverItem is one thing a flow's transcripts should exercise: a state, an
// outcome of the action a state runs, a branch of a handler or a timer.
type CoverItem struct {
	Kind   CoverKind
	Flow   string
	State  string
	Event  string // outcome, choice or "after KEY"; empty for states
	Branch int    // 1-based, for branches
	Pos    Pos    `json:"-"`
}

// String names the item as `tether cover` lists it.
func (c CoverItem) String() string {
	switch c.Kind {
	case CoverState:
		return fmt.Sprintf("%s: state %s", c.Flow, c.State)
	case CoverOutcome:
		return fmt.Sprintf("%s: %s -> %s", c.Flow, c.State, c.Event)
	case CoverTimer:
		return fmt.Sprintf("%s: %s %s fires", c.Flow, c.State, c.Event)
	}
	return fmt.Sprintf("%s: %s on %s, branch %d", c.Flow, c.State, c.Event, c.Branch)
}

// key identifies the item regardless of its position.
func (c CoverItem) key() CoverItem { c.Pos = Pos{}; return c }

// CoverItems returns everything the flow's transcripts should exercise
// under its policy: every state, every outcome of every run state, every
// branch and every timer, of the flow and its subflows, except what the
// policy makes unreachable (see PolicyReachable) — a branch whose if
// reads only policy values and is false, or that an earlier such branch
// hides, and everything in states no path can reach.
func (f *Flow) CoverItems() []CoverItem {
	var out []CoverItem
	seen := map[string]bool{}
	var walk func(fl *Flow)
	walk = func(fl *Flow) {
		if seen[fl.name] {
			return
		}
		seen[fl.name] = true
		reach := map[string]bool{}
		for _, n := range fl.PolicyReachable() {
			reach[n] = true
		}
		for _, s := range fl.states {
			if !reach[s.name] {
				continue
			}
			out = append(out, CoverItem{Kind: CoverState, Flow: fl.name, State: s.name, Pos: s.decl.Pos})
			if s.kind == RunState {
				for _, ev := range s.events {
					out = append(out, CoverItem{Kind: CoverOutcome, Flow: fl.name, State: s.name, Event: ev, Pos: s.decl.Run.Pos})
				}
			}
			for _, ev := range sortedKeys(s.on) {
				out = append(out, fl.branchItems(s, s.on[ev], CoverBranch)...)
			}
			for _, t := range s.timers {
				out = append(out, CoverItem{Kind: CoverTimer, Flow: fl.name, State: s.name, Event: t.handler.event, Pos: t.pos})
				out = append(out, fl.branchItems(s, t.handler, CoverBranch)...)
			}
			if s.sub != nil {
				walk(s.sub)
			}
		}
	}
	walk(f)
	return out
}

// branchItems lists the branches of h that the policy leaves possible.
func (f *Flow) branchItems(s *state, h *handler, kind CoverKind) []CoverItem {
	var out []CoverItem
	for _, b := range h.branches {
		holds, decided := f.policyGuard(b)
		if decided && !holds {
			continue
		}
		out = append(out, CoverItem{Kind: kind, Flow: f.name, State: s.name, Event: h.event, Branch: b.idx + 1, Pos: b.pos})
		if decided && holds {
			break
		}
	}
	return out
}

// Covered returns the items a session's event log exercises.
func Covered(entries []Entry) []CoverItem {
	var out []CoverItem
	for _, e := range entries {
		switch e.Kind {
		case EntryStart:
			out = append(out, CoverItem{Kind: CoverState, Flow: e.Flow, State: e.To})
		case EntryAction:
			out = append(out, CoverItem{Kind: CoverOutcome, Flow: e.Flow, State: e.State, Event: e.Event})
		case EntryTransition:
			// Back from a subflow: its outcome is the parent state's event.
			out = append(out, CoverItem{Kind: CoverOutcome, Flow: e.Flow, State: e.State, Event: e.Event})
		case EntryTimer:
			out = append(out, CoverItem{Kind: CoverTimer, Flow: e.Flow, State: e.State, Event: e.Event})
		}
		if e.Branch > 0 {
			out = append(out, CoverItem{Kind: CoverBranch, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch})
		}
		if e.To != "" && e.Kind != EntryStart {
			out = append(out, CoverItem{Kind: CoverState, Flow: e.Flow, State: e.To})
		}
	}
	return out
}

// Coverage is what a set of logs exercises of a flow's items.
type Coverage struct {
	Items   []CoverItem // every item, in flow order
	Covered []bool      // Covered[i] tells whether Items[i] was exercised
}

// Measure holds the flow's items against the items logs exercised.
func (f *Flow) Measure(covered []CoverItem) Coverage {
	got := make(map[CoverItem]bool, len(covered))
	for _, c := range covered {
		got[c.key()] = true
	}
	items := f.CoverItems()
	cov := Coverage{Items: items, Covered: make([]bool, len(items))}
	for i, it := range items {
		cov.Covered[i] = got[it.key()]
	}
	return cov
}

// Percent returns the share of items covered, 100 for a flow with none.
func (c Coverage) Percent() float64 {
	if len(c.Items) == 0 {
		return 100
	}
	n := 0
	for _, ok := range c.Covered {
		if ok {
			n++
		}
	}
	return 100 * float64(n) / float64(len(c.Items))
}

// Missing returns the items not covered, sorted by position.
func (c Coverage) Missing() []CoverItem {
	var out []CoverItem
	for i, ok := range c.Covered {
		if !ok {
			out = append(out, c.Items[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}
