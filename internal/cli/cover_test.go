package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCover runs cover over scripts that replay a small flow: it must
// count what their logs show, list what they miss with its position, and
// fail below --min.
func TestCover(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
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
	script := func(choice string) string {
		return "# replays one choice\nexec tether replay flows/t.yaml --path p.yaml\n-- p.yaml --\n- {state: ask, choice: " + choice + "}\n"
	}
	write("scripts/a.txtar", script("a"))

	cover := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, commands: commands, dir: dir}
		code := env.main(t.Context(), append([]string{"cover", "flows/t.yaml", "--scripts", "scripts"}, args...))
		return code, stdout.String(), stderr.String()
	}

	code, out, errs := cover("--min", "100")
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
	if code, _, _ := cover(); code != exitOK {
		t.Errorf("exit %d without --min, want 0", code)
	}

	write("scripts/b.txtar", script("b"))
	code, out, errs = cover("--min", "100")
	if code != exitOK || !strings.Contains(out, "5/5     100.0%") || strings.Contains(out, "not exercised") {
		t.Errorf("with both choices replayed: exit %d, output:\n%s%s", code, out, errs)
	}
}
