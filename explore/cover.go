package explore

import (
	"fmt"
	"sort"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
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
	Event  string       // outcome, choice or "after KEY"; empty for states
	Branch int          // 1-based, for branches
	Pos    yamlfile.Pos `json:"-"`
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
func (c CoverItem) key() CoverItem { c.Pos = yamlfile.Pos{}; return c }

// CoverItems returns everything the transcripts of fl should exercise
// under its policy: every state, every outcome of every run state, every
// branch and every timer, of the flow and its subflows, except what the
// policy makes unreachable (see flowinfo.Flow.Reachable) — a branch
// whose if reads only policy values and is false, or that an earlier such
// branch hides, and everything in states no path can reach.
func CoverItems(fl *engine.Flow) []CoverItem {
	var out []CoverItem
	seen := map[string]bool{}
	var walk func(fl *flowinfo.Flow)
	walk = func(fl *flowinfo.Flow) {
		if seen[fl.Name] {
			return
		}
		seen[fl.Name] = true
		reach := map[string]bool{}
		for _, n := range fl.Reachable {
			reach[n] = true
		}
		for _, s := range fl.States {
			if !reach[s.Name] {
				continue
			}
			out = append(out, CoverItem{Kind: CoverState, Flow: fl.Name, State: s.Name, Pos: s.Pos})
			if s.Kind == syntax.RunState {
				for _, ev := range s.Events {
					out = append(out, CoverItem{Kind: CoverOutcome, Flow: fl.Name, State: s.Name, Event: ev, Pos: s.RunPos})
				}
			}
			for _, h := range s.Handlers {
				out = appendBranches(out, fl.Name, s.Name, h)
			}
			for _, t := range s.Timers {
				out = append(out, CoverItem{Kind: CoverTimer, Flow: fl.Name, State: s.Name, Event: t.Handler.Event, Pos: t.Pos})
				out = appendBranches(out, fl.Name, s.Name, t.Handler)
			}
			if s.Subflow != nil {
				walk(s.Subflow)
			}
		}
	}
	walk(fl.Info())
	return out
}

// appendBranches appends the branches of h that the policy leaves
// possible.
func appendBranches(out []CoverItem, flow, state string, h flowinfo.Handler) []CoverItem {
	for _, b := range h.Branches {
		if b.Policy == flowinfo.GuardFails {
			continue
		}
		out = append(out, CoverItem{Kind: CoverBranch, Flow: flow, State: state, Event: h.Event, Branch: b.Index, Pos: b.Pos})
		if b.Policy == flowinfo.GuardHolds {
			break
		}
	}
	return out
}

// Covered returns the items a session's event log exercises.
func Covered(entries []eventlog.Entry) []CoverItem {
	var out []CoverItem
	for _, e := range entries {
		switch e.Kind {
		case eventlog.EntryStart:
			out = append(out, CoverItem{Kind: CoverState, Flow: e.Flow, State: e.To})
		case eventlog.EntryAction:
			out = append(out, CoverItem{Kind: CoverOutcome, Flow: e.Flow, State: e.State, Event: e.Event})
		case eventlog.EntryTransition:
			// Back from a subflow: its outcome is the parent state's event.
			out = append(out, CoverItem{Kind: CoverOutcome, Flow: e.Flow, State: e.State, Event: e.Event})
		case eventlog.EntryTimer:
			out = append(out, CoverItem{Kind: CoverTimer, Flow: e.Flow, State: e.State, Event: e.Event})
		}
		if e.Branch > 0 {
			out = append(out, CoverItem{Kind: CoverBranch, Flow: e.Flow, State: e.State, Event: e.Event, Branch: e.Branch})
		}
		if e.To != "" && e.Kind != eventlog.EntryStart {
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

// Measure holds the items of fl against the items logs exercised.
func Measure(fl *engine.Flow, covered []CoverItem) Coverage {
	got := make(map[CoverItem]bool, len(covered))
	for _, c := range covered {
		got[c.key()] = true
	}
	items := CoverItems(fl)
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
