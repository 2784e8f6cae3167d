package credstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetherflow/tether/actions"
)

// The two-process test re-runs this test binary as the processes: with
// hammerEnv set to a store's path, the binary saves hammerRounds entries
// of its own in it and exits instead of running the tests.
const (
	hammerEnv    = "CREDSTORE_TEST_HAMMER"
	hammerIDEnv  = "CREDSTORE_TEST_HAMMER_ID"
	hammerRounds = 200
)

func TestMain(m *testing.M) {
	if path := os.Getenv(hammerEnv); path != "" {
		os.Exit(hammer(path, os.Getenv(hammerIDEnv)))
	}
	os.Exit(m.Run())
}

// hammer saves hammerRounds entries, each a read-modify-write of the whole
// store, as fast as it can.
func hammer(path, id string) int {
	s := New(path)
	for i := range hammerRounds {
		c := actions.Credential{App: hammerApp(id, i), Account: id + "@example.com", Tokens: actions.Tokens{AccessToken: fmt.Sprintf("tok-%s-%d", id, i)}}
		if err := s.Save(context.Background(), c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func hammerApp(id string, i int) string { return fmt.Sprintf("%s-%03d", id, i) }

// TestTwoProcessesLoseNothing runs two real processes saving distinct
// entries in one store at the same time: every entry of both must be
// there at the end. Without the lock across processes, one process's
// write replaces a store that lacks the other's latest entries.
func TestTwoProcessesLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	path := filepath.Join(t.TempDir(), "conf", "credentials.json")
	ids := []string{"a", "b"}
	var cmds []*exec.Cmd
	for _, id := range ids {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), hammerEnv+"="+path, hammerIDEnv+"="+id)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("a saving process failed: %v", err)
		}
	}
	all, err := New(path).Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	saved := map[string]bool{}
	for _, c := range all {
		saved[c.App] = true
	}
	var lost []string
	for _, id := range ids {
		for i := range hammerRounds {
			if !saved[hammerApp(id, i)] {
				lost = append(lost, hammerApp(id, i))
			}
		}
	}
	if len(lost) > 0 || len(all) != len(ids)*hammerRounds {
		t.Errorf("the store holds %d entries, want %d; lost %d: %v", len(all), len(ids)*hammerRounds, len(lost), lost)
	}
}
