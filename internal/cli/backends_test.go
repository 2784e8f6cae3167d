package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serverBackends are tether-server's backends, for the tests that serve:
// TestMain sets them, from package cli_test, which may import servecmd.
var serverBackends Backends

// SetServerBackends sets serverBackends.
func SetServerBackends(b Backends) { serverBackends = b }

// TestDelegate: a tether without backends runs serve and portal serve with
// tether-server, found on PATH, with the same arguments and streams, and
// exits with its status, adding nothing of its own to stderr.
func TestDelegate(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho \"tether-server $*\"\nread line\necho \"read $line\" >&2\nexit 7\n"
	if err := os.WriteFile(filepath.Join(bin, serverCommand), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, args := range [][]string{
		{"serve", "--flows", "flows", "--addr", "127.0.0.1:0"},
		{"portal", "serve", "--fixture", "f.yaml", "--state", "s.db"},
		{"serve", "--web-region", "DE"}, // its notice is tether-server's to give, once
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader("typed\n"), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv, commands: commands}
		if code := env.main(t.Context(), args); code != 7 {
			t.Errorf("tether %s: exit %d, want tether-server's 7; stderr:\n%s", strings.Join(args, " "), code, stderr.String())
		}
		if got, want := stdout.String(), "tether-server "+strings.Join(args, " ")+"\n"; got != want {
			t.Errorf("tether %s: stdout %q, want %q", args[0], got, want)
		}
		if got := stderr.String(); got != "read typed\n" {
			t.Errorf("tether %s: stderr %q, want what tether-server read from stdin", args[0], got)
		}
	}

	// A usage error is tether's own, and help too: nothing to delegate.
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv, commands: commands}
	if code := env.main(t.Context(), []string{"serve", "--no-such-flag"}); code != exitUsage || strings.Contains(stdout.String(), "tether-server") {
		t.Errorf("serve --no-such-flag: exit %d, stdout %q; want 2 from tether itself", code, stdout.String())
	}
}

// TestDelegateMissing: without tether-server, serve says how to install it.
func TestDelegateMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv, commands: commands}
	code := env.main(t.Context(), []string{"serve", "--flows", "flows"})
	if code != exitFail || !strings.Contains(stderr.String(), "tether serve: this command is run by tether-server") ||
		!strings.Contains(stderr.String(), "go install ./cmd/...") {
		t.Errorf("exit %d, stderr %q; want 1 and how to install tether-server", code, stderr.String())
	}
}

// TestDelegateSignal: a signal that stops tether is passed on to
// tether-server as an interrupt, and tether exits with its status.
func TestDelegateSignal(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\ntrap 'echo stopping; exit 0' INT\necho started\nwhile :; do sleep 0.05; done\n"
	if err := os.WriteFile(filepath.Join(bin, serverCommand), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(t.Context())
	out := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Getenv: os.Getenv, commands: commands}
	done := make(chan int)
	go func() { done <- env.main(ctx, []string{"serve"}) }()
	for !strings.Contains(out.String(), "started") {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "stopping") {
		t.Errorf("exit %d, output %q; want tether-server's clean stop, 0", code, out.String())
	}
}
