package catalog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/catalog"
)

// A version counts each session that holds it once, however often it
// holds it, whatever its id's form: the ids engine makes, 32 lowercase
// hex digits, the same digits in upper or mixed case (another id), and
// any other. Releasing an id that does not hold the version changes
// nothing; the version goes, once it is no longer current, with the
// release of the last id that does.
func TestHoldCountsSessions(t *testing.T) {
	ctx := context.Background()
	dir := reloadDir(t)
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := compiled(t, cat, "main", "")
	hexID := "0123456789abcdef0123456789abcdef"
	ids := []string{hexID, strings.ToUpper(hexID), "0123456789ABCDEF0123456789abcdef", "s1", ""}
	for _, id := range append(ids, hexID, "s1") {
		if err := cat.Hold(ctx, c.Flow, id); err != nil {
			t.Fatal(err)
		}
	}
	held := func(want int) {
		t.Helper()
		if got := cat.Held()[c.Hash()]; got != want {
			t.Errorf("Held()[%s] = %d, want %d", c.Hash(), got, want)
		}
	}
	held(len(ids))
	for _, id := range []string{"fedcba9876543210fedcba9876543210", hexID[:31], hexID + "0", "S1", "nobody"} {
		cat.Release(c.Hash(), id)
	}
	held(len(ids))

	rewrite(t, filepath.Join(dir, "main.yaml"), `version: "1"`, `version: "2"`)
	if _, err := cat.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if _, ok := cat.Version(c.Hash()); !ok {
			t.Fatalf("the old version went with %d of its %d sessions holding it", len(ids)-i, len(ids))
		}
		cat.Release(c.Hash(), id)
		cat.Release(c.Hash(), id)
		held(len(ids) - i - 1)
	}
	if _, ok := cat.Version(c.Hash()); ok {
		t.Errorf("the old version outlived its last session")
	}
}
