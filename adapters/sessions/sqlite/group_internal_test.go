package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
)

// One group, one transaction, a savepoint a commit: each succeeds or
// fails alone.
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
}
