package postgres

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
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

	commits := storetest.GroupCommits()
	batch := make([]*sqlstore.Pending, len(commits))
	for i, c := range commits {
		query, args, err := saveArgs(c.Commit)
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = sqlstore.NewPending(c.Ctx, c.Commit, query, args)
	}
	s.writeGroup(ctx, batch)
	errs := make([]error, len(batch))
	for i, p := range batch {
		errs[i] = <-p.Done
	}
	storetest.CheckGroup(t, s, commits, errs)
	// A group that fails as a whole is saved commit by commit: here one
	// statement of the pipeline fails.
	bad := storetest.Workload("d", 0)
	good := storetest.Workload("e", 0)
	var group []*sqlstore.Pending
	for _, c := range []*host.Commit{good, bad} {
		query, args, _ := saveArgs(c)
		group = append(group, sqlstore.NewPending(ctx, c, query, args))
	}
	group[1].Args[1] = "not a version" // its statement fails
	s.writeGroup(ctx, group)
	if err := <-group[0].Done; err != nil {
		t.Errorf("the good commit of a failed group = %v", err)
	}
	if err := <-group[1].Done; err == nil {
		t.Errorf("the bad commit of a failed group = nil")
	}
	if _, err := s.Load(ctx, "e"); err != nil {
		t.Errorf("e, saved on its own after its group failed: %v", err)
	}
}
