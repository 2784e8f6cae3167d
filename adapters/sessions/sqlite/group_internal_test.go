package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/host"
)

// One group, one transaction: each commit succeeds or fails alone. A
// commit refused in the middle (a conflict, a used request key, a given-up
// context) leaves nothing of its own and takes nothing of the others'.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	dupKey := storetest.Workload("a", storetest.StepEntries)
	dupKey.Request.Key = storetest.Workload("a", 0).Request.Key
	commits := []struct {
		ctx  context.Context
		c    *host.Commit
		want error
	}{
		{ctx, storetest.Workload("a", 0), nil},
		{ctx, storetest.Workload("a", 0), host.ErrConflict}, // created just before, in this group
		{ctx, storetest.Workload("b", 0), nil},
		{ctx, dupKey, host.ErrConflict}, // a's request key again
		{gone, storetest.Workload("c", 0), context.Canceled},
		{ctx, storetest.Workload("a", storetest.StepEntries), nil}, // a's second step, after its first, in this group
	}
	batch := make([]*pending, len(commits))
	for i, c := range commits {
		args, err := sqlstore.RecordArgs(&c.c.Record)
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = &pending{ctx: c.ctx, c: c.c, args: args, done: make(chan error, 1)}
	}
	s.writeGroup(batch)
	for i, c := range commits {
		if err := <-batch[i].done; !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
			t.Errorf("commit %d (%s, prev %d) = %v, want %v", i, c.c.Record.ID, c.c.Prev, err, c.want)
		}
	}
	if r, err := s.Load(ctx, "a"); err != nil || r.Version != commits[5].c.Record.Version {
		t.Errorf("a = %+v, %v; want at its second step", r, err)
	}
	if log, _ := s.Log(ctx, "a", 0); len(log) != len(commits[0].c.Entries)+len(commits[5].c.Entries) {
		t.Errorf("a's log has %d entries, want its two steps'", len(log))
	}
	if _, err := s.Load(ctx, "b"); err != nil {
		t.Errorf("b: %v", err)
	}
	if _, err := s.Load(ctx, "c"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("c, whose Save gave up, = %v, want ErrNotFound", err)
	}
}
