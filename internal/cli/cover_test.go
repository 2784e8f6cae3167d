package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// coverDir is a directory holding flows/t.yaml, a flow of two choices.
func coverDir(t *testing.T) (dir string, write func(name, text string)) {
	dir = t.TempDir()
	write = func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("flows/t.yaml", `flow: t
start: ask
states:
  ask:
    ask: {choices: [a, b]}
    on: {a: done, b: other}
  done: {final: done, success: true}
  other: {final: other}
`)
	return dir, write
}

// cover runs tether cover flows/t.yaml --scripts scripts in dir.
func cover(t *testing.T, dir string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, commands: commands, dir: dir}
	code := env.main(t.Context(), append([]string{"cover", "flows/t.yaml", "--scripts", "scripts"}, args...))
	return code, stdout.String(), stderr.String()
}

// TestCover runs cover over scripts that replay a small flow: it must
// count what their logs show, list what they miss with its position, and
// fail below --min.
func TestCover(t *testing.T) {
	dir, write := coverDir(t)
	script := func(choice string) string {
		return "# replays one choice\nexec tether replay flows/t.yaml --path p.yaml\n-- p.yaml --\n- {state: ask, choice: " + choice + "}\n"
	}
	write("scripts/a.txtar", script("a"))

	code, out, errs := cover(t, dir, "--min", "100")
	if code != exitFail {
		t.Errorf("exit %d below --min, want %d; stderr:\n%s", code, exitFail, errs)
	}
	for _, want := range []string{
		"flows/t.yaml             default       3/5      60.0%",
		filepath.Join(dir, "flows/t.yaml") + ":6:22: default: t: ask on b, branch 1",
		filepath.Join(dir, "flows/t.yaml") + ":8:3: default: t: state other",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cover output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := cover(t, dir); code != exitOK {
		t.Errorf("exit %d without --min, want 0", code)
	}

	write("scripts/b.txtar", script("b"))
	code, out, errs = cover(t, dir, "--min", "100")
	if code != exitOK || !strings.Contains(out, "5/5     100.0%") || strings.Contains(out, "not exercised") {
		t.Errorf("with both choices replayed: exit %d, output:\n%s%s", code, out, errs)
	}

	// A locale that ships a catalog is counted too: its messages, each
	// one it lacks listed where the flow has it.
	write("flows/locales/de.yaml", "locale: de\nmessages:\n  t.ask.choice.a: A\n")
	code, out, _ = cover(t, dir, "--min", "100")
	if code != exitFail || !strings.Contains(out, "flows/t.yaml             de            1/2      50.0% messages") ||
		!strings.Contains(out, filepath.Join(dir, "flows/t.yaml")+":5:24: de: message t.ask.choice.b has no translation") || strings.Contains(out, "not exercised") {
		t.Errorf("with half the messages in de: exit %d, output:\n%s", code, out)
	}
	write("flows/locales/de.yaml", "locale: de\nmessages:\n  t.ask.choice.a: A\n  t.ask.choice.b: B\n")
	if code, out, errs := cover(t, dir, "--min", "100"); code != exitOK || !strings.Contains(out, "2/2     100.0% messages") {
		t.Errorf("with every message in de: exit %d, output:\n%s%s", code, out, errs)
	}
}

// TestCoverRunsScriptsAsTheSuiteDoes: cover runs a script's every command
// as testscript does (env, cp, variables, quoting), so what the tether
// commands run is what the suite runs.
func TestCoverRunsScriptsAsTheSuiteDoes(t *testing.T) {
	dir, write := coverDir(t)
	write("scripts/a.txtar", `# the path file is copied to a name in a variable, with a space in it
env P='my path.yaml'
cp q.yaml $P
exec tether replay flows/t.yaml --path $P
stdout '^not connected: other$'
! exec tether replay flows/t.yaml --path q.yaml --clock never
-- q.yaml --
- {state: ask, choice: b}
`)
	code, out, errs := cover(t, dir)
	// Only the first replay ran a session: choice b, not a.
	if code != exitOK || !strings.Contains(out, "flows/t.yaml             default       3/5      60.0%") ||
		!strings.Contains(out, "t: ask on a, branch 1") {
		t.Errorf("exit %d, output:\n%s%s", code, out, errs)
	}
}

// TestCoverRefusesAFailingScript: a script whose commands do not do what
// it says (a replay that does not fit, an unknown command) would measure
// the wrong thing; cover says where it failed and exits 1.
func TestCoverRefusesAFailingScript(t *testing.T) {
	for _, tt := range []struct {
		name, script, want string
	}{{
		name: "a command fails",
		script: `# the path does not fit
exec tether replay flows/t.yaml --path p.yaml
-- p.yaml --
- {state: ask, choice: c}
`,
		want: "a.txtar:2: unexpected command failure",
	}, {
		name:   "an unknown command",
		script: "exec tether replay flows/t.yaml --path p.yaml\nfrobnicate\n-- p.yaml --\n- {state: ask, choice: a}\n",
		want:   `a.txtar:2: unknown command "frobnicate"`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			dir, write := coverDir(t)
			write("scripts/a.txtar", tt.script)
			code, out, errs := cover(t, dir)
			first, _, _ := strings.Cut(errs, "\n")
			if code != exitFail || first != "tether cover: "+filepath.Join(dir, "scripts", tt.want) || out != "" {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and tether cover: .../scripts/%s; stdout:\n%s", code, errs, tt.want, out)
			}
		})
	}
}
