// Package answers drives a flow's prompts from an answers file, for
// scripted and repeatable runs (`tether run --answers FILE`).
//
// An answers file is a YAML list; each item answers the next prompt or
// advances the clock:
//
//   - state: sign_in              # optional: the prompt this answer is for
//     choice: continue
//     fields:
//     email: family@example.com
//     password: Family-pass-2024
//   - wait: 31s                   # let 31 seconds pass (timers may fire)
//   - choice: continue
//     fields: {code: "{{sms}}"}   # the code the demo SMS gateway last sent
//
// Field values are text; `{{NAME}}` is replaced by what the driver's lookup
// gives for NAME (the run command provides `sms`, the last demo SMS code,
// and `captcha`, the answer to the last demo CAPTCHA).
package answers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// Answer is one item of an answers file.
type Answer struct {
	Line   int // where it starts in the file
	State  string
	Choice string
	Fields map[string]string
	Wait   time.Duration
}

// ErrExhausted is returned when the session asks for more answers than the
// file holds.
var ErrExhausted = errors.New("answers file exhausted")

// Load reads an answers file.
func Load(path string) ([]Answer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return Parse(path, data)
}

// Parse parses an answers file's contents; name is used in error messages,
// which carry file:line:col.
func Parse(name string, data []byte) ([]Answer, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the answers file is empty; it is a list of answers", name)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var errs engine.ErrorList
	pos := func(n *yaml.Node) engine.Pos { return engine.Pos{File: name, Line: n.Line, Col: n.Column} }
	if root.Kind != yaml.SequenceNode {
		errs.Add(pos(root), "an answers file is a list of answers")
		return nil, errs
	}
	var out []Answer
	for _, item := range root.Content {
		if item.Kind != yaml.MappingNode {
			errs.Add(pos(item), "an answer is a mapping with choice and fields, or wait")
			continue
		}
		a := Answer{Line: item.Line}
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if seen[k.Value] {
				errs.Add(pos(k), "duplicate key %q", k.Value)
				continue
			}
			seen[k.Value] = true
			switch k.Value {
			case "state", "choice":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					errs.Add(pos(v), "%s must be a name", k.Value)
					continue
				}
				if k.Value == "state" {
					a.State = v.Value
				} else {
					a.Choice = v.Value
				}
			case "wait":
				d, err := time.ParseDuration(v.Value)
				if err != nil || d <= 0 {
					errs.Add(pos(v), "wait must be a positive duration such as 30s, not %q", v.Value)
					continue
				}
				a.Wait = d
			case "fields":
				if v.Kind != yaml.MappingNode {
					errs.Add(pos(v), "fields must be a mapping of field names to values")
					continue
				}
				a.Fields = map[string]string{}
				for j := 0; j+1 < len(v.Content); j += 2 {
					fk, fv := v.Content[j], v.Content[j+1]
					if fv.Kind != yaml.ScalarNode {
						errs.Add(pos(fv), "field %s must be a single value", fk.Value)
						continue
					}
					a.Fields[fk.Value] = fv.Value
				}
			default:
				errs.Add(pos(k), "unknown key %q (want state, choice, fields or wait)", k.Value)
			}
		}
		switch {
		case a.Wait > 0 && (a.Choice != "" || a.Fields != nil || a.State != ""):
			errs.Add(pos(item), "an answer either waits or answers, not both")
		case a.Wait == 0 && a.Choice == "" && !seen["wait"]:
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
// correct itself, so Next fails with it rather than answer again.
func (d *Driver) Next(ctx context.Context, step engine.Step, problem error) (host.Reply, error) {
	if problem != nil {
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
	if a.State != "" && a.State != step.State {
		return host.Reply{}, fmt.Errorf("%s:%d: this answer is for state %s, but the session waits at %s", d.name, a.Line, a.State, step.State)
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
	return r, nil
}

// Remaining returns how many answers have not been used.
func (d *Driver) Remaining() int { return len(d.answers) - d.next }
