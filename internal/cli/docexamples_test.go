package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tetherflow/tether/internal/schema"
	"github.com/tetherflow/tether/internal/scriptrun"
)

// TestDocExamples runs the examples of README.md and docs/*.md, as they
// are on disk: every code block with a command that runs tether, every
// YAML block. A block that cannot run says why with a marker on the line
// before it (docs/testing.md, "Examples in the docs"):
//
//	<!-- example: not run: REASON -->
//	<!-- example: file NAME -->          the block is the file NAME
//	<!-- example: schema KIND[#PTR] -->  a YAML excerpt, checked against a schema
//	<!-- example: exit N -->             its commands exit N, not 0
//
// An unmarked block that the test cannot run fails it.
func TestDocExamples(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join(repo, "docs", "*.md"))
	pages = append([]string{filepath.Join(repo, "README.md")}, pages...)
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(repo, page)
		blocks := docBlocks(name, string(data))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{}
			used := map[string]bool{}
			for _, b := range blocks {
				if m := b.marker; strings.HasPrefix(m, "file ") {
					files[strings.TrimSpace(strings.TrimPrefix(m, "file "))] = b.text
				}
			}
			for _, b := range blocks {
				switch {
				case strings.HasPrefix(b.marker, "not run:"):
					if strings.TrimSpace(strings.TrimPrefix(b.marker, "not run:")) == "" {
						t.Errorf("%s: not run: say why", b.pos())
					}
				case b.runsTether():
					runDocCommands(t, b, files, used)
				case strings.HasPrefix(b.marker, "file "):
					// Used by a command of the page (checked below).
				case b.lang == "yaml":
					checkDocYAML(t, b)
				case b.marker != "":
					t.Errorf("%s: marker %q on a block that runs no tether command and is no YAML", b.pos(), b.marker)
				}
			}
			for name := range files {
				if !used[name] {
					t.Errorf("%s: file %s is given but no example of the page that runs uses it", page, name)
				}
			}
		})
	}
}

// docBlock is one code block of a page.
type docBlock struct {
	page   string
	line   int    // the line of its first text line
	lang   string // a fenced block's info string; "" when indented
	text   string
	marker string // what <!-- example: ... --> before it says
}

func (b docBlock) pos() string { return fmt.Sprintf("%s:%d", b.page, b.line) }

var exampleMarker = regexp.MustCompile(`^<!-- example: (.*?) ?-->$`)

// docBlocks returns a page's code blocks: fenced ones, and indented ones
// that follow a blank line.
func docBlocks(page, text string) []docBlock {
	lines := strings.Split(text, "\n")
	var out []docBlock
	marker := func(i int) string {
		for j := i - 1; j >= 0; j-- {
			l := strings.TrimSpace(lines[j])
			if l == "" {
				continue
			}
			if m := exampleMarker.FindStringSubmatch(l); m != nil {
				return m[1]
			}
			return ""
		}
		return ""
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if trimmed := strings.TrimLeft(l, " "); strings.HasPrefix(trimmed, "```") {
			indent := len(l) - len(trimmed)
			lang := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
				j++
			}
			var body []string
			for _, bl := range lines[i+1 : min(j, len(lines))] {
				body = append(body, strings.TrimPrefix(bl, strings.Repeat(" ", indent)))
			}
			out = append(out, docBlock{page: page, line: i + 2, lang: lang, text: strings.Join(body, "\n") + "\n", marker: marker(i)})
			i = j
			continue
		}
		if strings.HasPrefix(l, "    ") && (i == 0 || strings.TrimSpace(lines[i-1]) == "") {
			j := i
			var body []string
			for j < len(lines) && (strings.HasPrefix(lines[j], "    ") || strings.TrimSpace(lines[j]) == "" && j+1 < len(lines) && strings.HasPrefix(lines[j+1], "    ")) {
				body = append(body, strings.TrimPrefix(lines[j], "    "))
				j++
			}
			out = append(out, docBlock{page: page, line: i + 1, text: strings.Join(body, "\n") + "\n", marker: marker(i)})
			i = j - 1
		}
	}
	return out
}

// docCommand is one command line of a block, and the output a "$ " block
// shows after it.
type docCommand struct {
	line   int
	words  []string
	out    []string
	dollar bool
}

// commands returns a block's command lines, continuations joined. In a
// block whose lines start with "$ ", the other lines are output.
func (b docBlock) commands() []docCommand {
	lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
	dollar := len(lines) > 0 && strings.HasPrefix(lines[0], "$ ")
	var out []docCommand
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if dollar {
			if !strings.HasPrefix(l, "$ ") {
				if len(out) > 0 {
					out[len(out)-1].out = append(out[len(out)-1].out, l)
				}
				continue
			}
			l = strings.TrimPrefix(l, "$ ")
		}
		c := docCommand{line: b.line + i, dollar: dollar}
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + strings.TrimSpace(lines[i])
		}
		c.words = shellWords(l)
		if len(c.words) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// tetherArgs returns the arguments of a command that runs tether: tether
// ARGS, go run ./cmd/tether ARGS (or tether-server), or a script's exec
// tether ARGS, where
// ARGS start with a command's name ("tether run: ..." is a message).
func tetherArgs(words []string) ([]string, bool) {
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		words = words[1:] // VAR=value
	}
	var args []string
	switch {
	case len(words) > 1 && (words[0] == "tether" || words[0] == serverCommand):
		args = words[1:]
	case len(words) > 2 && words[0] == "exec" && words[1] == "tether":
		args = words[2:]
	case len(words) > 3 && words[0] == "go" && words[1] == "run" &&
		(strings.TrimSuffix(words[2], "/") == "./cmd/tether" || strings.TrimSuffix(words[2], "/") == "./cmd/"+serverCommand):
		args = words[3:]
	default:
		return nil, false
	}
	env := &Env{commands: commands}
	return args, env.lookup(args[0]) != nil || isHelpFlag(args[0])
}

// runsTether says whether any of the block's commands runs tether.
func (b docBlock) runsTether() bool {
	if b.lang != "" && b.lang != "sh" && b.lang != "console" {
		return false
	}
	for _, c := range b.commands() {
		if _, ok := tetherArgs(c.words); ok {
			return true
		}
	}
	return false
}

// shellWords splits a command line as sh would, without expansions: '...'
// and "..." quote, a backslash escapes, # outside quotes starts a comment.
// Operators (|, >, ;, &&, $( ) are words of their own.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	in, has := rune(0), false
	flush := func() {
		if has {
			words = append(words, w.String())
		}
		w.Reset()
		has = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case in != 0 && r == in:
			in = 0
		case in == '\'':
			w.WriteRune(r)
		case in == '"' && r == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
		case in == '"':
			w.WriteRune(r)
		case r == '\'' || r == '"':
			in, has = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			w.WriteRune(rs[i])
			has = true
		case r == ' ' || r == '\t':
			flush()
		case r == '#' && !has:
			flush()
			return words
		case r == '|' || r == '>' || r == '<' || r == ';' || r == '&' || r == '`' || r == '$' && i+1 < len(rs) && rs[i+1] == '(':
			flush()
			words = append(words, string(r))
		default:
			w.WriteRune(r)
			has = true
		}
	}
	flush()
	return words
}

// runDocCommands runs a block's tether commands, each in a directory of
// its own holding a copy of flows/ and the page's files. A pipe's tether
// side runs (its stdout is discarded); "> FILE" writes stdout to FILE.
// Commands of other programs do not run.
func runDocCommands(t *testing.T, b docBlock, files map[string]string, used map[string]bool) {
	t.Helper()
	wantExit := 0
	switch {
	case strings.HasPrefix(b.marker, "exit "):
		// exit N, or exit N: why
		code, _, _ := strings.Cut(strings.TrimPrefix(b.marker, "exit "), ":")
		n, err := strconv.Atoi(code)
		if err != nil {
			t.Errorf("%s: marker %q: want exit N", b.pos(), b.marker)
			return
		}
		wantExit = n
	case b.marker != "":
		t.Errorf("%s: marker %q on a block of commands: want exit N or not run: REASON", b.pos(), b.marker)
		return
	}
	for _, c := range b.commands() {
		args, ok := tetherArgs(c.words)
		if !ok {
			continue
		}
		pos := fmt.Sprintf("%s:%d", b.page, c.line)
		var stdoutFile string
		for i, w := range args {
			switch w {
			case "|":
				args = args[:i]
			case ">":
				if i+1 < len(args) {
					stdoutFile = args[i+1]
				}
				args = args[:i]
			case "<", ";", "&", "`", "$":
				t.Errorf("%s: cannot run %q (it uses %s): rewrite it, or mark it <!-- example: not run: REASON -->", pos, strings.Join(c.words, " "), w)
				return
			default:
				continue
			}
			break
		}
		dir := t.TempDir()
		for _, tree := range []string{"flows", filepath.Join("docs", "examples")} {
			if err := scriptrun.CopyMissing(filepath.Join(repo, tree), filepath.Join(dir, tree)); err != nil {
				t.Fatal(err)
			}
		}
		for name, text := range files {
			for _, a := range args {
				if a == name || strings.HasSuffix(a, "="+name) {
					used[name] = true
				}
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Getenv: func(string) string { return "" }, commands: commands, dir: dir}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		code := env.main(ctx, args)
		cancel()
		if code != wantExit {
			t.Errorf("%s: tether %s: exit %d, want %d; stderr:\n%s", pos, strings.Join(args, " "), code, wantExit, stderr.String())
			continue
		}
		if stdoutFile != "" {
			if err := os.WriteFile(filepath.Join(dir, stdoutFile), stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Paths print as given, relative to the directory the command ran in.
		got := strings.ReplaceAll(stdout.String(), dir+string(filepath.Separator), "")
		if c.dollar && !matchShown(c.out, got) {
			t.Errorf("%s: tether %s prints what the page does not show; it prints:\n%s", pos, strings.Join(args, " "), got)
		}
	}
}

// matchShown says whether got is the output a page shows, where a line
// "..." stands for any number of lines.
func matchShown(shown []string, got string) bool {
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	var match func(s, g []string) bool
	match = func(s, g []string) bool {
		if len(s) == 0 {
			return len(g) == 0
		}
		if strings.TrimSpace(s[0]) == "..." {
			for k := 0; k <= len(g); k++ {
				if match(s[1:], g[k:]) {
					return true
				}
			}
			return false
		}
		return len(g) > 0 && strings.TrimRight(s[0], " ") == strings.TrimRight(g[0], " ") && match(s[1:], g[1:])
	}
	for len(shown) > 0 && strings.TrimSpace(shown[len(shown)-1]) == "" {
		shown = shown[:len(shown)-1]
	}
	return match(shown, lines)
}

// checkDocYAML checks a YAML block: against the schema its marker names,
// or, unmarked, as a whole flow that must validate.
func checkDocYAML(t *testing.T, b docBlock) {
	t.Helper()
	doc, err := jsonView([]byte(b.text))
	if err != nil {
		t.Errorf("%s: %v", b.pos(), err)
		return
	}
	if ref, ok := strings.CutPrefix(b.marker, "schema "); ok {
		ref, part := strings.CutSuffix(strings.TrimSpace(ref), " part")
		if !part {
			sch, err := docSchema(ref)
			if err != nil {
				t.Errorf("%s: marker %q: %v", b.pos(), b.marker, err)
			} else if err := sch.Validate(doc); err != nil {
				t.Errorf("%s: the example does not fit schema %s: %v", b.pos(), ref, err)
			}
			return
		}
		// Some of the keys of a mapping: each fits its property's schema,
		// in the first of the alternatives (oneOf) that has the property.
		m, ok := doc.(map[string]any)
		if !ok || len(m) == 0 {
			t.Errorf("%s: marker %q: want a mapping", b.pos(), b.marker)
			return
		}
		if !strings.Contains(ref, "#") {
			ref += "#"
		}
		for key, v := range m {
			var sch *jsonschema.Schema
			for i := -1; i < 8 && sch == nil; i++ {
				p := ref + "/properties/" + key
				if i >= 0 {
					p = fmt.Sprintf("%s/oneOf/%d/properties/%s", ref, i, key)
				}
				sch, _ = docSchema(p)
			}
			if sch == nil {
				t.Errorf("%s: key %s is not a key of schema %s", b.pos(), key, ref)
				continue
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s: %s does not fit schema %s: %v", b.pos(), key, ref, err)
			}
		}
		return
	}
	if b.marker != "" {
		t.Errorf("%s: marker %q on a YAML block: want file NAME, schema KIND[#PTR] or not run: REASON", b.pos(), b.marker)
		return
	}
	if m, _ := doc.(map[string]any); m["flow"] == nil || m["states"] == nil {
		t.Errorf("%s: a YAML example that is no whole flow: say what it is (<!-- example: file NAME --> for a command of the page, <!-- example: schema KIND[#PTR] -->) or why it is not run", b.pos())
		return
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.yaml"), []byte(b.text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, commands: commands, dir: dir}
	if code := env.main(t.Context(), []string{"validate", "example.yaml"}); code != 0 {
		t.Errorf("%s: the flow does not validate (exit %d):\n%s", b.pos(), code, stderr.String())
	}
}

// docSchema compiles the schema a marker names: KIND (flow, overlay,
// fixture, answers, path), or a part of it, KIND#/JSON/pointer.
func docSchema(ref string) (*jsonschema.Schema, error) {
	kind, ptr, _ := strings.Cut(ref, "#")
	if !slices.Contains(schema.Kinds(), kind) {
		return nil, fmt.Errorf("no schema %q (want one of %s)", kind, strings.Join(schema.Kinds(), ", "))
	}
	c := jsonschema.NewCompiler()
	for _, k := range schema.Kinds() {
		data, err := schema.Generate(k, schemaSources())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(schema.File(k), doc); err != nil {
			return nil, err
		}
	}
	return c.Compile(schema.File(kind) + "#" + ptr)
}
