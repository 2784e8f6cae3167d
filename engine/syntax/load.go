package syntax

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// LoadFile reads and loads the flow file at path, within the default YAML
// budgets (see yamlfile.Decode): a file over the size budget is not read
// past it.
func LoadFile(path string) (*File, error) { return ReadDocument(path, yamlfile.Limits{}).Load() }

// Document is a YAML file read and decoded once, for a caller that looks
// at its top before loading it as a flow: the catalog decides from it
// whether a file in a flows directory is a flow, and then loads it without
// parsing it again.
type Document struct {
	path    string
	src     []byte
	top     *yaml.Node // nil: no document, or the file could not be decoded
	err     error      // yamlfile.Decode's: a tree with duplicate keys dropped, or none
	readErr error      // reading's
}

// ReadDocument reads the file at path and decodes it within the YAML
// budgets lim (zero: the defaults). Problems are kept for Load to report.
func ReadDocument(path string, lim yamlfile.Limits) *Document {
	d := &Document{path: path}
	d.src, d.readErr = yamlfile.ReadFile(path, lim)
	if d.readErr == nil {
		d.top, d.err = yamlfile.Decode(path, d.src, lim)
	}
	return d
}

// Top returns the document's top node (nil when the file holds no
// document), and whether the file was read and decoded with no problem at
// all: no syntax error, no budget broken, no duplicate key.
func (d *Document) Top() (*yaml.Node, bool) {
	if d.readErr != nil || d.err != nil {
		return nil, false
	}
	return d.top, true
}

// Load loads the document as a flow, the file read and decoded once.
func (d *Document) Load() (*File, error) {
	if err := d.readErr; err != nil {
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			return nil, list
		}
		return nil, fmt.Errorf("load %s: %w", d.path, err)
	}
	return loadTree(d.path, d.src, d.top, d.err)
}

// Load parses a flow file. It reports every syntax problem it finds (unknown
// or duplicate keys, values of the wrong shape, a file over the default
// YAML budgets of yamlfile.Decode) as a yamlfile.ErrorList; it never
// panics, whatever the input.
func Load(path string, src []byte) (*File, error) {
	return LoadLimits(path, src, yamlfile.Limits{})
}

// LoadLimits is Load under the YAML budgets lim instead of the defaults:
// for flows known to be larger than any a person writes, such as the
// generated ones the checker's benchmarks load.
func LoadLimits(path string, src []byte, lim yamlfile.Limits) (*File, error) {
	root, err := yamlfile.Decode(path, src, lim)
	return loadTree(path, src, root, err)
}

// loadTree loads the flow file path, whose content src yamlfile.Decode
// decoded into root, with err.
func loadTree(path string, src []byte, root *yaml.Node, err error) (*File, error) {
	l := &loader{path: path}
	f := &File{Path: path, Source: src}
	if root == nil {
		if err != nil {
			return nil, err
		}
		l.errs.Add(yamlfile.Pos{File: path, Line: 1, Col: 1}, "empty flow file")
		return nil, l.errs
	}
	var dups yamlfile.ErrorList // duplicate keys: the tree holds the first of each
	if errors.As(err, &dups) {
		l.errs = append(l.errs, dups...)
	}
	l.file(root, f)
	l.errs.Sort()
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

type loader struct {
	path string
	errs yamlfile.ErrorList
}

func (l *loader) pos(n *yaml.Node) yamlfile.Pos {
	return yamlfile.Pos{File: l.path, Line: n.Line, Col: n.Column}
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errs.Add(l.pos(n), format, args...)
}

// pairs walks a mapping node's key/value pairs, reporting keys outside
// known (when known is non-nil). It returns false when n is not a mapping.
// Its keys are unique: yamlfile.Decode, which every tree the loader reads comes
// from, reported and dropped the repeated ones.
func (l *loader) pairs(n *yaml.Node, what string, known []string, fn func(k, v *yaml.Node)) bool {
	n = l.resolve(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "%s: keys must be plain names", what)
			continue
		}
		if known != nil && !contains(known, k.Value) {
			l.errorf(k, "unknown key %q in %s%s", k.Value, what, yamlfile.KeyHint(k.Value, known, "one of: "+strings.Join(known, ", ")))
			continue
		}
		fn(k, l.resolve(v))
	}
	return true
}

// resolve follows aliases, so that anchors work but positions stay those of
// the anchored node.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if x == y {
			return true
		}
	}
	return false
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// name reads a scalar that must be an identifier.
func (l *loader) name(n *yaml.Node, what string) (Ident, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "%s must be a name, not %s", what, describe(n))
		return Ident{}, false
	}
	if !prompt.IsName(n.Value) {
		l.errorf(n, "%s %q is not a valid name (letters, digits and _, not starting with a digit)", what, n.Value)
		return Ident{}, false
	}
	return Ident{Name: n.Value, Pos: l.pos(n)}, true
}

func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "%s must be text, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		l.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

func (l *loader) expr(n *yaml.Node, what string) *Expr {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		l.errorf(n, "%s must be an expression, not %s", what, describe(n))
		return nil
	}
	e := &Expr{Src: n.Value, Pos: l.pos(n)}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		e.Quote = 1
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.Block = true
	}
	return e
}

// fileKeys are the keys of a flow file's top level.
var fileKeys = []string{"flow", "version", "title", "start", "vars", "sensitive", "policy", "policy_rules", "messages", "properties", "migrate", "states"}

func (l *loader) file(n *yaml.Node, f *File) {
	var states *yaml.Node
	ok := l.pairs(n, "flow file", fileKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "flow":
			f.Flow, _ = l.name(v, "flow")
		case "version":
			f.Version, _ = l.label(v, "version")
		case "title":
			f.Title, _ = l.str(v, "title")
			f.TitlePos = l.pos(v)
		case "messages":
			f.Messages = l.messages(v)
		case "start":
			f.Start, _ = l.name(v, "start")
		case "vars":
			f.Vars = l.values(v, "vars")
		case "sensitive":
			f.Sensitive = l.names(v, "sensitive", "variable")
		case "policy":
			f.Policy = l.values(v, "policy")
		case "policy_rules":
			f.PolicyRules = l.policyRules(v)
		case "properties":
			f.Properties = l.properties(v)
		case "migrate":
			f.Migrations = l.migrations(v)
		case "states":
			states = v
		}
	})
	if !ok {
		return
	}
	top := yamlfile.Pos{File: l.path, Line: n.Line, Col: n.Column}
	if f.Flow.Name == "" && !l.has(n, "flow") {
		l.errs.Add(top, "missing key \"flow\" (the flow's name)")
	}
	if f.Start.Name == "" && !l.has(n, "start") {
		l.errs.Add(top, "missing key \"start\" (the first state)")
	}
	if states == nil {
		l.errs.Add(top, "missing key \"states\"")
		return
	}
	l.pairs(states, "states", nil, func(k, v *yaml.Node) {
		id, ok := l.name(k, "state name")
		if !ok {
			return
		}
		if s := l.state(id, v); s != nil {
			f.States = append(f.States, s)
		}
	})
	nameTexts(f)
}

func (l *loader) has(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// values reads vars: or policy:, each typed by its value.
func (l *loader) values(n *yaml.Node, what string) []*ValueDecl {
	var out []*ValueDecl
	l.pairs(n, what, nil, func(k, v *yaml.Node) {
		id, ok := l.name(k, what+" name")
		if !ok {
			return
		}
		val, kind, ok := l.value(v, what+"."+id.Name)
		if !ok {
			return
		}
		out = append(out, &ValueDecl{Name: id.Name, Pos: id.Pos, Kind: kind, Value: val, VPos: l.pos(v)})
	})
	return out
}

// durationRE matches what time.ParseDuration takes, with at least one unit,
// so that a plain `30s` is a duration and a plain `30` an int.
var durationRE = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$`)

// IsDuration reports whether s is a duration literal as a flow writes one
// unquoted: what time.ParseDuration takes, with a unit (30s, 1h30m).
func IsDuration(s string) bool { return durationRE.MatchString(s) }

// value decodes a YAML value into a typed flow value. Unquoted durations
// (30s, 5m, 1h30m) are durations and unquoted timestamps are times; quote
// them to get strings.
func (l *loader) value(n *yaml.Node, what string) (any, value.Kind, bool) {
	return ParseValue(l.path, n, &l.errs, what)
}

// ParseValue decodes a YAML node into a typed flow value (see the flow
// language docs for the rules), reporting problems to errs. It is exported
// for policy overlays, which hold values of the same language.
func ParseValue(path string, n *yaml.Node, errs *yamlfile.ErrorList, what string) (any, value.Kind, bool) {
	p := &valueParser{path: path, errs: errs, active: map[*yaml.Node]bool{}, budget: maxValueNodes}
	return p.parse(n, what)
}

// maxValueNodes bounds the nodes one value may expand to through aliases,
// so that a "billion laughs" document is an error rather than a hang.
const maxValueNodes = 100000

type valueParser struct {
	path   string
	errs   *yamlfile.ErrorList
	active map[*yaml.Node]bool // lists and maps being parsed: an alias to one is a cycle
	budget int
}

func (p *valueParser) parse(n *yaml.Node, what string) (any, value.Kind, bool) {
	path, errs := p.path, p.errs
	pos := yamlfile.Pos{File: path, Line: n.Line, Col: n.Column}
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	if p.active[n] {
		errs.Add(pos, "%s: an alias to a value that contains it", what)
		return nil, 0, false
	}
	if p.budget--; p.budget < 0 {
		if p.budget == -1 {
			errs.Add(pos, "%s: more than %d values once aliases are expanded", what, maxValueNodes)
		}
		return nil, 0, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		plain := n.Style == 0 // !!str 30s, like "30s", is a string
		switch n.ShortTag() {
		case "!!int":
			v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			if err != nil {
				errs.Add(pos, "%s: %q is not an integer that fits in 64 bits", what, n.Value)
				return nil, 0, false
			}
			return int(v), value.Int, true
		case "!!float":
			var v float64
			if err := n.Decode(&v); err != nil {
				errs.Add(pos, "%s: %q is not a number", what, n.Value)
				return nil, 0, false
			}
			return v, value.Float, true
		case "!!bool":
			var v bool
			if err := n.Decode(&v); err != nil {
				errs.Add(pos, "%s: %q is not true or false", what, n.Value)
				return nil, 0, false
			}
			return v, value.Bool, true
		case "!!timestamp":
			var v time.Time
			if err := n.Decode(&v); err != nil {
				errs.Add(pos, "%s: %q is not a time", what, n.Value)
				return nil, 0, false
			}
			return v, value.Time, true
		case "!!null":
			errs.Add(pos, "%s has no value: give an initial value, which sets its type", what)
			return nil, 0, false
		case "!!str":
			if plain && durationRE.MatchString(n.Value) {
				d, err := time.ParseDuration(n.Value)
				if err != nil {
					errs.Add(pos, "%s: %q is not a valid duration: %v", what, n.Value, err)
					return nil, 0, false
				}
				return d, value.Duration, true
			}
			return n.Value, value.String, true
		}
		errs.Add(pos, "%s: unsupported value tag %s", what, n.ShortTag())
		return nil, 0, false
	case yaml.SequenceNode:
		p.active[n] = true
		defer delete(p.active, n)
		list := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, _, vok := p.parse(c, fmt.Sprintf("%s[%d]", what, i))
			ok = ok && vok
			list = append(list, v)
		}
		return list, value.List, ok
	case yaml.MappingNode:
		p.active[n] = true
		defer delete(p.active, n)
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if _, dup := m[k.Value]; dup {
				errs.Add(yamlfile.Pos{File: path, Line: k.Line, Col: k.Column}, "duplicate key %q in %s", k.Value, what)
				ok = false
				continue
			}
			v, _, vok := p.parse(n.Content[i+1], what+"."+k.Value)
			ok = ok && vok
			m[k.Value] = v
		}
		return m, value.Map, ok
	}
	errs.Add(pos, "%s: unsupported value", what)
	return nil, 0, false
}

var stateKeys = []string{"run", "with", "timeout", "retry", "ask", "final", "success", "message", "output", "sensitive", "on", "after"}

func (l *loader) state(id Ident, n *yaml.Node) *StateDecl {
	s := &StateDecl{Name: id.Name, Pos: id.Pos}
	var kinds []string
	var hasSuccess bool
	var withNode, timeoutNode, retryNode, successNode, messageNode, outputNode, sensitiveNode *yaml.Node
	l.pairs(n, "state "+id.Name, stateKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "run":
			kinds = append(kinds, "run")
			s.Kind = RunState
			if name, ok := l.str(v, "run"); ok {
				s.Run = Ident{Name: name, Pos: l.pos(v)}
			}
		case "with":
			withNode = k
			s.With = l.assigns(v, "with")
		case "timeout":
			timeoutNode = k
			if d, ok := l.duration(v, "timeout"); ok {
				if d <= 0 {
					l.errorf(v, "timeout must be positive")
				}
				s.Timeout = d
			}
		case "retry":
			retryNode = k
			s.Retry = l.retry(v)
		case "ask":
			kinds = append(kinds, "ask")
			s.Kind = AskState
			s.Ask = l.ask(v)
		case "final":
			kinds = append(kinds, "final")
			s.Kind = FinalState
			s.Outcome, _ = l.name(v, "final outcome")
		case "success":
			hasSuccess, successNode = true, k
			s.Success = l.boolean(v, "success")
		case "message":
			messageNode = k
			if t, ok := l.str(v, "message"); ok {
				s.Message = l.text(t, v)
			}
		case "output":
			outputNode = k
			s.Output = l.assigns(v, "output")
		case "sensitive":
			sensitiveNode = k
			s.Sensitive = l.names(v, "sensitive", "output")
		case "on":
			s.On = l.handlers(v)
		case "after":
			s.After = l.timers(v)
		}
	})
	switch len(kinds) {
	case 0:
		l.errs.Add(id.Pos, "state %s must have one of run, ask or final", id.Name)
		return nil
	case 1:
	default:
		l.errs.Add(id.Pos, "state %s has %s: a state does exactly one of run, ask or final", id.Name, strings.Join(kinds, " and "))
		return nil
	}
	for _, runOnly := range []*yaml.Node{withNode, timeoutNode, retryNode} {
		if runOnly != nil && s.Kind != RunState {
			l.errorf(runOnly, "%s: belongs to a run state", runOnly.Value)
		}
	}
	for _, extra := range []*yaml.Node{successNode, messageNode, outputNode} {
		if extra != nil && s.Kind != FinalState {
			l.errorf(extra, "%s: belongs to a final state", extra.Value)
		}
	}
	if sensitiveNode != nil && s.Kind == AskState {
		l.errorf(sensitiveNode, "sensitive: belongs to a run state (outputs of its action or subflow) or a final state (its outputs); a prompt's secrets are fields of type secret or code")
	}
	if s.Kind == FinalState {
		if len(s.On) > 0 {
			l.errs.Add(s.On[0].Pos, "final state %s cannot handle events", id.Name)
		}
		if len(s.After) > 0 {
			l.errs.Add(s.After[0].Pos, "final state %s cannot have timers", id.Name)
		}
		if !hasSuccess {
			s.Success = false
		}
	}
	return s
}

// duration reads a Go duration literal such as 30s or 1m30s.
func (l *loader) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, "%s must be a duration such as 5s, not %s", what, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		l.errorf(n, "%s must be a duration such as 5s, not %q", what, n.Value)
		return 0, false
	}
	return d, true
}

var retryKeys = []string{"attempts", "backoff", "max_delay"}

// maxRetryAttempts bounds retry.attempts: a flow that wants more is
// waiting for an outage, which a prompt does better.
const maxRetryAttempts = 10

// retry reads `retry: {attempts: 3, backoff: 1s, max_delay: 10s}`.
// attempts is required; backoff defaults to 1s, max_delay to 30s.
func (l *loader) retry(n *yaml.Node) *Retry {
	r := &Retry{Pos: l.pos(n), Backoff: time.Second, MaxDelay: 30 * time.Second}
	var hasAttempts bool
	var maxNode *yaml.Node
	ok := l.pairs(n, "retry", retryKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "attempts":
			hasAttempts = true
			a, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || a < 1 || a > maxRetryAttempts {
				l.errorf(v, "retry.attempts must be a whole number from 1 to %d, not %s", maxRetryAttempts, describe(v))
				return
			}
			r.Attempts = a
		case "backoff":
			if d, ok := l.duration(v, "retry.backoff"); ok {
				if d < 0 {
					l.errorf(v, "retry.backoff must not be negative")
				}
				r.Backoff = d
			}
		case "max_delay":
			maxNode = v
			if d, ok := l.duration(v, "retry.max_delay"); ok {
				r.MaxDelay = d
			}
		}
	})
	if !ok {
		return nil
	}
	if !hasAttempts {
		l.errorf(n, "retry needs attempts (how many tries in all, the first included)")
	}
	if maxNode != nil && r.MaxDelay < r.Backoff {
		l.errorf(maxNode, "retry.max_delay (%s) is shorter than retry.backoff (%s)", r.MaxDelay, r.Backoff)
	}
	return r
}

// names reads a list of names, each of what kind, none twice: `[a, b]`.
func (l *loader) names(n *yaml.Node, key, what string) []Ident {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "%s must be a list of %s names, not %s", key, what, describe(n))
		return nil
	}
	var out []Ident
	for _, c := range n.Content {
		id, ok := l.name(l.resolve(c), what)
		if !ok {
			continue
		}
		if slices.ContainsFunc(out, func(o Ident) bool { return o.Name == id.Name }) {
			l.errs.Add(id.Pos, "%s: %s %s is named twice", key, what, id.Name)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (l *loader) assigns(n *yaml.Node, what string) []*Assign {
	var out []*Assign
	l.pairs(n, what, nil, func(k, v *yaml.Node) {
		id, ok := l.name(k, what+" name")
		if !ok {
			return
		}
		if e := l.expr(v, what+"."+id.Name); e != nil {
			out = append(out, &Assign{Name: id.Name, Pos: id.Pos, Expr: e})
		}
	})
	return out
}

var (
	askKeys    = []string{"text", "body", "help", "fields", "choices"}
	fieldKeys  = []string{"type", "label", "hint", "if", "optional", "options", "length", "prefill"}
	choiceKeys = []string{"label", "role", "fields", "available_at", "url"}
	branchKeys = []string{"if", "set", "go"}
)

func (l *loader) ask(n *yaml.Node) *AskDecl {
	a := &AskDecl{Pos: l.pos(n)}
	l.pairs(n, "ask", askKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "text":
			if t, ok := l.str(v, "text"); ok {
				a.Text = l.text(t, v)
			}
		case "body":
			if t, ok := l.str(v, "body"); ok {
				a.Body = l.text(t, v)
			}
		case "help":
			if t, ok := l.str(v, "help"); ok {
				a.Help = l.text(t, v)
			}
		case "fields":
			l.pairs(v, "fields", nil, func(k, v *yaml.Node) {
				if id, ok := l.name(k, "field name"); ok {
					if f := l.field(id, v); f != nil {
						a.Fields = append(a.Fields, f)
					}
				}
			})
		case "choices":
			a.Choices = l.choices(v)
		}
	})
	if len(a.Choices) == 0 {
		a.Choices = []*ChoiceDecl{{Name: "continue", Pos: a.Pos}}
	}
	return a
}

func (l *loader) field(id Ident, n *yaml.Node) *FieldDecl {
	f := &FieldDecl{Name: id.Name, Pos: id.Pos}
	ok := l.pairs(n, "field "+id.Name, fieldKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "type":
			t, ok := l.str(v, "type")
			if !ok {
				return
			}
			f.Type, f.TypePos = prompt.FieldType(t), l.pos(v)
			if types := prompt.FieldTypes(); !contains(types, f.Type) {
				names := make([]string, len(types))
				for i, ft := range types {
					names[i] = string(ft)
				}
				l.errorf(v, "unknown field type %q (want one of: %s)", t, strings.Join(names, ", "))
			}
		case "label":
			if s, ok := l.str(v, "label"); ok {
				f.Label = l.text(s, v)
			}
		case "hint":
			if s, ok := l.str(v, "hint"); ok {
				f.Hint = l.text(s, v)
			}
		case "if":
			f.If = l.expr(v, "if")
		case "optional":
			f.Optional = l.boolean(v, "optional")
		case "prefill":
			f.Prefill = l.expr(v, "prefill")
		case "options":
			if v.Kind == yaml.ScalarNode {
				// An expression: the options are computed when the
				// prompt is shown.
				f.OptionsExpr = l.expr(v, "options")
				return
			}
			if v.Kind != yaml.SequenceNode {
				l.errorf(v, "options must be a list of values, or an expression that computes them")
				return
			}
			for _, o := range v.Content {
				if s, ok := l.str(o, "option"); ok {
					f.Options = append(f.Options, s)
				}
			}
		case "length":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				l.errorf(v, "length must be a whole number")
				return
			}
			f.Length, _ = strconv.Atoi(v.Value)
			if f.Length <= 0 || f.Length > 64 {
				l.errorf(v, "length must be between 1 and 64")
			}
		}
	})
	if !ok {
		return nil
	}
	if f.Type == "" {
		l.errs.Add(id.Pos, "field %s has no type", id.Name)
		return nil
	}
	if f.Type == prompt.ChoiceField && len(f.Options) == 0 && f.OptionsExpr == nil {
		l.errs.Add(id.Pos, "choice field %s needs options", id.Name)
	}
	if f.Type != prompt.ChoiceField && (f.Options != nil || f.OptionsExpr != nil) {
		l.errs.Add(id.Pos, "options: only choice fields have options")
	}
	if f.Length != 0 && f.Type != prompt.CodeField {
		l.errs.Add(id.Pos, "length: only code fields have a length")
	}
	if f.Prefill != nil && f.Type != prompt.TextField && f.Type != prompt.EmailField && f.Type != prompt.NumberField {
		l.errs.Add(f.Prefill.Pos, "prefill: a %s field starts empty (only text, email and number fields are prefilled)", f.Type)
	}
	if f.Label == nil {
		f.Label = plainText(strings.ReplaceAll(f.Name, "_", " "), id.Pos)
	}
	return f
}

// choices reads `[a, b]` or `[{a: Label}, {b: {label: L, fields: [x]}}]`.
func (l *loader) choices(n *yaml.Node) []*ChoiceDecl {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "choices must be a list")
		return nil
	}
	var out []*ChoiceDecl
	seen := map[string]bool{}
	for _, c := range n.Content {
		c = l.resolve(c)
		var ch *ChoiceDecl
		switch c.Kind {
		case yaml.ScalarNode:
			if id, ok := l.name(c, "choice"); ok {
				ch = &ChoiceDecl{Name: id.Name, Pos: id.Pos}
			}
		case yaml.MappingNode:
			if len(c.Content) != 2 {
				l.errorf(c, "a choice is a name, or one name mapped to its label or details")
				continue
			}
			id, ok := l.name(c.Content[0], "choice")
			if !ok {
				continue
			}
			ch = &ChoiceDecl{Name: id.Name, Pos: id.Pos}
			v := l.resolve(c.Content[1])
			if v.Kind == yaml.ScalarNode {
				if s, ok := l.str(v, "choice label"); ok {
					ch.Label = l.text(s, v)
				}
				break
			}
			l.pairs(v, "choice "+id.Name, choiceKeys, func(k, v *yaml.Node) {
				switch k.Value {
				case "label":
					if s, ok := l.str(v, "label"); ok {
						ch.Label = l.text(s, v)
					}
				case "role":
					s, ok := l.str(v, "role")
					if !ok {
						return
					}
					ch.Role, ch.RolePos = prompt.Role(s), l.pos(v)
					if roles := prompt.Roles(); !contains(roles, ch.Role) {
						names := make([]string, len(roles))
						for i, r := range roles {
							names[i] = string(r)
						}
						l.errorf(v, "unknown role %q (want one of: %s)", s, strings.Join(names, ", "))
					}
				case "url":
					ch.URL = l.expr(v, "url")
				case "available_at":
					ch.AvailableAt = l.expr(v, "available_at")
				case "fields":
					if v.Kind != yaml.SequenceNode {
						l.errorf(v, "fields must be a list of field names")
						return
					}
					ch.NoFields = len(v.Content) == 0
					ch.Fields = []string{}
					for _, fn := range v.Content {
						if s, ok := l.name(fn, "field"); ok {
							ch.Fields = append(ch.Fields, s.Name)
						}
					}
				}
			})
		default:
			l.errorf(c, "a choice is a name, or one name mapped to its label or details")
		}
		if ch == nil {
			continue
		}
		if seen[ch.Name] {
			l.errs.Add(ch.Pos, "duplicate choice %q", ch.Name)
			continue
		}
		seen[ch.Name] = true
		if ch.Label == nil {
			ch.Label = plainText(strings.ReplaceAll(ch.Name, "_", " "), ch.Pos)
		}
		switch {
		case ch.Role == prompt.Link && ch.URL == nil:
			l.errs.Add(ch.Pos, "choice %s is a link: give its url", ch.Name)
		case ch.Role != prompt.Link && ch.URL != nil:
			l.errs.Add(ch.URL.Pos, "url: only a choice with role: link has one")
		case ch.Role == prompt.Link && (len(ch.Fields) > 0 || ch.AvailableAt != nil):
			l.errs.Add(ch.Pos, "choice %s is a link: it takes no fields and has no available_at", ch.Name)
		}
		if ch.Role == prompt.Link {
			ch.Fields, ch.NoFields = []string{}, true
		}
		out = append(out, ch)
	}
	return out
}

func (l *loader) handlers(n *yaml.Node) []*Handler {
	var out []*Handler
	l.pairs(n, "on", nil, func(k, v *yaml.Node) {
		id, ok := l.name(k, "event")
		if !ok {
			return
		}
		out = append(out, &Handler{Event: id.Name, Pos: id.Pos, Branches: l.branches(v)})
	})
	return out
}

func (l *loader) timers(n *yaml.Node) []*Timer {
	var out []*Timer
	l.pairs(n, "after", nil, func(k, v *yaml.Node) {
		t := &Timer{Key: k.Value, Pos: l.pos(k), Branches: l.branches(v)}
		if durationRE.MatchString(k.Value) {
			if _, err := time.ParseDuration(k.Value); err != nil {
				l.errorf(k, "timer %q: %v", k.Value, err)
				return
			}
		}
		t.Delay = l.expr(k, "timer delay")
		if t.Delay != nil {
			out = append(out, t)
		}
	})
	return out
}

// branches reads a handler's right-hand side: a target name, one branch
// mapping, or a list of branches.
func (l *loader) branches(n *yaml.Node) []*Branch {
	switch n.Kind {
	case yaml.ScalarNode:
		if id, ok := l.name(n, "target state"); ok {
			return []*Branch{{Pos: id.Pos, Go: id}}
		}
		return nil
	case yaml.MappingNode:
		if b := l.branch(n); b != nil {
			return []*Branch{b}
		}
		return nil
	case yaml.SequenceNode:
		var out []*Branch
		for _, c := range n.Content {
			c = l.resolve(c)
			if c.Kind == yaml.ScalarNode {
				if id, ok := l.name(c, "target state"); ok {
					out = append(out, &Branch{Pos: id.Pos, Go: id})
				}
				continue
			}
			if b := l.branch(c); b != nil {
				out = append(out, b)
			}
		}
		if len(out) == 0 {
			l.errorf(n, "an empty list of branches")
		}
		return out
	}
	l.errorf(n, "a handler is a target state, a branch {if, set, go} or a list of branches")
	return nil
}

func (l *loader) branch(n *yaml.Node) *Branch {
	b := &Branch{Pos: l.pos(n)}
	ok := l.pairs(n, "branch", branchKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "if":
			b.If = l.expr(v, "if")
		case "set":
			b.Set = l.assigns(v, "set")
		case "go":
			b.Go, _ = l.name(v, "go")
		}
	})
	if !ok {
		return nil
	}
	return b
}

// plainText is a text with no {{ }}, made by the loader (a label from a
// field's or a choice's name).
func plainText(s string, pos yamlfile.Pos) *Text {
	return &Text{Raw: s, Pos: pos, Parts: []TextPart{{Lit: s}}}
}

// text splits `Code sent to {{ phone }}` into literal and expression parts,
// in one pass over the text (its length bounds the work, however many
// parts it has). An expression is `{{`, its source, and the first `}}`
// after it; a `{{` with no `}}` after it is an error.
func (l *loader) text(s string, n *yaml.Node) *Text {
	t := &Text{Raw: s, Pos: l.pos(n)}
	q := 0
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		q = 1
	}
	block := n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle
	firstLine := strings.IndexByte(s, '\n')
	if firstLine < 0 {
		firstLine = len(s)
	}
	// at returns the position of byte i of the text: its column when it is
	// on the scalar's first line, the scalar's start otherwise. counted and
	// runes carry the count of runes before counted from call to call.
	counted, runes := 0, 0
	at := func(i int) yamlfile.Pos {
		pos := t.Pos
		if i < firstLine {
			runes += utf8.RuneCountInString(s[counted:i])
			counted = i
			pos.Col += q + runes
		}
		return pos
	}
	last := 0
	for {
		open := strings.Index(s[last:], "{{")
		if open < 0 {
			break
		}
		open += last
		end := strings.Index(s[open+2:], "}}")
		if end < 0 {
			l.errs.Add(at(open), "unclosed {{ in text: an interpolation is {{ expression }}")
			break
		}
		end += open + 2
		if open > last {
			t.Parts = append(t.Parts, TextPart{Lit: s[last:open]})
		}
		src := s[open+2 : end]
		if strings.TrimSpace(src) == "" {
			l.errorf(n, "empty {{ }} in text")
		} else {
			t.Parts = append(t.Parts, TextPart{Expr: &Expr{Src: src, Pos: at(open + 2), Block: block}})
		}
		last = end + 2
	}
	if last < len(s) {
		t.Parts = append(t.Parts, TextPart{Lit: s[last:]})
	}
	return t
}
