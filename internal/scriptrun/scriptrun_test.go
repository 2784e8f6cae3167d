package scriptrun

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run writes script to an archive and runs it with cfg.
func run(t *testing.T, script string, cfg Config) error {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "s.txtar")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return Run(t.Context(), file, filepath.Join(dir, "work"), cfg)
}

// TestRun runs scripts that pass and scripts that fail, each failing at
// the line it names with testscript's message.
func TestRun(t *testing.T) {
	for _, tt := range []struct {
		name, script string
		fail         string // "" when the script passes, else "s.txtar:LINE: message"
	}{
		{"exec and stdout", "exec sh -c 'echo hello world'\nstdout '^hello world$'\n! stdout bye\n! stderr .\n", ""},
		{"stdout misses", "exec echo hello\nstdout bye\n", `s.txtar:2: no match for ` + "`bye`" + ` found in stdout`},
		{"stdout counts", "exec printf 'a\\na\\nb\\n'\nstdout -count=2 '^a$'\n", ""},
		{"stdout counts wrong", "exec printf 'a\\na\\n'\nstdout -count=1 '^a$'\n", "s.txtar:2: have 2 matches for `^a$`, want 1"},
		{"negated match found", "exec echo hello\n! stdout hel\n", "s.txtar:2: unexpected match for `hel` found in stdout: hel"},
		{"a failure expected", "! exec false\n", ""},
		{"an unexpected failure", "# phase\n\nexec false\n", "s.txtar:3: unexpected command failure"},
		{"an unexpected success", "! exec true\n", "s.txtar:1: unexpected command success"},
		{"exact status", "exec-status 3 sh -c 'exit 3'\n", ""},
		{"wrong status", "exec-status 2 sh -c 'exit 3'\n", "s.txtar:1: sh exited with status 3, want 2"},
		{"cmp equal", "exec cat a.txt\ncmp stdout a.txt\n-- a.txt --\nx y\n", ""},
		{"edit", "edit a.txt 'b: c\\n' 'b: d\\ne: f\\n'\ncmp a.txt want.txt\n-- a.txt --\na\nb: c\n-- want.txt --\na\nb: d\ne: f\n", ""},
		{"edit twice over", "edit a.txt x y\n-- a.txt --\nx x\n", `s.txtar:1: edit: "x" is in a.txt 2 times, want once`},
		{"cmp differs", "exec echo z\ncmp stdout a.txt\n-- a.txt --\nx\n", "s.txtar:2: stdout and a.txt differ"},
		{"stdin once", "stdin a.txt\nexec cat\nstdout '^from a$'\nexec cat\n! stdout .\n-- a.txt --\nfrom a\n", ""},
		{"quotes and variables", "env 'P=my file'\ncp a.txt $P\nexists 'my file'\nexec echo '$P' ${P}x it''s\nstdout '^\\$P my filex its$'\n-- a.txt --\n", ""},
		{"work and home", "exec sh -c 'echo $HOME; pwd'\nstdout '^/no-home$'\nstdout ^$WORK$\n", ""},
		{"grep, rm, mkdir, chmod, symlink", "grep -count=1 '^b' a.txt\nmkdir d/e\nchmod 0600 a.txt\nsymlink l -> a.txt\nexec cat l\nstdout '^b$'\nrm a.txt\n! exists a.txt\nexists d/e\n-- a.txt --\nb\n", ""},
		{"a comment after a command", "exec echo a # not an argument\nstdout '^a$'\n", ""},
		{"an unknown command", "exec true\nfrobnicate\n", `s.txtar:2: unknown command "frobnicate"`},
		{"a condition", "[short] skip\n", "s.txtar:1: unsupported: [short] (tether cover runs no conditions)"},
		{"an unterminated quote", "exec echo 'a\n", "s.txtar:1: unterminated quoted argument"},
		{"a missing program", "exec no-such-program-anywhere\n", "s.txtar:1: no-such-program-anywhere: executable file not found in $PATH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t, tt.script, Config{})
			if tt.fail == "" {
				if err != nil {
					t.Fatalf("Run = %v, want nil; log:\n%s", err, logOf(err))
				}
				return
			}
			f, ok := errors.AsType[*Failure](err)
			if !ok {
				t.Fatalf("Run = %v, want a *Failure %q", err, tt.fail)
			}
			if got := filepath.Base(f.Msg); !strings.HasSuffix(f.Msg, tt.fail) || !strings.HasPrefix(got, "s.txtar:") {
				t.Errorf("failure %q, want .../%s", f.Msg, tt.fail)
			}
		})
	}
}

func logOf(err error) string {
	if f, ok := errors.AsType[*Failure](err); ok {
		return f.Log
	}
	return ""
}

// TestRunPrograms: a program of the caller's runs ahead of the PATH, with
// the script's name for it, and Setup prepares the work directory and the
// environment before the first command.
func TestRunPrograms(t *testing.T) {
	cfg := Config{
		Programs: map[string]string{"greet": "/bin/sh"},
		Setup: func(workDir string, e *Env) error {
			e.Setenv("WHO", "world")
			return os.WriteFile(filepath.Join(workDir, "setup.sh"), []byte("echo hello $WHO\n"), 0o644)
		},
	}
	if err := run(t, "exec greet setup.sh\nstdout '^hello world$'\n", cfg); err != nil {
		t.Fatalf("Run = %v; log:\n%s", err, logOf(err))
	}
}

// TestRunAll reports the first failing archive in the order given, with
// its log, whichever finishes first.
func TestRunAll(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, s := range []struct{ name, text string }{
		{"a-ok.txtar", "exists a.txt\n-- a.txt --\n"},
		{"b-bad.txtar", "# phase\nexec sh -c 'sleep 0.2; echo said'\nexists b.txt\n"},
		{"c-bad.txtar", "exists c.txt\n"},
	} {
		p := filepath.Join(dir, s.name)
		if err := os.WriteFile(p, []byte(s.text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	err := RunAll(t.Context(), files, t.TempDir(), Config{})
	f, ok := errors.AsType[*Failure](err)
	if !ok || !strings.HasPrefix(f.Msg, filepath.Join(dir, "b-bad.txtar")+":3: ") || !strings.Contains(f.Log, "said") {
		t.Fatalf("RunAll = %v, want b-bad.txtar:3 with its log", err)
	}
	if err := RunAll(t.Context(), files[:1], t.TempDir(), Config{}); err != nil {
		t.Errorf("RunAll(a-ok) = %v, want nil", err)
	}
}

// TestCopyMissing copies a tree, but not over a file already there.
func TestCopyMissing(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for name, text := range map[string]string{"a.yaml": "a", "sub/b.yaml": "b"} {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "a.yaml"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CopyMissing(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a.yaml": "mine", "sub/b.yaml": "b"} {
		if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v, want %q", name, got, err, want)
		}
	}
}
