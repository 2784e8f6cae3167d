package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
)

const (
	reloadMain = `flow: main
version: "1"
start: ask
vars: {n: 0}
policy: {wait: 5m, greet: hello}
states:
  ask:
    ask:
      text: "{{ policy.greet }}"
      choices: [go, help]
    after:
      policy.wait: late
    on:
      go: done
      help: helping
  helping:
    run: flow:aside
    on: {back: ask}
  late: {final: late}
  done: {final: done, success: true}
`
	reloadAside = `flow: aside
start: show
states:
  show:
    ask: {choices: [back]}
    on: {back: back}
  back: {final: back}
`
	reloadRegion = `region: north
countries: [NO, SE]
flows:
  main: {wait: 2m, greet: hei}
`
)

func reloadDir(t *testing.T) string {
	return write(t, map[string]string{"main.yaml": reloadMain, "aside.yaml": reloadAside, "regions/north.yaml": reloadRegion})
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(src), old, new, 1)
	if out == string(src) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func compiled(t *testing.T, cat *catalog.Catalog, name, country string) *catalog.Compiled {
	t.Helper()
	c, err := cat.Compiled(name, country)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReloadReportsAndSwaps(t *testing.T) {
	dir := reloadDir(t)
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	before, north := compiled(t, cat, "main", ""), compiled(t, cat, "main", "NO")
	if err := cat.Hold(context.Background(), before.Flow, "s1"); err != nil {
		t.Fatal(err)
	}
	// The prompt ask is renamed without a migration, the region's policy
	// changes, aside does not change, other is new.
	rewrite(t, filepath.Join(dir, "main.yaml"), `version: "1"`, `version: "2"`)
	rewrite(t, filepath.Join(dir, "main.yaml"), "start: ask", "start: prompt")
	rewrite(t, filepath.Join(dir, "main.yaml"), "  ask:\n    ask:", "  prompt:\n    ask:")
	rewrite(t, filepath.Join(dir, "main.yaml"), "back: ask", "back: prompt")
	os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("flow: other\nstart: x\nstates:\n  x: {final: x}\n"), 0o644)

	ch, err := cat.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]catalog.FlowChange{}
	for _, f := range ch.Flows {
		byName[f.Flow] = f
	}
	main := byName["main"]
	if !ch.Applied || main.Change != "changed" || main.OldVersion != "1" || main.NewVersion != "2" ||
		!reflect.DeepEqual(main.Regions, []string{"default", "north"}) || main.Strands != 1 {
		t.Errorf("main: %+v", main)
	}
	if !slices.ContainsFunc(main.Findings, func(s string) bool {
		return strings.HasPrefix(s, "strands: ask state ask is gone") && strings.Contains(s, "main.yaml:7:3")
	}) {
		t.Errorf("main's findings do not say ask is gone, at its old position: %q", main.Findings)
	}
	if byName["aside"].Change != "unchanged" || byName["other"].Change != "added" {
		t.Errorf("aside: %+v, other: %+v", byName["aside"], byName["other"])
	}
	// The unheld version of the north region was dropped; the held one
	// stays until its session lets go.
	if !slices.Contains(ch.Dropped, north.Hash()) || slices.Contains(ch.Dropped, before.Hash()) {
		t.Errorf("Dropped = %v, want %s and not %s", ch.Dropped, north.Hash(), before.Hash())
	}
	after := compiled(t, cat, "main", "")
	if after.Hash() == before.Hash() {
		t.Fatal("Compiled hands out the old version after the reload")
	}
	if fl, ok := cat.Version(before.Hash()); !ok || fl.Info().Start != "ask" {
		t.Fatalf("the held old version is gone")
	}
	cat.Release(before.Hash(), "s1")
	if _, ok := cat.Version(before.Hash()); ok {
		t.Errorf("the old version outlived its last session")
	}
	cat.Release(after.Hash(), "nobody")
	if _, ok := cat.Version(after.Hash()); !ok {
		t.Errorf("Release dropped the current version")
	}
	var out strings.Builder
	ch.Write(&out)
	for _, want := range []string{"reload: applied\n", "main: changed, version 1 -> 2, new versions in default, north; 1 could strand", "other: added"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Write:\n%s\nlacks %q", out.String(), want)
		}
	}
	if strings.Contains(out.String(), "aside") {
		t.Errorf("Write lists an unchanged flow:\n%s", out.String())
	}
}

func TestReloadRefusesProblems(t *testing.T) {
	dir := reloadDir(t)
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	before := compiled(t, cat, "main", "SE")
	for _, tc := range []struct {
		name   string
		break_ func()
		want   string
	}{
		{"a flow", func() { rewrite(t, filepath.Join(dir, "main.yaml"), "go: done", "go: don") }, "main.yaml:14:11: unknown state don (did you mean done?)"},
		{"an overlay", func() { rewrite(t, filepath.Join(dir, "regions/north.yaml"), "wait: 2m", "wait: soon") }, "north.yaml:4:10: policy wait of flow main is a duration, not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := map[string][]byte{}
			for _, f := range []string{"main.yaml", "regions/north.yaml"} {
				saved[f], _ = os.ReadFile(filepath.Join(dir, f))
			}
			defer func() {
				for f, data := range saved {
					os.WriteFile(filepath.Join(dir, f), data, 0o644)
				}
			}()
			tc.break_()
			ch, err := cat.Reload(context.Background())
			var list yamlfile.ErrorList
			if !errors.As(err, &list) || ch == nil || ch.Applied || len(ch.Errors) != 1 || !strings.HasSuffix(ch.Errors[0], tc.want) {
				t.Fatalf("Reload = %+v, %v; want refused with %q", ch, err, tc.want)
			}
			if got := compiled(t, cat, "main", "SE"); got.Hash() != before.Hash() {
				t.Errorf("after a refused reload, Compiled = %s, want %s", got.Hash(), before.Hash())
			}
			if err := cat.Err(); err != nil {
				t.Errorf("after a refused reload, Err() = %v", err)
			}
		})
	}
	// A directory gone: refused, with the old set serving.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Reload(context.Background()); err == nil {
		t.Errorf("Reload of a removed directory succeeded")
	}
	if got := compiled(t, cat, "main", "SE"); got.Hash() != before.Hash() {
		t.Errorf("after a failed reload, Compiled = %s", got.Hash())
	}
}

func TestArchiveCompilesVersionsAgain(t *testing.T) {
	ctx := context.Background()
	dir, archiveDir := reloadDir(t), t.TempDir()
	archive, err := catalog.NewDirArchive(archiveDir)
	if err != nil {
		t.Fatal(err)
	}
	opts := catalog.Options{Registry: registry(t), Archive: archive}
	cat, err := catalog.Load(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	north := compiled(t, cat, "main", "NO")
	if err := cat.Hold(ctx, north.Flow, "s1"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(archiveDir, north.Hash()+".json"))
	if err != nil {
		t.Fatalf("the held version is not in the archive: %v", err)
	}
	var b catalog.Bundle
	if err := json.Unmarshal(data, &b); err != nil || b.Flow != "main" || len(b.Files) != 2 {
		t.Errorf("archived bundle: %+v, %v; want main and aside", b, err)
	}

	// The files change; a new process loads them; the archived version
	// comes back, the same to the hash, with the old policy and subflow.
	rewrite(t, filepath.Join(dir, "regions/north.yaml"), "wait: 2m", "wait: 3m")
	rewrite(t, filepath.Join(dir, "aside.yaml"), "ask: {choices: [back]}", "ask: {text: changed, choices: [back]}")
	fresh, err := catalog.Load(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fresh.Version(north.Hash()); ok {
		t.Fatal("a new catalog holds the old version before asking the archive")
	}
	fl, err := fresh.LoadVersion(ctx, north.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if fl.Hash() != north.Hash() || fl.Info().Policy["wait"] != north.Flow.Info().Policy["wait"] || fl.Subflows()["aside"].Hash() != north.Flow.Subflows()["aside"].Hash() {
		t.Errorf("LoadVersion = %s (wait %v), want %s (wait %v)", fl.Hash(), fl.Info().Policy["wait"], north.Hash(), north.Flow.Info().Policy["wait"])
	}
	if got := compiled(t, fresh, "main", "NO"); got.Hash() == north.Hash() {
		t.Errorf("the new files compile to the old hash")
	}
	// A session snapshot of the old version restores on it.
	s, err := north.Flow.Start(ctx, engine.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Restore(ctx, s.Snapshot(), engine.Ports{}); err != nil {
		t.Errorf("Restore on the archived version: %v", err)
	}

	// Without the archive, the old version is gone.
	bare, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.LoadVersion(ctx, north.Hash()); !errors.Is(err, catalog.ErrNoVersion) {
		t.Errorf("LoadVersion without an archive = %v, want ErrNoVersion", err)
	}

	// Pruning keeps what is current, held or in use, and nothing else.
	current := compiled(t, fresh, "main", "")
	if err := fresh.Hold(ctx, current.Flow, "s2"); err != nil {
		t.Fatal(err)
	}
	deleted, err := fresh.PruneArchive(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(deleted, []string{north.Hash()}) {
		t.Errorf("PruneArchive(nil) deleted %v, want %s", deleted, north.Hash())
	}
	if hashes, _ := archive.List(ctx); !reflect.DeepEqual(hashes, []string{current.Hash()}) {
		t.Errorf("the archive holds %v after pruning, want %s", hashes, current.Hash())
	}
}

func TestDirArchiveRefusesOtherNames(t *testing.T) {
	archive, err := catalog.NewDirArchive(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, h := range []string{"../../etc/passwd", "", "ABCDEF0123456789"} {
		if _, err := archive.Get(ctx, h); err == nil || errors.Is(err, catalog.ErrNoVersion) {
			t.Errorf("Get(%q) = %v, want a refusal of the name", h, err)
		}
		if err := archive.Put(ctx, &catalog.Bundle{Hash: h}); err == nil {
			t.Errorf("Put(%q) succeeded", h)
		}
	}
	if _, err := archive.Get(ctx, "0123456789abcdef"); !errors.Is(err, catalog.ErrNoVersion) {
		t.Errorf("Get of a missing version = %v, want ErrNoVersion", err)
	}
}

// TestReloadConcurrent runs reloads while sessions start, hold and let go
// of versions: under the race detector (.ci/run), it finds unguarded
// state; always, it checks that a version held by a session survives
// every reload until the session lets go.
func TestReloadConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := reloadDir(t)
	cat, err := catalog.Load(dir, catalog.Options{Registry: registry(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				c, err := cat.Compiled("main", []string{"", "NO"}[i%2])
				if err != nil {
					errs <- err
					return
				}
				id := string(rune('a'+w)) + strings.Repeat("x", i%3)
				if err := cat.Hold(ctx, c.Flow, id); err != nil {
					errs <- err
					return
				}
				if _, ok := cat.Version(c.Hash()); !ok {
					errs <- errors.New("a held version is gone")
					return
				}
				cat.Release(c.Hash(), id)
			}
		}()
	}
	for i := range 20 {
		os.WriteFile(filepath.Join(dir, "regions/north.yaml"), []byte(strings.Replace(reloadRegion, "2m", []string{"3m", "4m"}[i%2], 1)), 0o644)
		if _, err := cat.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
