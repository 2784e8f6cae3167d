package explore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

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
}

// ParsePathFile reads the path file data (name is for messages). Unknown
// keys are errors, and so is a decision with no state or not exactly one
// of outcome:, choice:, timer: and pause:, or a wait: anywhere but alone
// in the last.
func ParsePathFile(name string, data []byte) (*PathFile, error) {
	var items []PathItem
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&items); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	pf := &PathFile{}
	if n := len(items); n > 0 && items[n-1].Wait {
		last := items[n-1]
		if last.Outcome != nil || last.Choice != nil || last.Timer != nil || last.Pause != nil || last.State == "" {
			return nil, fmt.Errorf("%s: step %d: want {state: NAME, wait: true} alone", name, n)
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
			return nil, fmt.Errorf("%s: step %d: want {state: NAME} with one of outcome:, choice:, timer: or pause: (or wait: true, last)", name, i+1)
		}
		steps[i] = st
	}
	pf.Steps = steps
	return pf, nil
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
		fmt.Fprintf(&b, "%s: %s}\n", st.Kind, yamlScalar(st.Name))
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
	if strings.ContainsAny(v, "{}[],") && !strings.HasPrefix(v, "'") && !strings.HasPrefix(v, "\"") {
		return fmt.Sprintf("%q", s)
	}
	return v
}
