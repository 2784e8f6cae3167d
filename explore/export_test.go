package explore

import "github.com/tetherflow/tether/engine"

// FullKeys makes Paths key configurations by every variable, live or not,
// and by the clock itself: the search as it was before keys left out dead
// variables and the clock.
func FullKeys(o *PathOptions) { o.fullKeys = true }

// LiveVars returns, by flow and state, the variables a configuration key
// holds there.
func LiveVars(fl *engine.Flow) map[string]map[string][]string {
	m := newModel(fl)
	out := map[string]map[string][]string{}
	for name, fm := range m.flows {
		out[name] = map[string][]string{}
		for st, l := range fm.live {
			vs := []string{}
			for _, i := range l {
				vs = append(vs, fm.vars[i])
			}
			out[name][st] = vs
		}
	}
	return out
}
