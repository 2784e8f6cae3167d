package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/internal/seal"
)

// Ctrl-C at a prompt: the run cancels its session, says so on its last
// line, exits 130, leaves the transcript of what happened (never an empty
// file) and the credential store as it was.
func TestInterruptAtPrompt(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds.json")
	other := actions.Credential{App: "vendor-notes", Account: "someone@example.com", Tokens: actions.Tokens{IDToken: "id-unknown-0009", DeviceSecret: "tok-unknown-0009"}, SavedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := credstore.New(creds).Save(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	before, err := credstore.New(creds).Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	transcript := filepath.Join(dir, "transcript.txt")

	cmd := exec.Command(os.Args[0], "run", connectFlow, "--seed", "1", "--clock", "2026-01-05T09:00:00Z",
		"--credentials", creds, "--transcript", transcript)
	cmd.Env = append(os.Environ(), "TETHER_TEST_MAIN=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read until the sign-in menu asks for a choice, then press Ctrl-C.
	var out bytes.Buffer
	r := bufio.NewReader(io.TeeReader(stdout, &out))
	if err := waitFor(r, "Choose 1-3: "); err != nil {
		cmd.Process.Kill()
		t.Fatalf("no prompt: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	_ = rest
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130\nstdout:\n%s\nstderr:\n%s", err, out.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "not connected: cancelled" {
		t.Errorf("last line = %q, want \"not connected: cancelled\"\n%s", last, out.String())
	}
	data, err := os.ReadFile(transcript)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# flow connect: ", "run      credentials.sign_in() -> rejected", "ask      sign_in: Sign in to your account", "cancel   cancelled", "\nnot connected: cancelled\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
	// The device has its key now (its request to the portal proved it);
	// its entries are as they were.
	keys, err := seal.ReadKeyFile(filepath.Join(dir, "seal.keys"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := credstore.New(creds, credstore.WithSeal(keys)).Credentials(context.Background())
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Errorf("the credential store's entries changed: %v\nbefore %+v\nafter  %+v", err, before, after)
	}
}

// waitFor reads r until it has read s.
func waitFor(r *bufio.Reader, s string) error {
	var seen strings.Builder
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		seen.WriteByte(b)
		if strings.HasSuffix(seen.String(), s) {
			return nil
		}
	}
	return errors.New("timed out")
}
