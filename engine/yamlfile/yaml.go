package yamlfile

// Every YAML file Tether reads is user data: flows, policy overlays,
// answers files, the demo fixture, path files. They are all decoded here,
// under the same budgets, so that no file can make a loader hang, exhaust
// memory or overflow its stack. docs/limits.md lists the budgets and the
// errors.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The default budgets of a YAML file, used by every loader. They are far
// above what the shipped files need (connect.yaml, the largest, is 12 KB,
// 820 nodes and 8 levels deep) and far below what would take a loader or
// the checker more than a fraction of a second or 256 MB.
const (
	// DefaultMaxYAMLBytes bounds a file's size. yaml.v3 holds the whole
	// node tree in memory, about 150 bytes a node and a node for every two
	// bytes at worst (`[1,1,1,...]`), before any other budget can be
	// checked: the size bounds the memory parsing takes.
	DefaultMaxBytes = 512 << 10
	// DefaultMaxYAMLNodes bounds the nodes of a file's document once every
	// alias is expanded, counted over the whole file: the loaders and the
	// checker follow aliases, so their work grows with this count, not with
	// the file's size.
	DefaultMaxNodes = 50_000
	// DefaultMaxYAMLDepth bounds how deeply mappings and lists nest once
	// aliases are expanded: the loaders recurse into nested values.
	DefaultMaxDepth = 64
)

// Limits are the budgets a YAML file is decoded under. A zero field
// takes its default (DefaultMaxYAMLBytes, DefaultMaxYAMLNodes,
// DefaultMaxYAMLDepth), so the zero value is the default budget.
type Limits struct {
	MaxBytes int // the file's size in bytes
	MaxNodes int // nodes of its document, every alias expanded
	MaxDepth int // nesting of mappings and lists, every alias expanded
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// ReadFile reads the file at path, but no more of it than lim allows:
// a file over the size budget is an ErrorList positioned where the budget
// runs out, and nothing past that point is read (so /dev/zero or a huge
// file costs no more than the budget). Other failures wrap the os error.
func ReadFile(path string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	// A regular file is read into a buffer of its size, not one grown
	// while reading; a file that grows meanwhile is still read to the end.
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= int64(lim.MaxBytes) {
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, int64(lim.MaxBytes)+1)); err != nil {
		return nil, err
	}
	src := buf.Bytes()
	if src == nil {
		src = []byte{} // as io.ReadAll gives for an empty file
	}
	if len(src) > lim.MaxBytes {
		return nil, ErrorList{tooBig(path, src, lim)}
	}
	return src, nil
}

func tooBig(path string, src []byte, lim Limits) *Error {
	pos := offsetPos(path, src, lim.MaxBytes)
	return &Error{Pos: pos, Msg: fmt.Sprintf("the file is larger than %s, the budget for a YAML file", byteSize(lim.MaxBytes))}
}

// offsetPos returns the position of byte offset off in src.
func offsetPos(path string, src []byte, off int) Pos {
	head := src[:min(off, len(src))]
	line := bytes.Count(head, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(head, '\n')
	return Pos{File: path, Line: line, Col: col}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Decode decodes src, the content of the file path, into a yaml.v3
// node tree, holding it to the budgets of lim (zero: the defaults). It
// returns the document's top node (not the DocumentNode), or nil with no
// error when the file holds no document at all (it is empty or only
// comments), for the caller to say what it expected.
//
// Every problem is an ErrorList of file:line:col messages: a YAML syntax
// error (at the line and column where parsing fails, see syntaxError), a
// file over a budget (at the point where the budget runs out), an alias to a node that
// contains it, a second document, and duplicate mapping keys (at the
// second, naming the first). Duplicate keys are the only problems that
// still give a tree: the repeated pairs are dropped from it, so a loader
// can go on and report the file's other problems without repeating these.
// Decode never panics, whatever src holds.
func Decode(path string, src []byte, lim Limits) (*yaml.Node, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxBytes {
		return nil, ErrorList{tooBig(path, src, lim)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, ErrorList{syntaxError(path, src, err)}
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == nil:
		return nil, ErrorList{{Pos: Pos{File: path, Line: extra.Line, Col: extra.Column},
			Msg: "a second YAML document starts here: the file must hold exactly one"}}
	case !errors.Is(err, io.EOF):
		return nil, ErrorList{syntaxError(path, src, err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	b := &budget{path: path, lim: lim, sizes: map[*yaml.Node]measure{}}
	if err := b.check(root); err != nil {
		return nil, ErrorList{err}
	}
	var errs ErrorList
	dropDuplicateKeys(path, root, &errs)
	if len(errs) > 0 {
		errs.Sort()
		return root, errs
	}
	return root, nil
}

// maxLocateBytes bounds the files whose syntax errors are located by
// parsing their prefixes (see syntaxError): about 20 parses of the file.
const maxLocateBytes = 32 << 10

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError positions a yaml.v3 syntax error. yaml.v3 says "yaml: line
// N: msg" with no column, and its N is often the line where the enclosing
// block starts, or is missing (for the first line, and for unknown
// anchors). Since a parser fails at the first problem it meets, the
// shortest prefix of the file that fails with the same message ends at the
// problem: syntaxError finds it by bisection, first over lines, then over
// the bytes of the line. Only files up to maxLocateBytes are searched;
// larger ones keep yaml.v3's line.
func syntaxError(path string, src []byte, err error) *Error {
	line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
	}
	pos := Pos{File: path, Line: line, Col: 1}
	at := -1 // the byte where parsing fails, when it is known
	if len(src) <= maxLocateBytes {
		if end, ok := failingPrefix(src, msg); ok {
			pos, at = offsetPos(path, src, end-1), end-1
			if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
				// Point at the * of the alias, not the end of its name.
				pos.Col -= len(strings.TrimSuffix(name, "' referenced"))
			}
		}
	}
	var c byte
	if at >= 0 && at < len(src) {
		c = src[at]
	}
	return &Error{Pos: pos, Msg: plainSyntax(msg, c)}
}

// failingPrefix returns the length of the shortest prefix of src that
// yaml.v3 fails to parse with msg.
func failingPrefix(src []byte, msg string) (int, bool) {
	fails := func(n int) bool { return parseMessage(src[:n]) == msg }
	if !fails(len(src)) {
		return 0, false
	}
	var ends []int // the end of each line, its newline included
	for i, c := range src {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(src) {
		ends = append(ends, len(src))
	}
	i := sort.Search(len(ends), func(i int) bool { return fails(ends[i]) })
	start := 0
	if i > 0 {
		start = ends[i-1]
	}
	n := start + sort.Search(ends[i]-start, func(k int) bool { return fails(start + k + 1) }) + 1
	return n, fails(n)
}

// parseMessage parses every document of src and returns the first error's
// message without its "yaml: line N:" prefix, or "" when there is none.
func parseMessage(src []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := decodeNode(dec, &n)
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				return m[2]
			}
			return err.Error()
		}
	}
}

// decodeNode is dec.Decode that turns a panic inside yaml.v3 into an error:
// a parser bug must not take a server down with it.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// measure is a node's size and depth with every alias expanded, each
// capped one above its budget so that no count can overflow. A scalar's
// depth is 0, a mapping or list's one more than its deepest child's.
type measure struct{ nodes, depth int }

type budget struct {
	path  string
	lim   Limits
	sizes map[*yaml.Node]measure // of every node measured, aliases resolved
}

func (b *budget) pos(n *yaml.Node) Pos { return Pos{File: b.path, Line: n.Line, Col: n.Column} }

// check measures the tree under root and reports the first budget it
// breaks, at the node where it breaks.
func (b *budget) check(root *yaml.Node) *Error {
	if plainWithin(root, b.lim) {
		return nil
	}
	if cycle := b.measureAll(root); cycle != nil {
		return &Error{Pos: b.pos(cycle), Msg: fmt.Sprintf("alias *%s refers to a node that contains it", cycle.Value)}
	}
	if b.of(root).depth > b.lim.MaxDepth {
		n := b.tooDeep(root, 1)
		msg := fmt.Sprintf("mappings and lists nest deeper than %d levels", b.lim.MaxDepth)
		if n.Kind == yaml.AliasNode {
			msg = fmt.Sprintf("alias *%s nests mappings and lists deeper than %d levels", n.Value, b.lim.MaxDepth)
		}
		return &Error{Pos: b.pos(n), Msg: msg}
	}
	if b.of(root).nodes > b.lim.MaxNodes {
		n := b.tooMany(root, 0)
		msg := fmt.Sprintf("the file holds more than %d YAML nodes", b.lim.MaxNodes)
		if n.Kind == yaml.AliasNode {
			msg = fmt.Sprintf("alias *%s takes the file past %d YAML nodes once aliases are expanded", n.Value, b.lim.MaxNodes)
		}
		return &Error{Pos: b.pos(n), Msg: msg}
	}
	return nil
}

// plainWithin reports whether the tree under root holds no alias and is
// within lim's node and depth budgets: what most files are, found in one
// walk that keeps no measure per node. For any other tree, check measures
// it all, to say where a budget breaks.
func plainWithin(root *yaml.Node, lim Limits) bool {
	type frame struct {
		n     *yaml.Node
		depth int // of n's children: 1 for the root's
	}
	nodes := 0
	stack := []frame{{root, 1}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if nodes++; nodes > lim.MaxNodes {
			return false
		}
		switch f.n.Kind {
		case yaml.AliasNode:
			return false
		case yaml.MappingNode, yaml.SequenceNode:
			if f.depth > lim.MaxDepth {
				return false
			}
			for _, c := range f.n.Content {
				stack = append(stack, frame{c, f.depth + 1})
			}
		}
	}
	return true
}

// Resolve returns what n stands for: the anchored node for an alias, and n
// itself for any other node. In a tree Decode gave, aliases are held
// to the budgets and none refers to a node that contains it.
func Resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// of returns the measure of n, which measureAll has measured. Scalars are
// not kept: they are most of a file, and all alike.
func (b *budget) of(n *yaml.Node) measure {
	t := Resolve(n)
	if t.Kind != yaml.MappingNode && t.Kind != yaml.SequenceNode {
		return measure{nodes: 1}
	}
	return b.sizes[t]
}

// measureAll measures every node reachable from root, following aliases,
// each node once: the work is linear in the file however its aliases
// multiply it. It walks with a stack of its own rather than recursing, so
// that a long chain of aliases cannot grow the goroutine's stack. It
// returns the alias that closes a cycle, if one does.
func (b *budget) measureAll(root *yaml.Node) *yaml.Node {
	type frame struct {
		n *yaml.Node
		i int // next child
		m measure
	}
	capped := func(m measure) measure {
		return measure{nodes: min(m.nodes, b.lim.MaxNodes+1), depth: min(m.depth, b.lim.MaxDepth+1)}
	}
	leaf := func(n *yaml.Node) measure {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			return measure{nodes: 1, depth: 1}
		}
		return measure{nodes: 1}
	}
	active := map[*yaml.Node]bool{root: true}
	stack := []frame{{n: root, m: leaf(root)}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.i == len(top.n.Content) {
			m := capped(top.m)
			b.sizes[top.n] = m
			delete(active, top.n)
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				p := &stack[len(stack)-1]
				p.m = capped(measure{nodes: p.m.nodes + m.nodes, depth: max(p.m.depth, m.depth+1)})
			}
			continue
		}
		c := top.n.Content[top.i]
		top.i++
		t := Resolve(c)
		if t.Kind != yaml.MappingNode && t.Kind != yaml.SequenceNode {
			top.m = capped(measure{nodes: top.m.nodes + 1, depth: top.m.depth})
			continue
		}
		if m, ok := b.sizes[t]; ok {
			top.m = capped(measure{nodes: top.m.nodes + m.nodes, depth: max(top.m.depth, m.depth+1)})
			continue
		}
		if active[t] {
			return c
		}
		active[t] = true
		stack = append(stack, frame{n: t, m: leaf(t)})
	}
	return nil
}

// tooDeep finds where the depth budget breaks under n, which is at depth
// level: the first node too deep, or the alias that brings one in.
func (b *budget) tooDeep(n *yaml.Node, level int) *yaml.Node {
	if level > b.lim.MaxDepth || n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if level+b.of(c).depth > b.lim.MaxDepth {
			return b.tooDeep(c, level+1)
		}
	}
	return n
}

// tooMany finds where the node budget breaks under n, given the count of
// nodes before it in document order: the first node past the budget, or
// the alias whose expansion takes the count past it.
func (b *budget) tooMany(n *yaml.Node, before int) *yaml.Node {
	count := before + 1
	if count > b.lim.MaxNodes || n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		cn := b.of(c).nodes
		if count+cn > b.lim.MaxNodes {
			return b.tooMany(c, count)
		}
		count += cn
	}
	return n
}

// Shape names the shape of a YAML node for an error message — "a
// mapping", "a list", "empty" or "a single value" — and never its content,
// for the files whose values may be secrets (answers, fixtures).
func Shape(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == ""):
		return "empty"
	}
	return "a single value"
}

// dropDuplicateKeys reports every mapping key that repeats an earlier key
// of its mapping, and removes the repeated pair. It does not follow
// aliases, so each node of the tree is visited once, however many aliases
// refer to it.
func dropDuplicateKeys(path string, n *yaml.Node, errs *ErrorList) {
	if n == nil || n.Kind == yaml.AliasNode {
		return
	}
	if n.Kind == yaml.MappingNode {
		// Most mappings are small: their keys are searched in place, and
		// only a large one's are indexed.
		var first map[string]*yaml.Node
		if len(n.Content) > 2*smallMapping {
			first = make(map[string]*yaml.Node, len(n.Content)/2)
		}
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := Resolve(k)
			if key.Kind == yaml.ScalarNode {
				var f *yaml.Node
				if first != nil {
					f = first[key.Value]
				} else {
					f = firstKey(kept, key.Value)
				}
				if f != nil {
					errs.Add(Pos{File: path, Line: k.Line, Col: k.Column}, "duplicate key %q (first at %s)",
						key.Value, Pos{File: path, Line: f.Line, Col: f.Column})
					continue
				}
				if first != nil {
					first[key.Value] = k
				}
			}
			kept = append(kept, k, v)
		}
		clear(n.Content[len(kept):])
		n.Content = kept
	}
	for _, c := range n.Content {
		dropDuplicateKeys(path, c, errs)
	}
}

// smallMapping is the number of pairs up to which a mapping's keys are
// searched one by one rather than indexed.
const smallMapping = 16

// firstKey returns the first key of the pairs whose scalar value is key,
// aliases followed, or nil.
func firstKey(pairs []*yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(pairs); i += 2 {
		if k := Resolve(pairs[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return pairs[i]
		}
	}
	return nil
}
