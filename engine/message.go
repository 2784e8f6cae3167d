package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
)

// A flow's messages: block names texts that expressions choose at run
// time — the notice shown with the next prompt. message("name", {param:
// expr, ...}) makes one: the checker finds the message and holds the
// parameters given to those its text names, and the call becomes the map
// prompt.MessageValue returns, so that a variable holds it like any value
// and a {{ }} of a prompt shows it, in the person's language.

const messageFunc = "message"

// messageCalls replaces every message(...) call of tree (parsed from e)
// by the map it makes, reporting misuse; false when there was any.
func (c *compiler) messageCalls(e *syntax.Expr, tree *parser.Tree, fl *Flow) bool {
	ok := true
	fail := func(n ast.Node, format string, args ...any) {
		ok = false
		off := 0
		if loc := n.Location(); loc.From > 0 && loc.From <= len([]rune(e.Src)) {
			off = len(string([]rune(e.Src)[:loc.From]))
		}
		c.exprErrorOff(e, off, fmt.Sprintf(format, args...))
	}
	ast.Walk(&tree.Node, visitPtr(func(node *ast.Node) {
		call, isCall := (*node).(*ast.CallNode)
		if !isCall {
			return
		}
		callee, named := call.Callee.(*ast.IdentifierNode)
		if !named || callee.Value != messageFunc {
			return
		}
		if fl == nil {
			fail(call, "message() is not available here")
			return
		}
		if len(call.Arguments) < 1 || len(call.Arguments) > 2 {
			fail(call, `message takes a message's name and a map of its parameters: message("name", {param: value})`)
			return
		}
		name, lit := call.Arguments[0].(*ast.StringNode)
		if !lit {
			fail(call.Arguments[0], "message: the name must be written out as a string, so that the checker can find the message")
			return
		}
		id := fl.name + "." + name.Value
		src, known := fl.messages[id]
		if !known {
			fail(call.Arguments[0], "message: the flow has no message %q in messages:%s", name.Value, hintMessages(fl, name.Value))
			return
		}
		want := src.Params()
		var params *ast.MapNode
		var given []string
		if len(call.Arguments) == 2 {
			m, isMap := call.Arguments[1].(*ast.MapNode)
			if !isMap {
				fail(call.Arguments[1], "message: the parameters must be written out as a map {name: value}")
				return
			}
			params = m
			for _, p := range m.Pairs {
				pair := p.(*ast.PairNode)
				k, isStr := pair.Key.(*ast.StringNode)
				if !isStr {
					fail(pair.Key, "message: a parameter's name must be written out")
					return
				}
				if !slices.Contains(want, k.Value) {
					fail(pair.Key, "message %s has no parameter %s (it has: %s)", name.Value, k.Value, list(want))
					return
				}
				given = append(given, k.Value)
			}
		}
		var missing []string
		for _, w := range want {
			if !slices.Contains(given, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			fail(call, "message %s needs the parameter%s %s", name.Value, plural(len(missing)), strings.Join(missing, ", "))
			return
		}
		pairs := []ast.Node{&ast.PairNode{Key: &ast.StringNode{Value: prompt.MessageKey}, Value: &ast.StringNode{Value: id}}}
		if params != nil && len(params.Pairs) > 0 {
			pairs = append(pairs, &ast.PairNode{Key: &ast.StringNode{Value: prompt.ParamsKey}, Value: params})
		}
		m := &ast.MapNode{Pairs: pairs}
		m.SetLocation(call.Location())
		ast.Patch(node, m)
	}))
	return ok
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func hintMessages(fl *Flow, name string) string {
	var names []string
	for id := range fl.messages {
		names = append(names, strings.TrimPrefix(id, fl.name+"."))
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.EqualFold(n, name) || strings.Contains(n, name) || strings.Contains(name, n) {
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	return ""
}

// visitPtr adapts a function of the node's pointer to expr's ast.Visitor,
// for a walk that replaces nodes.
type visitPtr func(*ast.Node)

func (f visitPtr) Visit(n *ast.Node) { f(n) }

// renderText makes the message of text t in frame fr: nil when there is
// no text, or when a {{ }}-only text shows nothing (an empty notice).
func (s *Session) renderText(ctx context.Context, fr *frame, t *ctext) (*prompt.Message, error) {
	if t == nil {
		return nil, nil
	}
	m := &prompt.Message{ID: t.id}
	if t.fixed() {
		if len(t.parts) == 1 {
			m.Text = t.parts[0].lit
		}
		return m, nil
	}
	if t.passthrough {
		v, err := s.evalValue(ctx, fr, t.parts[0].prog, value.Any)
		if err != nil {
			return nil, s.textError(fr, t.parts[0].prog, err)
		}
		if msg, ok := prompt.ValueMessage(v); ok {
			msg.Text = sourceText(fr.flow, msg)
			return &msg, nil
		}
		if value.IsZero(v) {
			return nil, nil
		}
		m.Params = map[string]any{t.parts[0].param: v}
		m.Text = formatParam(fr.flow, v)
		return m, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := s.evalValue(ctx, fr, p.prog, value.Any)
		if err == nil {
			if b.WriteString(formatParam(fr.flow, v)); b.Len() > p.prog.lim.MaxValueBytes {
				err = &evalError{src: p.prog.src, reason: fmt.Sprintf("the text is longer than %d bytes", p.prog.lim.MaxValueBytes), err: ErrExprBudget}
			}
		}
		if err != nil {
			return nil, s.textError(fr, p.prog, err)
		}
		if m.Params == nil {
			m.Params = map[string]any{}
		}
		m.Params[p.param] = v
	}
	m.Text = b.String()
	return m, nil
}

func (s *Session) textError(fr *frame, _ *cexpr, err error) error {
	return &RunError{Pos: fr.state.decl.Pos, Flow: fr.flow.name, State: fr.state.name, Msg: "text", Err: err}
}

// sourceText renders message m in the flow's own words, as the flow (or
// one of its subflows) writes it: what a front end shows when it has no
// translation. A message no flow declares shows its own words (an outer
// message's), or else its id.
func sourceText(fl *Flow, m prompt.Message) string {
	src := findSource(fl, m.ID, 0)
	if src == nil {
		if m.Text != "" {
			return m.Text
		}
		return m.ID
	}
	tpl := src.Choose(m.Params, englishPlural)
	return tpl.Render(func(p string) string { return formatParam(fl, m.Params[p]) })
}

func findSource(fl *Flow, id string, depth int) *prompt.Source {
	if fl == nil || depth > 8 {
		return nil
	}
	if src, ok := fl.messages[id]; ok {
		return src
	}
	for _, sub := range fl.subs {
		if src := findSource(sub, id, depth+1); src != nil {
			return src
		}
	}
	return nil
}

// englishPlural is the plural rule of the flows' own language, English.
func englishPlural(n int) string {
	if n == 1 {
		return "one"
	}
	return "other"
}

// formatParam formats a parameter's value for the flow's own words: a
// message as its text, a duration in seconds (rounded up) and minutes, a
// time as its date, anything else as value.Format does. Front ends say
// them in the person's locale (package ui); this is their fallback.
func formatParam(fl *Flow, v any) string {
	if m, ok := prompt.ValueMessage(v); ok {
		return sourceText(fl, m)
	}
	switch x := v.(type) {
	case time.Duration:
		secs := int((x + time.Second - 1) / time.Second)
		switch m, s := secs/60, secs%60; {
		case m == 0:
			return count(s, "second")
		case s == 0:
			return count(m, "minute")
		default:
			return count(m, "minute") + " " + count(s, "second")
		}
	case time.Time:
		x = x.UTC()
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2 January 2006")
		}
		return x.Format("2 January 2006, 15:04 UTC")
	}
	return value.Format(v)
}

func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
