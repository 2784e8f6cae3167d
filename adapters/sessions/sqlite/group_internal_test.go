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

// One group, one transaction, no savepoints: each commit succeeds or
// fails alone. A commit its version or a used request key refuses writes
// nothing; a commit that fails after its first statement (here: two log
// entries with one sequence number) has its group written again, commit
// by commit.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commits := storetest.GroupCommits()
	batch := make([]*sqlstore.Pending, len(commits))
	for i, c := range commits {
		args, err := sqlstore.RecordArgs(&c.Commit.Record)
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = sqlstore.NewPending(c.Ctx, c.Commit, "", args)
	}
	s.writeGroup(ctx, batch)
	errs := make([]error, len(batch))
	for i, p := range batch {
		errs[i] = <-p.Done
	}
	storetest.CheckGroup(t, s, commits, errs)

	good, bad, after := storetest.Workload("e", 0), storetest.Workload("d", 0), storetest.Workload("b", commits[2].Commit.Record.Version)
	bad.Entries[1].Seq = bad.Entries[0].Seq // its second entry fails
	var group []*sqlstore.Pending
	for _, c := range []*host.Commit{good, bad, after} {
		args, _ := sqlstore.RecordArgs(&c.Record)
		group = append(group, sqlstore.NewPending(ctx, c, "", args))
	}
	s.writeGroup(ctx, group)
	for i, want := range []bool{true, false, true} {
		if err := <-group[i].Done; (err == nil) != want {
			t.Errorf("commit %d of a group that failed = %v, want success %v", i, err, want)
		}
	}
	if _, err := s.Load(ctx, "e"); err != nil {
		t.Errorf("e, saved on its own after its group failed: %v", err)
	}
	if _, err := s.Load(ctx, "d"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("d, whose second entry failed, = %v, want ErrNotFound (nothing of it written)", err)
	}
	if r, err := s.Load(ctx, "b"); err != nil || r.Version != after.Record.Version {
		t.Errorf("b = %v, %v; want at version %d", r.Version, err, after.Record.Version)
	}
}
