package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/catalog"
)

func TestArchive(t *testing.T) {
	storetest.RunArchive(t, func(t *testing.T) (func() catalog.Archive, func() catalog.Archive) {
		url := schemaURL(t)
		s := open(t, url)
		t.Cleanup(func() { s.Close() })
		return s.Archive, func() catalog.Archive {
			again := open(t, url)
			t.Cleanup(func() { again.Close() })
			return again.Archive()
		}
	})
}

// shippedFlows copies the shipped flows directory and applies edits
// (old, new, ...) to its connect.yaml.
func shippedFlows(t *testing.T, edits ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "flows")
	if err := os.CopyFS(dir, os.DirFS("../../../flows")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "connect.yaml")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := string(src)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(out, edits[i]) {
			t.Fatalf("connect.yaml has no %q", edits[i])
		}
		out = strings.ReplaceAll(out, edits[i], edits[i+1])
	}
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadCatalog(t *testing.T, dir string, archive catalog.Archive) *catalog.Catalog {
	t.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Archive: archive})
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatal(err)
	}
	return cat
}

// Two instances on one database, with different flow files (a rolling
// deploy): a version one of them holds, the other compiles again from the
// database, to the same hash.
func TestArchiveSharedByInstances(t *testing.T) {
	ctx := context.Background()
	url := schemaURL(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()

	oldCat := loadCatalog(t, shippedFlows(t), a.Archive())
	old, err := oldCat.Compiled("connect", "DE")
	if err != nil {
		t.Fatal(err)
	}
	if err := oldCat.Hold(ctx, old.Flow, "s1"); err != nil {
		t.Fatal(err)
	}
	newCat := loadCatalog(t, shippedFlows(t, "Enter the code we sent to", "Type the code we texted to"), b.Archive())
	cur, err := newCat.Compiled("connect", "DE")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Flow.Hash() == old.Flow.Hash() {
		t.Fatal("the edited files compile to the old hash")
	}
	fl, err := newCat.LoadVersion(ctx, old.Flow.Hash())
	if err != nil {
		t.Fatalf("LoadVersion of the other instance's version: %v", err)
	}
	if fl.Hash() != old.Flow.Hash() {
		t.Errorf("LoadVersion = %s, want %s", fl.Hash(), old.Flow.Hash())
	}

}
