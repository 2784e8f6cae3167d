package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/internal/fake"
)

// syncBuffer is a buffer many goroutines write.
type syncBuffer = fake.Log

// waitFor polls f until it returns a non-empty string.
func waitFor(t *testing.T, what string, f func() string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := f(); s != "" {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return ""
}

// startServe runs tether serve in this process until the test ends; it
// returns the server's URL and its stdout (the demo phones) and stderr
// (the log).
func startServe(t *testing.T, args ...string) (string, *syncBuffer, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &syncBuffer{}, &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errs, Getenv: func(string) string { return "" }, commands: commands, backends: &serverBackends}
	done := make(chan int, 1)
	go func() {
		done <- env.main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--flows", "../../flows", "--data", t.TempDir()}, args...))
	}()
	var once sync.Once
	code := -1
	stop := func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Error("serve did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	addrRE := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	addr := waitFor(t, "the server to listen", func() string {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errs.String())
		default:
		}
		if m := addrRE.FindStringSubmatch(errs.String()); m != nil {
			return m[1]
		}
		return ""
	})
	return "http://" + addr, out, errs, stop
}

// run --server drives a session of a running tether serve with the same
// prompts as run: sign in, the SMS code, consent, choose Family.
func TestRunServer(t *testing.T) {
	url, phone, log, stop := startServe(t, "--store", "memory:")
	in, feed := io.Pipe()
	out, errs := &syncBuffer{}, &syncBuffer{}
	home := t.TempDir()
	env := &Env{Stdin: in, Stdout: out, Stderr: errs, Getenv: func(string) string { return "" }, commands: commands, backends: &serverBackends, dir: home}
	done := make(chan int, 1)
	go func() {
		done <- env.main(context.Background(), []string{"run", "--server", url, "flows/connect.yaml", "--country", "DE", "--device", "test-laptop"})
	}()
	fmt.Fprint(feed, "1\nfamily@example.com\nFamily-pass-2024\n")
	codeRE := regexp.MustCompile(`demo SMS to \+49 \*\*\* \*\*\* 12 34: Your account portal code is (\d+)`)
	code := waitFor(t, "the SMS", func() string {
		if m := codeRE.FindStringSubmatch(phone.String()); m != nil {
			return m[1]
		}
		return ""
	})
	waitFor(t, "the code prompt", func() string {
		if strings.Contains(out.String(), "Enter the code we sent to") {
			return "ok"
		}
		return ""
	})
	fmt.Fprintf(feed, "1\n%s\n1\n1\n2\n", code) // confirm the code, accept, select, licence 2
	var exit int
	select {
	case exit = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("run --server did not end; stdout:\n%s", out.String())
	}
	feed.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; exit != 0 || last != "connected: family@example.com, plan Family, licence LIC-FAM-F" {
		t.Fatalf("exit %d, last line %q\nstdout:\n%s\nstderr:\n%s", exit, last, out.String(), errs.String())
	}
	for _, want := range []string{"Sign in to your account", "Regulation on data provisioning", "Choose subscription", "Family (5 devices), until 31 December 2099"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the prompts lack %q", want)
		}
	}
	// The run kept the device's key, sealed, readable by its owner only:
	// a second run of the device is admitted; a run elsewhere, without
	// the key, is refused, and says why.
	keys := filepath.Join(home, ".tether", "server-devices.json")
	if fi, err := os.Stat(keys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the device keys file: %v, %v; want mode 0600", fi, err)
	}
	if data, _ := os.ReadFile(keys); !strings.HasPrefix(string(data), "sealed:") {
		t.Errorf("the device keys file is not sealed: %s", data)
	}
	again := func(dir string) (int, string) {
		errs := &syncBuffer{}
		env := &Env{Stdin: strings.NewReader(""), Stdout: &syncBuffer{}, Stderr: errs, Getenv: func(string) string { return "" }, commands: commands, backends: &serverBackends, dir: dir}
		return env.main(context.Background(), []string{"run", "--server", url, "connect", "--device", "test-laptop"}), errs.String()
	}
	if _, stderr := again(home); !strings.Contains(stderr, "(device test-laptop)") {
		t.Errorf("a second run of the device was not admitted: %s", stderr)
	}
	if exit, stderr := again(t.TempDir()); exit != exitUnfinished || !strings.Contains(stderr, "the server refuses device test-laptop") || strings.Contains(stderr, "session ") {
		t.Errorf("a run without the device's key: exit %d, %s; want refused", exit, stderr)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after the signal", code)
	}
	logs := log.String()
	for _, secret := range []string{"Family-pass-2024", code} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server's log holds %q", secret)
		}
	}
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("the server did not stop gracefully: %s", logs)
	}
}

// serve reads the demo portal's fixture itself, at the start: from the
// flows directory, or --portal-fixture. None there, or one with problems,
// and it does not start; with --portal it needs none.
func TestServeFixture(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../flows")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "demo")); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("accounts: 7\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, exitUsage, "tether serve: no demo portal fixture at " + filepath.Join(dir, "demo", "portal.yaml") + " (--portal-fixture FILE names one; --portal URL reaches a portal over HTTP)\n"},
		{[]string{"--portal-fixture", bad}, exitFail, bad + ":1:11: accounts must be a list, not a single value\n"},
	} {
		var stderr bytes.Buffer
		env := &Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }, commands: commands, backends: &serverBackends}
		args := append([]string{"serve", "--flows", dir, "--store", "memory:", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, c.args...)
		code := env.main(t.Context(), args)
		if got := withoutLog(stderr.String()); code != c.code || got != c.stderr {
			t.Errorf("serve %q: exit %d, stderr\n%s\nwant exit %d, stderr\n%s", c.args, code, got, c.code, c.stderr)
		}
	}
	// With --portal the directory needs no fixture: it listens.
	url, _, _, stop := startServe(t, "--store", "memory:", "--flows", dir, "--portal", "http://127.0.0.1:1")
	if url == "" || stop() != 0 {
		t.Errorf("serve --portal on a directory without a fixture did not serve")
	}
}

// withoutLog is stderr without the lines of the server's log (JSON).
func withoutLog(stderr string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, "{") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Instances sharing a PostgreSQL store read each other's sealed device
// records: serve refuses such a store without TETHER_SEAL_KEYS (a key file
// of its own in --data would seal what no other instance opens), and says
// so before connecting; --admin-addr wants the admin token.
func TestServeSharedKeys(t *testing.T) {
	for _, c := range []struct {
		args   []string
		env    map[string]string
		stderr string
	}{
		{[]string{"--store", "postgres://tether:pw@db.invalid/tether"}, nil,
			"TETHER_SEAL_KEYS"},
		{[]string{"--store", "memory:", "--admin-addr", "127.0.0.1:0"}, nil,
			"--admin-addr needs TETHER_ADMIN_TOKEN"},
	} {
		var stderr bytes.Buffer
		env := &Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string { return c.env[k] }, commands: commands, backends: &serverBackends}
		args := append([]string{"serve", "--flows", "../../flows", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, c.args...)
		code := env.main(t.Context(), args)
		if code != exitUsage || !strings.Contains(stderr.String(), c.stderr) || strings.Contains(stderr.String(), ":pw@") {
			t.Errorf("serve %q: exit %d, stderr\n%s\nwant exit %d naming %s, no password", c.args, code, stderr.String(), exitUsage, c.stderr)
		}
	}
}
