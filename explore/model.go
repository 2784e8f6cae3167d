package explore

import "github.com/tetherflow/tether/engine"

// model is what path search and replay know of a flow and the subflows it
// runs, at any depth, read once from the engine's model of each
// (engine.Flow.Info).
type model struct {
	root  *engine.Flow
	flows map[string]*flowModel // by name, the root's included
	// specs are the actions the flows run, each once.
	specs []engine.Spec
	// decisions counts the states where a path decides, of every flow
	// once: run states of actions, and ask states.
	decisions int
}

type flowModel struct {
	vars   []string // in declaration order
	states map[string]*engine.StateInfo
}

func newModel(root *engine.Flow) *model {
	m := &model{root: root, flows: map[string]*flowModel{}}
	known := map[string]bool{}
	var walk func(fl *engine.Flow)
	walk = func(fl *engine.Flow) {
		if m.flows[fl.Name()] != nil {
			return
		}
		info := fl.Info()
		fm := &flowModel{vars: info.Vars, states: make(map[string]*engine.StateInfo, len(info.States))}
		m.flows[fl.Name()] = fm
		for i := range info.States {
			st := &info.States[i]
			fm.states[st.Name] = st
			switch {
			case st.Subflow != nil:
				walk(st.Subflow)
			case st.Kind == engine.RunState, st.Kind == engine.AskState:
				m.decisions++
			}
			if st.Action != nil && !known[st.Action.Name] {
				known[st.Action.Name] = true
				m.specs = append(m.specs, *st.Action)
			}
		}
	}
	walk(root)
	return m
}

// vars returns the variables of the flow named flow, in declaration order.
func (m *model) vars(flow string) []string {
	if fm := m.flows[flow]; fm != nil {
		return fm.vars
	}
	return nil
}

// state returns the state named state of the flow named flow ("" for the
// root), or nil.
func (m *model) state(flow, state string) *engine.StateInfo {
	if flow == "" {
		flow = m.root.Name()
	}
	if fm := m.flows[flow]; fm != nil {
		return fm.states[state]
	}
	return nil
}
