package cli

import (
	"bytes"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// acronyms are the words in capitals help texts may use that name no
// argument.
var acronyms = []string{
	"API", "CA", "CAPTCHA", "CIDR", "CSRF", "DE", "EU", "HTTP", "HTTPS", "ISO", "JSON",
	"OK", "PEM", "POST", "RFC", "SIGHUP", "SIGINT", "SIGTERM", "SMS", "SPIN", "SQL", "TLS", "TTY", "UI",
	"URL", "US", "VS", "YAML",
}

var (
	flagArgRE = regexp.MustCompile(`(?:^|[\s\[(|,])--?([a-z][a-z0-9-]*)[ =]([A-Z][A-Z0-9]*)\b`)
	capsRE    = regexp.MustCompile(`\b[A-Z][A-Z0-9]+\b`)
	sourceRE  = regexp.MustCompile(`\b[\w-]+\.go\b`)
	// argWordRE is a flag's argument: a word in capitals, or the values
	// it may take (mermaid|dot).
	argWordRE = regexp.MustCompile(`^(?:[A-Z][A-Z0-9]*|[a-z]+(?:\|[a-z]+)+)$`)
)

// Every command's help speaks one language: a flag's argument is one word
// in capitals, the same in the usage line, the text and the flag list
// (--country CC wherever a country is meant); the text names the
// positional arguments as the usage line does (FLOW, not FLOW in one and
// FILE in the other); no flag's old name is listed; no source file is
// named.
func TestHelpTexts(t *testing.T) {
	for _, c := range commands {
		t.Run(c.Name, func(t *testing.T) {
			var out bytes.Buffer
			c.help(&out)
			text := out.String()
			fs := newFlagSet(c)
			c.Flags(fs)
			arg := map[string]string{} // flag name -> its argument's word
			fs.VisitAll(func(f *flag.Flag) {
				if old, ok := f.Value.(*oldFlag); ok {
					if regexp.MustCompile(`(?m)^  -` + f.Name + `\b`).MatchString(text) {
						t.Errorf("help lists -%s, the old name of -%s", f.Name, old.now)
					}
					if regexp.MustCompile(`--` + f.Name + `\b`).MatchString(text) {
						t.Errorf("help mentions --%s, the old name of --%s", f.Name, old.now)
					}
					return
				}
				name, usage := flag.UnquoteUsage(f)
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					return
				}
				if !argWordRE.MatchString(name) {
					t.Errorf("-%s takes %q: want one word in capitals (or its values, a|b), as the usage line writes it", f.Name, name)
				}
				arg[f.Name] = name
				if (strings.Contains(usage, "ISO 3166") || strings.Contains(strings.ToLower(usage), "country")) && name != "CC" && !strings.Contains(f.Name, "fixture") {
					t.Errorf("-%s is a country (%q) but takes %s: want CC", f.Name, usage, name)
				}
				if name == "CC" && f.Name != "country" && f.Name != "web-country" {
					t.Errorf("-%s takes a country: call it --country", f.Name)
				}
			})
			if m := sourceRE.FindString(text); m != "" {
				t.Errorf("help names the source file %s", m)
			}
			// The positional arguments: the words in capitals of the usage
			// line that follow no flag.
			usage := c.usageLine()
			positional := map[string]bool{}
			flagArgs := flagArgRE.FindAllStringSubmatchIndex(usage, -1)
			for _, loc := range capsRE.FindAllStringIndex(usage, -1) {
				if !isFlagArg(flagArgs, loc) {
					positional[strings.TrimRight(usage[loc[0]:loc[1]], "0123456789")] = true
				}
			}
			body := c.Long
			for _, src := range []string{usage, body} {
				for _, m := range flagArgRE.FindAllStringSubmatch(src, -1) {
					if want, ok := arg[m[1]]; ok && m[2] != want {
						t.Errorf("help writes --%s %s, but the flag takes %s", m[1], m[2], want)
					}
				}
			}
			flagArgs = flagArgRE.FindAllStringSubmatchIndex(body, -1)
			for _, loc := range capsRE.FindAllStringIndex(body, -1) {
				word := body[loc[0]:loc[1]]
				switch {
				case isFlagArg(flagArgs, loc), slices.Contains(acronyms, word), inToken(body, loc):
				case positional[strings.TrimRight(word, "0123456789")]:
				default:
					t.Errorf("help's text says %s, which is neither an argument of %q nor after its flag", word, usage)
				}
			}
			for p := range positional {
				if !strings.Contains(body, p) {
					t.Errorf("help's text never says what %s is", p)
				}
			}
		})
	}
}

// inToken reports whether the word at loc is part of a longer token: a
// file name pattern (replay-FLOW-CC-N.txtar), a licence id (LIC-FAM-F),
// an address (http://ADDR/, sqlite:PATH).
func inToken(s string, loc []int) bool {
	return loc[0] > 0 && strings.ContainsRune("-/:", rune(s[loc[0]-1])) ||
		loc[1] < len(s) && strings.ContainsRune("-/", rune(s[loc[1]]))
}

// isFlagArg reports whether the word at loc is the argument of a flag in
// matches (flagArgRE's).
func isFlagArg(matches [][]int, loc []int) bool {
	for _, m := range matches {
		if m[4] == loc[0] && m[5] == loc[1] {
			return true
		}
	}
	return false
}

// A country of 10 KB is refused like any other bad code, in a message
// of its own size, by every command that takes one.
func TestCountryLong(t *testing.T) {
	long := strings.Repeat("D", 10<<10)
	for _, args := range [][]string{
		{"run", "../../flows/connect.yaml", "--country", long, "--answers", "nowhere.yaml"},
		{"run", "../../flows/connect.yaml", "--region", long, "--answers", "nowhere.yaml"},
		{"paths", "../../flows/connect.yaml", "--country", long},
		{"policy", "show", "../../flows/connect.yaml", "--country", long},
		{"policy", "diff", "../../flows/connect.yaml", "DE", long},
		{"serve", "--web-country", long},
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, commands: commands, backends: &serverBackends}
		if code := env.main(t.Context(), args); code != exitUsage {
			t.Errorf("%s --country <10 KB>: exit %d, want %d\n%s", args[0], code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), `"DDDDDDDDDDDDDDDD"... (10240 bytes) is not a country code`) || stderr.Len() > 1000 {
			t.Errorf("%s --country <10 KB>: stderr is %d bytes:\n%.600s", args[0], stderr.Len(), stderr.String())
		}
	}
}
