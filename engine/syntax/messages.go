package syntax

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/yamlfile"
	"gopkg.in/yaml.v3"
)

// Every text a flow shows is a message with a stable id, so that catalogs
// can translate it: the flow's title is FLOW.title; an ask's text, body
// and help are FLOW.STATE.text, .body and .help; a field's label and hint
// FLOW.STATE.field.NAME and FLOW.STATE.field.NAME.hint; a choice's label
// FLOW.STATE.choice.NAME; a final state's message FLOW.STATE.message; and
// a message of the messages: block FLOW.NAME. A `{{ expr }}` part of a
// text is a parameter named after what it reads (phone for {{ phone }},
// region for {{ policy.region }}).

// Message is one message of a flow, as catalogs translate it.
type Message struct {
	ID     string
	Pos    yamlfile.Pos
	Source *prompt.Source
}

// Texts returns the flow's translatable messages, in file order: its
// texts and its messages: block. A text that is one {{ }} and nothing
// else shows a value (the notice) and is not among them.
func (f *File) Texts() []Message {
	var out []Message
	if f.Title != "" {
		out = append(out, Message{ID: f.Flow.Name + ".title", Pos: f.TitlePos, Source: prompt.Plain(prompt.Template{{Lit: f.Title}})})
	}
	add := func(t *Text) {
		if t != nil && !t.Passthrough() && t.ID != "" {
			out = append(out, Message{ID: t.ID, Pos: t.Pos, Source: t.Source()})
		}
	}
	for _, s := range f.States {
		if a := s.Ask; a != nil {
			add(a.Text)
			add(a.Body)
			add(a.Help)
			for _, fd := range a.Fields {
				add(fd.Label)
				add(fd.Hint)
			}
			for _, c := range a.Choices {
				add(c.Label)
			}
		}
		add(s.Message)
	}
	for _, m := range f.Messages {
		out = append(out, Message{ID: m.ID, Pos: m.Pos, Source: m.Source})
	}
	return out
}

// Passthrough reports whether the text is one {{ }} and nothing else: it
// shows a value, a message (the notice) or the portal's words, as they are.
func (t *Text) Passthrough() bool {
	return t != nil && len(t.Parts) == 1 && t.Parts[0].Expr != nil
}

// Source returns the text as a message's source: its literal parts, and a
// placeholder for each {{ }}.
func (t *Text) Source() *prompt.Source {
	var tpl prompt.Template
	for _, p := range t.Parts {
		if p.Expr != nil {
			tpl = append(tpl, prompt.Part{Param: p.Param})
		} else {
			tpl = append(tpl, prompt.Part{Lit: p.Lit})
		}
	}
	return prompt.Plain(tpl)
}

// nameText gives text t its id and its parameters their names.
func nameText(t *Text, id string) {
	if t == nil {
		return
	}
	t.ID = id
	srcOf := map[string]string{}
	for i := range t.Parts {
		p := &t.Parts[i]
		if p.Expr == nil {
			continue
		}
		src := strings.TrimSpace(p.Expr.Src)
		base := paramName(src)
		name := base
		for n := 2; srcOf[name] != "" && srcOf[name] != src; n++ {
			name = fmt.Sprintf("%s%d", base, n)
		}
		srcOf[name] = src
		p.Param = name
	}
}

// paramName names the parameter a {{ src }} part is: the last name of a
// path (a.b.c), or "value" for any other expression.
func paramName(src string) string {
	parts := strings.Split(src, ".")
	for _, p := range parts {
		if !prompt.IsName(strings.TrimSpace(p)) {
			return "value"
		}
	}
	return strings.TrimSpace(parts[len(parts)-1])
}

// nameTexts gives every text of f its id.
func nameTexts(f *File) {
	flow := f.Flow.Name
	for _, s := range f.States {
		base := flow + "." + s.Name
		if a := s.Ask; a != nil {
			nameText(a.Text, base+".text")
			nameText(a.Body, base+".body")
			nameText(a.Help, base+".help")
			for _, fd := range a.Fields {
				nameText(fd.Label, base+".field."+fd.Name)
				nameText(fd.Hint, base+".field."+fd.Name+".hint")
			}
			for _, c := range a.Choices {
				nameText(c.Label, base+".choice."+c.Name)
			}
		}
		nameText(s.Message, base+".message")
	}
	for _, m := range f.Messages {
		m.ID = flow + "." + m.Name
	}
}

// messages reads the messages: block.
func (l *loader) messages(n *yaml.Node) []*MessageDecl {
	var out []*MessageDecl
	l.pairs(n, "messages", nil, func(k, v *yaml.Node) {
		id, ok := l.name(k, "message name")
		if !ok {
			return
		}
		if src := ParseMessage(l.path, v, &l.errs, "message "+id.Name); src != nil {
			out = append(out, &MessageDecl{Name: id.Name, Pos: id.Pos, Source: src})
		}
	})
	return out
}

// ParseMessage reads a message's source as flows and catalogs write it:
// a text with {{ name }} placeholders; or a mapping with `plural: NAME`
// and a text for each CLDR plural category the count may fall in (other
// at least); or a mapping with `select: NAME` and a text for each value
// of the parameter, other for the rest. Problems go to errs, positioned;
// it returns nil when there are any.
func ParseMessage(path string, n *yaml.Node, errs *yamlfile.ErrorList, what string) *prompt.Source {
	n = yamlfile.Resolve(n)
	before := len(*errs)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			errs.Add(at(path, n, 0), "%s is empty: give its text", what)
			return nil
		}
		if t := parseTemplate(path, n, errs, what); t != nil || n.Value == "" {
			return prompt.Plain(t)
		}
		return nil
	case yaml.MappingNode:
	default:
		errs.Add(at(path, n, 0), "%s must be a text, or a mapping with plural: or select: and its forms, not %s", what, describe(n))
		return nil
	}
	src := &prompt.Source{}
	var argNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], yamlfile.Resolve(n.Content[i+1])
		if k.Value != "plural" && k.Value != "select" {
			continue
		}
		if argNode != nil {
			errs.Add(at(path, k, 0), "%s has both plural: and select:", what)
			return nil
		}
		argNode = v
		src.Select = k.Value == "select"
		if v.Kind != yaml.ScalarNode || !prompt.IsName(v.Value) {
			errs.Add(at(path, v, 0), "%s: %s: must name a parameter", what, k.Value)
			continue
		}
		src.Arg = v.Value
	}
	if argNode == nil {
		errs.Add(at(path, n, 0), "%s: a mapping needs plural: NAME (forms by plural category) or select: NAME (forms by value)", what)
		return nil
	}
	cats := prompt.PluralCategories()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], yamlfile.Resolve(n.Content[i+1])
		if k.Value == "plural" || k.Value == "select" {
			continue
		}
		if !src.Select && !slices.Contains(cats, k.Value) {
			errs.Add(at(path, k, 0), "%s: %q is not a CLDR plural category%s", what, k.Value, yamlfile.KeyHint(k.Value, cats, "one of: "+strings.Join(cats, ", ")))
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			errs.Add(at(path, v, 0), "%s: form %s must be a text, not %s", what, k.Value, describe(v))
			continue
		}
		src.Forms = append(src.Forms, prompt.Form{Key: k.Value, Template: parseTemplate(path, v, errs, what+" ("+k.Value+")")})
	}
	if _, ok := src.Form("other"); !ok && len(*errs) == before {
		errs.Add(at(path, n, 0), "%s has no other: form (the one used when no other fits)", what)
	}
	if len(*errs) > before {
		return nil
	}
	return src
}

// parseTemplate reads scalar n as a template; nil on error.
func parseTemplate(path string, n *yaml.Node, errs *yamlfile.ErrorList, what string) prompt.Template {
	t, off, err := prompt.ParseTemplate(n.Value)
	if err != nil {
		errs.Add(at(path, n, off), "%s: %v", what, err)
		return nil
	}
	return t
}

// at returns the position of byte off of scalar n's value: its column
// when it is on the scalar's first line, the scalar's start otherwise.
func at(path string, n *yaml.Node, off int) yamlfile.Pos {
	pos := yamlfile.Pos{File: path, Line: n.Line, Col: n.Column}
	s := n.Value
	if off > len(s) {
		off = len(s)
	}
	if strings.IndexByte(s[:off], '\n') >= 0 || n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		return pos
	}
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		pos.Col++
	}
	pos.Col += utf8.RuneCountInString(s[:off])
	return pos
}
