package explore

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
)

// GraphFormat names a diagram language Graph writes.
type GraphFormat string

// The diagram languages Graph writes.
const (
	// Mermaid is a Mermaid stateDiagram-v2, which GitHub and most Markdown
	// viewers render inline.
	Mermaid GraphFormat = "mermaid"
	// DOT is a Graphviz digraph, for `dot -Tsvg`.
	DOT GraphFormat = "dot"
)

// GraphFormats returns the formats Graph writes, the default first.
func GraphFormats() []GraphFormat { return []GraphFormat{Mermaid, DOT} }

// Graph writes the flow fl as a state diagram in the given format. States
// come in declaration order and each state's handlers sorted by event, then
// its timers in declaration order, so the same flow always gives the same
// text. Edges are labelled with the event and, when the branch has one, its
// guard (`wrong [failures + 1 >= policy.captcha_after_failures]`, `[else]`
// for the fallback after guarded branches); timers read `after 5m`; a
// branch that stays is a self-loop; final states name their outcome and
// whether it counts as success. Graph returns an error for an unknown
// format or when w fails.
func Graph(w io.Writer, fl *engine.Flow, format GraphFormat) error {
	g := graphOf(fl.Info())
	var buf bytes.Buffer
	switch format {
	case Mermaid:
		g.mermaid(&buf)
	case DOT:
		g.dot(&buf)
	default:
		return fmt.Errorf("graph: unknown format %q (want %s)", format, formatList())
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func formatList() string {
	var names []string
	for _, f := range GraphFormats() {
		names = append(names, string(f))
	}
	return strings.Join(names, " or ")
}

// graphModel is the flow reduced to what a diagram shows, in output order,
// so that each format only decides how to spell it.
type graphModel struct {
	name, title string
	nodes       []graphNode
	start       int // index into nodes, -1 when the flow has no start
	edges       []graphEdge
}

type graphNode struct {
	name    string
	desc    string // "ask", "run portal.sign_in", "final connected (success)"
	final   bool
	success bool
}

type graphEdge struct {
	from, to int // indexes into nodes
	label    string
}

func graphOf(info *flowinfo.Flow) *graphModel {
	g := &graphModel{name: info.Name, title: info.Title, start: -1}
	id := make(map[string]int, len(info.States))
	for i, s := range info.States {
		id[s.Name] = i
		n := graphNode{name: s.Name}
		switch s.Kind {
		case syntax.RunState:
			n.desc = "run " + s.Run
		case syntax.AskState:
			n.desc = "ask"
		case syntax.FinalState:
			n.final, n.success = true, s.Success
			n.desc = "final " + s.Outcome
			if n.success {
				n.desc += " (success)"
			} else {
				n.desc += " (no success)"
			}
		}
		g.nodes = append(g.nodes, n)
	}
	if i, ok := id[info.Start]; ok {
		g.start = i
	}
	for i, s := range info.States {
		for _, h := range handlers(&s) {
			for _, b := range h.Branches {
				to := i
				if b.Target != "" {
					to = id[b.Target]
				}
				g.edges = append(g.edges, graphEdge{from: i, to: to, label: edgeLabel(h.Event, b)})
			}
		}
	}
	return g
}

// handlers returns s's handlers in the engine's fixed order: its events
// sorted by name, then its timers as declared.
func handlers(s *flowinfo.State) []*flowinfo.Handler {
	hs := make([]*flowinfo.Handler, 0, len(s.Handlers)+len(s.Timers))
	for i := range s.Handlers {
		hs = append(hs, &s.Handlers[i])
	}
	for i := range s.Timers {
		hs = append(hs, &s.Timers[i].Handler)
	}
	return hs
}

// edgeLabel is `event [guard]` in UML's notation; `[else]` marks the branch
// taken when none of the guarded ones before it holds.
func edgeLabel(event string, b flowinfo.Branch) string {
	guard := strings.Join(strings.Fields(b.Guard), " ")
	switch {
	case guard != "":
		return event + " [" + guard + "]"
	case b.Index > 1:
		return event + " [else]"
	}
	return event
}

// Mermaid.

// mermaidKeywords are words stateDiagram-v2's lexer (case-insensitively)
// takes as statements rather than state ids.
var mermaidKeywords = map[string]bool{
	"state": true, "note": true, "scale": true, "direction": true,
	"classdef": true, "class": true, "style": true, "click": true,
	"hide": true, "end": true, "as": true,
}

func (g *graphModel) mermaid(b *bytes.Buffer) {
	if g.title != "" {
		// Front matter is YAML; a Go-quoted string is a valid YAML
		// double-quoted scalar.
		fmt.Fprintf(b, "---\ntitle: %s\n---\n", strconv.Quote(g.title))
	}
	b.WriteString("stateDiagram-v2\n")
	ids := g.mermaidIDs()
	for i, n := range g.nodes {
		if ids[i] != n.name {
			fmt.Fprintf(b, "    state \"%s\" as %s\n", mermaidText(n.name), ids[i])
		}
		fmt.Fprintf(b, "    %s: %s\n", ids[i], mermaidText(n.desc))
	}
	if g.start >= 0 {
		fmt.Fprintf(b, "    [*] --> %s\n", ids[g.start])
	}
	for _, e := range g.edges {
		fmt.Fprintf(b, "    %s --> %s: %s\n", ids[e.from], ids[e.to], mermaidText(e.label))
	}
	var ok, notOK []string
	for i, n := range g.nodes {
		if !n.final {
			continue
		}
		fmt.Fprintf(b, "    %s --> [*]\n", ids[i])
		if n.success {
			ok = append(ok, ids[i])
		} else {
			notOK = append(notOK, ids[i])
		}
	}
	if len(ok) > 0 {
		b.WriteString("    classDef success fill:#d8f0d8,stroke:#2e7d32\n")
		fmt.Fprintf(b, "    class %s success\n", strings.Join(ok, ","))
	}
	if len(notOK) > 0 {
		b.WriteString("    classDef failure fill:#f6dada,stroke:#b71c1c\n")
		fmt.Fprintf(b, "    class %s failure\n", strings.Join(notOK, ","))
	}
}

// mermaidIDs gives every state an id Mermaid parses as one: its name, or,
// for a name Mermaid reads as a keyword, the name with underscores appended
// until it clashes with nothing (the diagram still shows the name).
func (g *graphModel) mermaidIDs() []string {
	taken := map[string]bool{}
	for _, n := range g.nodes {
		taken[n.name] = true
	}
	ids := make([]string, len(g.nodes))
	for i, n := range g.nodes {
		id := n.name
		if mermaidKeywords[strings.ToLower(id)] {
			for id += "_"; taken[id]; id += "_" {
			}
			taken[id] = true
		}
		ids[i] = id
	}
	return ids
}

// mermaidText makes s safe as a state description, an edge label or a
// quoted state name: Mermaid ends those at ':', ';', '"' or a newline, and
// reads '#…;' as an entity and '<…>' as HTML, so all of them are written as
// Mermaid's #code; entities.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case ':':
			b.WriteString("#58;")
		case '"':
			b.WriteString("#quot;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '{':
			b.WriteString("#123;")
		case '}':
			b.WriteString("#125;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DOT.

func (g *graphModel) dot(b *bytes.Buffer) {
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(g.name))
	if g.title != "" {
		fmt.Fprintf(b, "\tlabel=%s;\n\tlabelloc=t;\n", dotQuote(g.title))
	}
	b.WriteString("\tnode [shape=box, style=rounded];\n")
	// No state can be named "[*]": state names are identifiers.
	if g.start >= 0 {
		b.WriteString("\t\"[*]\" [shape=point, width=0.15];\n")
	}
	for _, n := range g.nodes {
		attrs := "label=" + dotQuote(n.name+"\n"+n.desc)
		if n.final {
			color := "firebrick"
			if n.success {
				color = "darkgreen"
			}
			attrs += ", peripheries=2, color=" + color
		}
		fmt.Fprintf(b, "\t%s [%s];\n", dotQuote(n.name), attrs)
	}
	if g.start >= 0 {
		fmt.Fprintf(b, "\t\"[*]\" -> %s;\n", dotQuote(g.nodes[g.start].name))
	}
	for _, e := range g.edges {
		fmt.Fprintf(b, "\t%s -> %s [label=%s];\n", dotQuote(g.nodes[e.from].name), dotQuote(g.nodes[e.to].name), dotQuote(e.label))
	}
	b.WriteString("}\n")
}

// dotQuote writes s as a DOT double-quoted string. Inside one, only '"'
// needs escaping, but a backslash starts Graphviz's label escapes (\n, \l,
// \N…), so it is doubled; a newline becomes \n, a centred line break.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
