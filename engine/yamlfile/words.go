package yamlfile

import (
	"fmt"
	"strings"
)

// plainSyntax words a yaml.v3 syntax error as Tether's other messages are
// worded: what is wrong at the position, and what usually fixes it. c is
// the byte where parsing failed, or 0 when it is not known. A message it
// does not know is kept, marked as YAML's.
func plainSyntax(msg string, c byte) string {
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name = strings.TrimSuffix(name, "' referenced")
		return fmt.Sprintf("alias *%s refers to no anchor: an alias repeats a value marked &%s before it", name, name)
	}
	switch msg {
	case "mapping values are not allowed in this context":
		return `a ":" where no key can start: quote a value that holds ": ", or indent the line as the keys around it are`
	case "did not find expected key":
		return "a key (name: value) was expected here: is the line indented as the keys around it are?"
	case "could not find expected ':'":
		return `a ":" was expected: a line of a mapping is "key: value"`
	case "did not find expected '-' indicator":
		return `a list item ("- ") was expected here: the items of a list line up under each other`
	case "block sequence entries are not allowed in this context":
		return `a list item ("- ") cannot start here: put it on a line of its own, indented under its key`
	case "mapping keys are not allowed in this context":
		return "a key cannot start here: indent the line as the keys around it are"
	case "did not find expected node content":
		return "a value was expected here"
	case "did not find expected ',' or ']'":
		return `this list is not closed: a "," or "]" was expected`
	case "did not find expected ',' or '}'":
		return `this mapping is not closed: a "," or "}" was expected`
	case "found unexpected end of stream":
		return "the file ends inside a quoted value: its closing quote is missing"
	case "found unknown escape character":
		return `an unknown escape (\) in a double-quoted value: write \\ for a backslash, or quote the value with ' instead`
	case "found character that cannot start any token":
		switch {
		case c == '\t':
			return "a tab: YAML indents with spaces only"
		case c > ' ' && c < 0x7f:
			return fmt.Sprintf("a value cannot start with %q: quote the value", c)
		}
		return "a value cannot start with this character: quote the value"
	case "found a tab character that violates indentation", "found a tab character where an indentation space is expected":
		return "a tab: YAML indents with spaces only"
	case "did not find expected alphabetic or numeric character":
		return "an anchor (&) or alias (*) needs a name of letters and digits"
	case "did not find expected comment or line break":
		return "more text after the value on this line: quote the whole value"
	case "did not find expected <document start>":
		return `text after the end of the document ("...")`
	case "control characters are not allowed":
		return "a control character: the file must be text"
	case "invalid leading UTF-8 octet", "invalid trailing UTF-8 octet", "incomplete UTF-8 octet sequence",
		"invalid length of a UTF-8 sequence", "invalid Unicode character":
		return "the file is not UTF-8 text here"
	}
	return "not valid YAML: " + msg
}
