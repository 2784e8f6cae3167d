package yamlfile_test

import (
	"testing"

	"github.com/tetherflow/tether/engine/yamlfile"
)

// YAML's syntax errors are worded plainly, at the line and column where
// the file goes wrong: what is wrong there, and what usually fixes it.
func TestSyntaxErrorsInPlainWords(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"text: Sign in: now\n", `f.yaml:1:14: a ":" where no key can start: quote a value that holds ": ", or indent the line as the keys around it are`},
		{"states:\n  a:\n    run: x\n   on: y\n", "f.yaml:4:4: a key (name: value) was expected here: is the line indented as the keys around it are?"},
		{"a: |\n x\n  y\nb\n", `f.yaml:4:1: a ":" was expected: a line of a mapping is "key: value"`},
		{"a:\n  - b\n  c: d\n", `f.yaml:3:4: a list item ("- ") was expected here: the items of a list line up under each other`},
		{"a: [1,, 2]\n", "f.yaml:1:6: a value was expected here"},
		{"a: [1, 2\n", `f.yaml:1:5: this list is not closed: a "," or "]" was expected`},
		{"a: {x: 1\n", `f.yaml:1:5: this mapping is not closed: a "," or "}" was expected`},
		{"a: \"unclosed\n", "f.yaml:1:4: the file ends inside a quoted value: its closing quote is missing"},
		{"a: \"\\q\"\n", `f.yaml:1:5: an unknown escape (\) in a double-quoted value: write \\ for a backslash, or quote the value with ' instead`},
		{"a: @x\n", "f.yaml:1:4: a value cannot start with '@': quote the value"},
		{"a:\n\t- b\n", "f.yaml:2:1: a tab: YAML indents with spaces only"},
		{"a: *nowhere\n", "f.yaml:1:4: alias *nowhere refers to no anchor: an alias repeats a value marked &nowhere before it"},
		{"a: &\n", "f.yaml:1:4: an anchor (&) or alias (*) needs a name of letters and digits"},
		{"a: \x01\n", "f.yaml:1:4: a control character: the file must be text"},
		{"a: \xff\n", "f.yaml:1:4: the file is not UTF-8 text here"},
		{"a: 1\n...\nb\n", `f.yaml:3:1: text after the end of the document ("...")`},
		// What it does not know is kept, marked as YAML's, still positioned.
		{"%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "f.yaml:2:9: not valid YAML: found duplicate %YAML directive"},
	} {
		_, err := yamlfile.Decode("f.yaml", []byte(tt.src), yamlfile.Limits{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Decode(%q) = %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

// KeyHint names the key an unknown one is a likely typo of, and lists the
// known keys when none is close.
func TestKeyHint(t *testing.T) {
	known := []string{"final", "success", "message"}
	for _, tt := range []struct{ key, want string }{
		{"sucess", " (did you mean success?)"},
		{"mesage", " (did you mean message?)"},
		{"colour", " (want final, success or message)"},
		{"", " (want final, success or message)"},
	} {
		if got := yamlfile.KeyHint(tt.key, known, "final, success or message"); got != tt.want {
			t.Errorf("KeyHint(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
