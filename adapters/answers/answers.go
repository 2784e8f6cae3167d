// Package answers drives a flow's prompts from an answers file, for
// scripted and repeatable runs (`tether run --answers FILE`).
//
// An answers file is a YAML list; each item answers the next prompt or
// advances the clock:
//
//	# answers.yaml
//	- state: sign_in              # optional: the prompt this answer is for
//	  choice: continue
//	  fields:
//	    email: family@example.com
//	    password: Family-pass-2024
//	- wait: 31s                   # let 31 seconds pass (timers may fire)
//	- flow: signup                # optional: a subflow's prompt
//	  state: details
//	  choice: cancel
//	- choice: continue
//	  fields: {code: "{{sms}}"}   # the code the demo SMS gateway last sent
//
// Field values are text; `{{NAME}}` is replaced by what the driver's lookup
// gives for NAME (the run command provides `sms`, the last demo SMS code,
// and `captcha`, the answer to the last demo CAPTCHA).
//
// The file is user data: it is read within the YAML budgets of
// yamlfile.Decode, and every problem in it is reported at once.
package answers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// Answer is one item of an answers file.
type Answer struct {
	Line   int    // where it starts in the file
	Flow   string // the flow whose prompt it answers (a subflow's name); empty: any
	State  string // the state whose prompt it answers; empty: any
	Choice string
	Fields map[string]string
	Wait   time.Duration
}

// ErrExhausted is returned when the session asks for more answers than the
// file holds.
var ErrExhausted = errors.New("answers file exhausted")

// Load reads an answers file, within the YAML budgets of
// yamlfile.Decode.
func Load(path string) ([]Answer, error) {
	data, err := yamlfile.ReadFile(path, yamlfile.Limits{})
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		return nil, list
	}
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return Parse(path, data)
}

const answerKeys = "flow, state, choice, fields or wait"

var answerKeyList = []string{"flow", "state", "choice", "fields", "wait"}

// Parse parses an answers file's contents; name is used in error messages.
// Every problem is reported, as an yamlfile.ErrorList of name:line:col
// messages: YAML syntax errors, the budgets of yamlfile.Decode, a second
// document, repeated keys, and answers that are malformed. No message
// quotes a field's value, which may be a password.
func Parse(name string, data []byte) ([]Answer, error) {
	root, err := yamlfile.Decode(name, data, yamlfile.Limits{})
	var errs yamlfile.ErrorList
	errors.As(err, &errs) // repeated keys: the tree holds the first of each
	if root == nil {
		if err != nil {
			return nil, err
		}
		errs.Add(yamlfile.Pos{File: name, Line: 1, Col: 1}, "the answers file is empty; it is a list of answers")
		return nil, errs
	}
	pos := func(n *yaml.Node) yamlfile.Pos { return yamlfile.Pos{File: name, Line: n.Line, Col: n.Column} }
	if root = yamlfile.Resolve(root); root.Kind != yaml.SequenceNode {
		errs.Add(pos(root), "an answers file is a list of answers, not %s", yamlfile.Shape(root))
		return nil, errs
	}
	var out []Answer
	for _, item := range root.Content {
		item = yamlfile.Resolve(item)
		if item.Kind != yaml.MappingNode {
			errs.Add(pos(item), "an answer is a mapping with choice and fields, or wait, not %s", yamlfile.Shape(item))
			continue
		}
		a := Answer{Line: item.Line}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], yamlfile.Resolve(item.Content[i+1])
			switch k.Value {
			case "flow", "state", "choice":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					errs.Add(pos(v), "%s must be a name, not %s", k.Value, yamlfile.Shape(v))
					continue
				}
				switch k.Value {
				case "flow":
					a.Flow = v.Value
				case "state":
					a.State = v.Value
				default:
					a.Choice = v.Value
				}
			case "wait":
				d, err := time.ParseDuration(v.Value)
				if v.Kind != yaml.ScalarNode || err != nil || d <= 0 {
					what := yamlfile.Shape(v)
					if v.Kind == yaml.ScalarNode {
						what = strconv.Quote(v.Value) // a wait is no secret
					}
					errs.Add(pos(v), "wait must be a positive duration such as 30s, not %s", what)
					continue
				}
				a.Wait = d
			case "fields":
				a.Fields = fields(v, pos, &errs)
			default:
				errs.Add(pos(k), "unknown key %q%s", k.Value, yamlfile.KeyHint(k.Value, answerKeyList, answerKeys))
			}
		}
		switch {
		case hasKey(item, "wait") && (hasKey(item, "choice") || hasKey(item, "fields") || hasKey(item, "state") || hasKey(item, "flow")):
			errs.Add(pos(item), "an answer either waits or answers, not both")
		case !hasKey(item, "wait") && !hasKey(item, "choice"):
			errs.Add(pos(item), "an answer needs a choice")
		}
		out = append(out, a)
	}
	errs.Sort()
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// fields reads an answer's fields: names mapped to text.
func fields(n *yaml.Node, pos func(*yaml.Node) yamlfile.Pos, errs *yamlfile.ErrorList) map[string]string {
	if n.Kind != yaml.MappingNode {
		errs.Add(pos(n), "fields must be a mapping of field names to values, not %s", yamlfile.Shape(n))
		return nil
	}
	out := make(map[string]string, len(n.Content)/2)
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := yamlfile.Resolve(n.Content[j]), yamlfile.Resolve(n.Content[j+1])
		switch {
		case k.Kind != yaml.ScalarNode || k.Value == "":
			errs.Add(pos(k), "a field's name must be a name, not %s", yamlfile.Shape(k))
		case v.Kind != yaml.ScalarNode:
			errs.Add(pos(v), "field %s must be a single value, not %s", k.Value, yamlfile.Shape(v))
		case v.Tag == "!!null":
			errs.Add(pos(v), "field %s has no value (write \"\" for an empty one)", k.Value)
		default:
			out[k.Value] = v.Value
		}
	}
	return out
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// Driver hands out a file's answers in order.
type Driver struct {
	name    string
	answers []Answer
	next    int
	lookup  func(name string) (string, bool)
}

// New returns a driver over answers; lookup resolves `{{NAME}}` in values
// (nil resolves nothing). name is the file's name for messages.
func New(name string, answers []Answer, lookup func(name string) (string, bool)) *Driver {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Driver{name: name, answers: answers, lookup: lookup}
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)

// Next returns the reply to the prompt at step. problem is the error the
// previous reply got (an *engine.InputError, say): a scripted run cannot
// correct itself, so Next fails with it rather than answer again. An
// answer that names a flow or a state the session is not at is an error
// too, naming the answer's line.
func (d *Driver) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	if problem != nil {
		if d.next == 0 {
			return host.Reply{}, fmt.Errorf("%s: %w", d.name, problem)
		}
		prev := d.answers[d.next-1]
		return host.Reply{}, fmt.Errorf("%s:%d: answer rejected: %w", d.name, prev.Line, problem)
	}
	if d.next >= len(d.answers) {
		return host.Reply{}, fmt.Errorf("%s: %w at state %s", d.name, ErrExhausted, step.State)
	}
	a := d.answers[d.next]
	d.next++
	if a.Wait > 0 {
		return host.Reply{Wait: a.Wait, Line: a.Line}, nil
	}
	if a.Flow != "" && a.Flow != step.Flow || a.State != "" && a.State != step.State {
		at := step.State
		if a.Flow != "" {
			at = where(step.Flow, step.State)
		}
		return host.Reply{}, fmt.Errorf("%s:%d: this answer is for %s, but the session waits at %s", d.name, a.Line, where(a.Flow, a.State), at)
	}
	r := host.Reply{Choice: a.Choice, Line: a.Line}
	if len(a.Fields) > 0 {
		r.Input = make(map[string]any, len(a.Fields))
		for k, v := range a.Fields {
			var missing string
			r.Input[k] = placeholder.ReplaceAllStringFunc(v, func(m string) string {
				name := strings.TrimSpace(m[2 : len(m)-2])
				val, ok := d.lookup(name)
				if !ok {
					missing = name
				}
				return val
			})
			if missing != "" {
				return host.Reply{}, fmt.Errorf("%s:%d: field %s: nothing is known as {{%s}}", d.name, a.Line, k, missing)
			}
		}
	}
	// A field the answer leaves out keeps the value the prompt filled in,
	// as a person pressing Enter does (the email after a wrong password).
	if step.Prompt != nil {
		if ch, ok := step.Prompt.Choice(a.Choice); ok {
			for _, name := range ch.Fields {
				f, _ := step.Prompt.Field(name)
				if _, given := a.Fields[name]; !given && f.Prefill != "" && !f.Type.Secret() {
					if r.Input == nil {
						r.Input = map[string]any{}
					}
					r.Input[name] = f.Prefill
				}
			}
		}
	}
	return r, nil
}

// where names the place an answer is for: "state S", "state S of flow F",
// or "flow F" when the answer names no state.
func where(flow, state string) string {
	switch {
	case flow == "":
		return "state " + state
	case state == "":
		return "flow " + flow
	}
	return "state " + state + " of flow " + flow
}

// Remaining returns how many answers have not been used.
func (d *Driver) Remaining() int { return len(d.answers) - d.next }
