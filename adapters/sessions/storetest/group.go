package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/tetherflow/tether/host"
)

// GroupCommit is a commit of a group-commit test, and what its Save must
// return.
type GroupCommit struct {
	Ctx    context.Context
	Commit *host.Commit
	Want   error
}

// GroupCommits are commits a store's group commit writes in one group,
// each to succeed or fail alone: a create, the same create again (a
// conflict), another session, a used request key (a conflict), a Save
// given up before the group (its context cancelled) and the first
// session's next step, after its first in the same group.
func GroupCommits() []GroupCommit {
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	dupKey := Workload("a", StepEntries)
	dupKey.Request.Key = Workload("a", 0).Request.Key
	return []GroupCommit{
		{ctx, Workload("a", 0), nil},
		{ctx, Workload("a", 0), host.ErrConflict},
		{ctx, Workload("b", 0), nil},
		{ctx, dupKey, host.ErrConflict},
		{gone, Workload("c", 0), context.Canceled},
		{ctx, Workload("a", StepEntries), nil},
	}
}

// CheckGroup checks the outcomes errs of commits, written in one group,
// and what s holds after them: a commit refused in the middle leaves
// nothing of its own and takes nothing of the others'.
func CheckGroup(t *testing.T, s host.LogStore, commits []GroupCommit, errs []error) {
	t.Helper()
	ctx := context.Background()
	for i, c := range commits {
		if err := errs[i]; !errors.Is(err, c.Want) || (err == nil) != (c.Want == nil) {
			t.Errorf("commit %d (%s, prev %d) = %v, want %v", i, c.Commit.Record.ID, c.Commit.Prev, err, c.Want)
		}
	}
	if r, err := s.Load(ctx, "a"); err != nil || r.Version != commits[5].Commit.Record.Version {
		t.Errorf("a = %+v, %v; want at its second step", r, err)
	}
	if l, _ := s.Log(ctx, "a", 0); len(l) != len(commits[0].Commit.Entries)+len(commits[5].Commit.Entries) {
		t.Errorf("a's log has %d entries, want its two steps'", len(l))
	}
	if _, err := s.Load(ctx, "b"); err != nil {
		t.Errorf("b: %v", err)
	}
	if _, err := s.Load(ctx, "c"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("c, whose Save gave up, = %v, want ErrNotFound", err)
	}
}
