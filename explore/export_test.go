package explore

import "github.com/tetherflow/tether/engine"

// KeepAllVars makes Paths key configurations by every variable, live or
// not: the search as it was before keys left dead variables out.
func KeepAllVars(o *PathOptions) { o.allVars = true }

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
