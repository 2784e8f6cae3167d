package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/host"
)

// One group, one pipeline, one transaction: each commit succeeds or
// fails alone. A commit refused in the middle (a conflict, a used request
// key, a given-up context) leaves nothing of its own and takes nothing of
// the others'.
func TestGroupCommit(t *testing.T) {
	dsn := os.Getenv("TETHER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("no PostgreSQL to test against: set TETHER_TEST_POSTGRES")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := "tether_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String())
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
		query, args, err := saveArgs(c.c)
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = &pending{ctx: c.ctx, c: c.c, query: query, args: args, done: make(chan error, 1)}
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
	// A group that fails as a whole is saved commit by commit: here one
	// statement of the pipeline fails.
	bad := storetest.Workload("d", 0)
	good := storetest.Workload("e", 0)
	var group []*pending
	for _, c := range []*host.Commit{good, bad} {
		query, args, _ := saveArgs(c)
		group = append(group, &pending{ctx: ctx, c: c, query: query, args: args, done: make(chan error, 1)})
	}
	group[1].args[1] = "not a version" // its statement fails
	s.writeGroup(group)
	if err := <-group[0].done; err != nil {
		t.Errorf("the good commit of a failed group = %v", err)
	}
	if err := <-group[1].done; err == nil {
		t.Errorf("the bad commit of a failed group = nil")
	}
	if _, err := s.Load(ctx, "e"); err != nil {
		t.Errorf("e, saved on its own after its group failed: %v", err)
	}
}
