package explore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// PathFile is a path as a file holds it: tether paths --write writes one
// next to every replay script, tether replay reads it. It is a YAML list of
// decisions, one flow-style mapping a line:
//
//	# path.yaml
//	- {state: saved_credentials, outcome: none}
//	- {state: sign_in, choice: continue}
//	- {flow: signup, state: details, choice: cancel}
//	- {state: enter_code, pause: 2m30s}
//	- {state: enter_code, timer: 5m}
//	- {state: enter_code, wait: true}
//
// An outcome may say which bool outputs the action gave as true:
//
//   - {state: check_password, outcome: ok, result: {consent_required: true}}
//
// flow: is needed only for a subflow's states; a last {state, wait: true}
// says the path stops with the session waiting there.
type PathFile struct {
	Steps []PathStep
	// Wait is where the path stops with the session waiting at a prompt
	// (a loop, or a cut at an ask state), Flow and State only; nil when
	// the session ends.
	Wait *PathStep
}

// File returns the path file of p.
func (p *Path) File() *PathFile {
	pf := &PathFile{Steps: p.Steps}
	if p.Waiting {
		pf.Wait = &PathStep{Flow: p.Flow, State: p.State}
	}
	return pf
}

// PathItem is one decision of a path file, as YAML holds it (the JSON
// Schema of path files is made from it).
type PathItem struct {
	Flow    string  `yaml:"flow,omitempty"`
	State   string  `yaml:"state"`
	Outcome *string `yaml:"outcome,omitempty"`
	Choice  *string `yaml:"choice,omitempty"`
	Timer   *string `yaml:"timer,omitempty"`
	Pause   *string `yaml:"pause,omitempty"`
	Wait    bool    `yaml:"wait,omitempty"`
	// Result gives bool outputs of the action, with an outcome: those
	// set true are given as true, the others at their zero value.
	Result map[string]bool `yaml:"result,omitempty"`
}

// ParsePathFile reads the path file data (name is for messages). Unknown
// keys are errors, and so is a decision with no state or not exactly one
// of outcome:, choice:, timer: and pause:, or a wait: anywhere but alone
// in the last. The file is held to the YAML budgets of yamlfile.Decode
// (size, nodes, depth, one document, no repeated key), and every problem
// is reported, as an yamlfile.ErrorList of name:line:col messages.
func ParsePathFile(name string, data []byte) (*PathFile, error) {
	root, err := yamlfile.Decode(name, data, yamlfile.Limits{})
	var errs yamlfile.ErrorList
	errors.As(err, &errs) // repeated keys: the tree holds the first of each
	if root == nil {
		if err != nil {
			return nil, err
		}
		return &PathFile{Steps: []PathStep{}}, nil // empty, or comments only: no steps
	}
	pos := func(n *yaml.Node) yamlfile.Pos { return yamlfile.Pos{File: name, Line: n.Line, Col: n.Column} }
	root = yamlfile.Resolve(root)
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &PathFile{Steps: []PathStep{}}, nil // ~: no steps
	}
	if root.Kind != yaml.SequenceNode {
		errs.Add(pos(root), "a path file is a list of decisions, not %s", yamlfile.Shape(root))
		return nil, errs
	}
	// A null item is no decision: yaml.v3 drops it from a []PathItem, and
	// the steps are numbered without it.
	items := make([]PathItem, 0, len(root.Content))
	nodes := make([]*yaml.Node, 0, len(root.Content))
	for _, n := range root.Content {
		if n = yamlfile.Resolve(n); n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			continue
		}
		items = append(items, PathItem{})
		nodes = append(nodes, n)
		readPathItem(n, &items[len(items)-1], pos, &errs)
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	pf := &PathFile{}
	if n := len(items); n > 0 && items[n-1].Wait {
		last := items[n-1]
		if last.Outcome != nil || last.Choice != nil || last.Timer != nil || last.Pause != nil || last.Result != nil || last.State == "" {
			errs.Add(pos(nodes[n-1]), "step %d: want {state: NAME, wait: true} alone", n)
			return nil, errs
		}
		pf.Wait = &PathStep{Flow: last.Flow, State: last.State}
		items = items[:n-1]
	}
	steps := make([]PathStep, len(items))
	for i, it := range items {
		st := PathStep{Flow: it.Flow, State: it.State}
		n := 0
		for _, k := range []struct {
			kind StepKind
			name *string
		}{{StepOutcome, it.Outcome}, {StepChoice, it.Choice}, {StepTimer, it.Timer}, {StepPause, it.Pause}} {
			if k.name != nil {
				st.Kind, st.Name = k.kind, *k.name
				n++
			}
		}
		if it.State == "" || n != 1 || it.Wait {
			errs.Add(pos(nodes[i]), "step %d: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)", i+1)
			continue
		}
		if it.Result != nil && st.Kind != StepOutcome {
			errs.Add(pos(nodes[i]), "step %d: result: goes with outcome:, the action's answer", i+1)
			continue
		}
		var set []string
		for name, on := range it.Result {
			if on {
				set = append(set, name)
			}
		}
		slices.Sort(set)
		st.Result = strings.Join(set, ",")
		steps[i] = st
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	pf.Steps = steps
	return pf, nil
}

// pathKeys are the keys of a decision, as PathItem names them.
const pathKeys = "flow, state, outcome, result, choice, timer, pause or wait"

var pathKeyList = []string{"flow", "state", "outcome", "result", "choice", "timer", "pause", "wait"}

// readPathItem reads decision n into it, as yaml.v3 decodes a PathItem
// (a null leaves a field unset), reporting what does not fit.
func readPathItem(n *yaml.Node, it *PathItem, pos func(*yaml.Node) yamlfile.Pos, errs *yamlfile.ErrorList) {
	if n.Kind != yaml.MappingNode {
		errs.Add(pos(n), "a decision is a mapping such as {state: NAME, choice: NAME}, not %s", yamlfile.Shape(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], yamlfile.Resolve(n.Content[i+1])
		var dst any
		switch k.Value {
		case "flow":
			dst = &it.Flow
		case "state":
			dst = &it.State
		case "outcome":
			dst = &it.Outcome
		case "choice":
			dst = &it.Choice
		case "timer":
			dst = &it.Timer
		case "pause":
			dst = &it.Pause
		case "wait":
			dst = &it.Wait
		case "result":
			readResult(v, it, pos, errs)
			continue
		}
		switch {
		case dst == nil || k.Kind != yaml.ScalarNode:
			errs.Add(pos(k), "unknown key %q in a decision%s", k.Value, yamlfile.KeyHint(k.Value, pathKeyList, pathKeys))
		case v.Kind != yaml.ScalarNode:
			errs.Add(pos(v), "%s must be a single value, not %s", k.Value, yamlfile.Shape(v))
		case v.Decode(dst) != nil:
			want := "text"
			if k.Value == "wait" {
				want = "true or false"
			}
			errs.Add(pos(v), "%s must be %s, not %.40q", k.Value, want, v.Value)
		}
	}
}

// readResult reads a decision's result:, a mapping of output names to
// true or false.
func readResult(v *yaml.Node, it *PathItem, pos func(*yaml.Node) yamlfile.Pos, errs *yamlfile.ErrorList) {
	if v.Kind != yaml.MappingNode {
		errs.Add(pos(v), "result must be a mapping of outputs to true or false, such as {consent_required: true}, not %s", yamlfile.Shape(v))
		return
	}
	it.Result = map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, b := v.Content[i], yamlfile.Resolve(v.Content[i+1])
		var on bool
		if k.Kind != yaml.ScalarNode || k.Value == "" || strings.ContainsAny(k.Value, ",{}") {
			errs.Add(pos(k), "result: an output's name, not %s", yamlfile.Shape(k))
			continue
		}
		if b.Kind != yaml.ScalarNode || b.Tag != "!!bool" || b.Decode(&on) != nil {
			what := yamlfile.Shape(b)
			if b.Kind == yaml.ScalarNode {
				what = fmt.Sprintf("%.40q", b.Value)
			}
			errs.Add(pos(b), "result: %s must be true or false, not %s", k.Value, what)
			continue
		}
		it.Result[k.Value] = on
	}
}

// Format writes the path file, one flow-style mapping a line, naming the
// flow of the steps that are not in root.
func (pf *PathFile) Format(root string) []byte {
	var b strings.Builder
	at := func(st PathStep) {
		b.WriteString("- {")
		if st.Flow != "" && st.Flow != root {
			b.WriteString("flow: " + yamlScalar(st.Flow) + ", ")
		}
		b.WriteString("state: " + yamlScalar(st.State) + ", ")
	}
	for _, st := range pf.Steps {
		at(st)
		fmt.Fprintf(&b, "%s: %s", st.Kind, yamlScalar(st.Name))
		if st.Result != "" {
			b.WriteString(", result: {")
			for i, o := range strings.Split(st.Result, ",") {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(yamlScalar(o) + ": true")
			}
			b.WriteString("}")
		}
		b.WriteString("}\n")
	}
	if pf.Wait != nil {
		at(*pf.Wait)
		b.WriteString("wait: true}\n")
	}
	return []byte(b.String())
}

// quotedScalars remembers yamlScalar's results (yaml's encoder is costly
// to start, and paths name the same few states and outcomes again and
// again), up to maxQuoted of them.
var (
	quotedScalars sync.Map
	nquoted       atomic.Int32
)

const maxQuoted = 4096

// yamlScalar quotes s where YAML's flow style needs it.
func yamlScalar(s string) string {
	if q, ok := quotedScalars.Load(s); ok {
		return q.(string)
	}
	q := quoteScalar(s)
	if nquoted.Load() < maxQuoted && nquoted.Add(1) <= maxQuoted {
		quotedScalars.Store(s, q)
	}
	return q
}

// quoteScalar is yamlScalar without the memory.
func quoteScalar(s string) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	out, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	v := strings.TrimSuffix(string(out), "\n")
	// A flow mapping's value is one line (yaml's block scalars and folded
	// quotes are not), and plain only without flow indicators.
	if strings.Contains(v, "\n") || strings.ContainsAny(v, "{}[],") && !strings.HasPrefix(v, "'") && !strings.HasPrefix(v, "\"") {
		return fmt.Sprintf("%q", s)
	}
	return v
}
