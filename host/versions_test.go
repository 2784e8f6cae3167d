package host_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// The tests of this file run the shipped connect flow on the demo world,
// change flows/connect.yaml under it, and check which version each
// session runs on. A copy of connect.yaml is given the version label "1"
// first, as a flow under change would have.

// connected is a demo world and a session store that outlive the hosts
// and catalogs the tests make: the portal and the database of a server
// that restarts.
type connected struct {
	dir     string // the flows directory
	archive string // the version archive's directory
	world   *demo.World
	store   *memory.Store
	clock   *clock
}

func newConnected(t *testing.T) *connected {
	t.Helper()
	cx := &connected{dir: filepath.Join(t.TempDir(), "flows"), archive: filepath.Join(t.TempDir(), "versions"),
		store: memory.New(), clock: &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}}
	if err := os.CopyFS(cx.dir, os.DirFS("../flows")); err != nil {
		t.Fatal(err)
	}
	cx.edit(t, "flow: connect\n", "flow: connect\nversion: \"1\"\n")
	fx, err := demoportal.LoadFixture(filepath.Join(cx.dir, "demo", "portal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	devices := t.TempDir()
	cx.world, err = demo.New(fx, demo.Options{Now: cx.clock.Now, Seed: 1, Store: func(device string) actions.CredentialStore {
		return credstore.New(filepath.Join(devices, device+".json"))
	}})
	if err != nil {
		t.Fatal(err)
	}
	return cx
}

// edit replaces old by new in the copy of connect.yaml.
func (cx *connected) edit(t *testing.T, old, new string) {
	t.Helper()
	p := filepath.Join(cx.dir, "connect.yaml")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ReplaceAll(string(src), old, new)
	if out == string(src) {
		t.Fatalf("connect.yaml has no %q", old)
	}
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// process is what a server process holds: a catalog, with the archive or
// not, and a host over the shared store.
func (cx *connected) process(t *testing.T, archive bool) (*catalog.Catalog, *host.Host) {
	t.Helper()
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		t.Fatal(err)
	}
	opts := catalog.Options{Registry: reg}
	if archive {
		if opts.Archive, err = catalog.NewDirArchive(cx.archive); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := catalog.Load(cx.dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Err(); err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Config{Catalog: cat, Store: cx.store, Actions: cx.world.Actions, Now: cx.clock.Now, IdleTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return cat, h
}

// toCode starts a session of family@example.com in Germany and signs in:
// it waits at the SMS code prompt. code is the code it was sent.
func (cx *connected) toCode(t *testing.T, h *host.Host, device string) (v *host.View, code string) {
	t.Helper()
	v, err := h.Start(ctx, host.StartRequest{Flow: "connect", Country: "DE", Device: device})
	if err != nil {
		t.Fatal(err)
	}
	v = answerAs(t, h, v, "continue", map[string]any{"email": "family@example.com", "password": "Family-pass-2024"})
	if v.Step.State != "enter_code" {
		t.Fatalf("after signing in, the session is at %s, want enter_code", v.Step.State)
	}
	return v, cx.world.LastCode()
}

func answerAs(t *testing.T, h *host.Host, v *host.View, choice string, input map[string]any) *host.View {
	t.Helper()
	next, err := h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: choice, Input: input})
	if err != nil {
		t.Fatalf("answer %s at %s: %v", choice, v.Step.State, err)
	}
	return next
}

// finish answers the code, the consent and the choice of subscription,
// checking that every step stays on the version hash, and returns the
// texts of the prompts the session answered.
func (cx *connected) finish(t *testing.T, h *host.Host, v *host.View, code, hash string) []string {
	t.Helper()
	var texts []string
	for _, a := range []struct {
		state, choice string
		input         map[string]any
	}{
		{"enter_code", "continue", map[string]any{"code": code}},
		{"consent", "accept", nil},
		{"choose_subscription", "select", map[string]any{"licence": "LIC-FAM-F"}},
	} {
		if v.Step.State != a.state {
			t.Fatalf("the session is at %s, want %s", v.Step.State, a.state)
		}
		v = answerAs(t, h, v, a.choice, a.input)
		if v.Hash != hash {
			t.Fatalf("after %s, the session runs on %s, want %s", a.state, v.Hash, hash)
		}
		for _, e := range v.Entries {
			if e.Kind == eventlog.EntryAnswer {
				texts = append(texts, e.Prompt.Title.Text)
			}
		}
	}
	if !v.Done || v.Step.Outcome.Name != "connected" {
		t.Fatalf("the session ended %+v, want connected", v.Step)
	}
	return texts
}

const newCodeText = "Type the code we texted to"

func TestReloadKeepsSessionsInFlight(t *testing.T) {
	cx := newConnected(t)
	cat, h := cx.process(t, false)
	inFlight, code := cx.toCode(t, h, "dev-1")
	old := inFlight.Hash

	cx.edit(t, "Enter the code we sent to", newCodeText)
	cx.edit(t, "version: \"1\"", "version: \"2\"")
	ch, err := cat.Reload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fc *catalog.FlowChange
	for i := range ch.Flows {
		if ch.Flows[i].Flow == "connect" {
			fc = &ch.Flows[i]
		}
	}
	if !ch.Applied || fc == nil || fc.Change != "changed" || fc.OldVersion != "1" || fc.NewVersion != "2" || !strings.Contains(strings.Join(fc.Regions, ","), "eu-de") {
		t.Fatalf("Reload = %+v (connect: %+v)", ch, fc)
	}

	// A new session starts on the new version...
	fresh, freshCode := cx.toCode(t, h, "dev-2")
	if fresh.Hash == old || !strings.HasPrefix(fresh.Step.Prompt.Title.Text, newCodeText) {
		t.Errorf("a new session runs on %s with the prompt %q; want a new version, with the new text", fresh.Hash, fresh.Step.Prompt.Title.Text)
	}
	// ...and the one in flight finishes on the version it started on.
	if held := cat.Held(); held[old] != 1 {
		t.Errorf("Held() = %v, want the old version held by its session", held)
	}
	texts := cx.finish(t, h, inFlight, code, old)
	if !strings.HasPrefix(texts[0], "Enter the code we sent to") {
		t.Errorf("the session in flight was asked %q, want the old version's text", texts[0])
	}
	// Its version goes with it.
	if _, ok := cat.Version(old); ok {
		t.Errorf("the old version is still held after its last session ended: %v", cat.Held())
	}
	if _, ok := cat.Version(fresh.Hash); !ok {
		t.Errorf("the current version was dropped")
	}
	// Its outcome can still be read: an ended session is shown on the
	// current version.
	if v, err := h.Get(ctx, inFlight.ID); err != nil || !v.Done || v.Step.Outcome.Name != "connected" {
		t.Errorf("Get of the ended session after its version was dropped = %+v, %v", v, err)
	}
	cx.finish(t, h, fresh, freshCode, fresh.Hash)
}

func TestReloadRefusesBrokenFlows(t *testing.T) {
	cx := newConnected(t)
	cat, h := cx.process(t, false)
	inFlight, code := cx.toCode(t, h, "dev-1")

	cx.edit(t, "go: check_code\n", "go: check_cod\n")
	ch, err := cat.Reload(ctx)
	var list yamlfile.ErrorList
	if !errors.As(err, &list) || ch == nil || ch.Applied || len(ch.Errors) == 0 || !strings.Contains(ch.Errors[0], "unknown state check_cod (did you mean check_code?)") {
		t.Fatalf("Reload of a broken flow = %+v, %v; want it refused with the checker's errors", ch, err)
	}
	if err := cat.Err(); err != nil {
		t.Errorf("after a refused reload, Err() = %v", err)
	}
	fresh, _ := cx.toCode(t, h, "dev-2")
	if fresh.Hash != inFlight.Hash {
		t.Errorf("after a refused reload, a new session runs on %s, not %s", fresh.Hash, inFlight.Hash)
	}
	cx.finish(t, h, inFlight, code, inFlight.Hash)
}

func TestRestartFinishesOnArchivedVersion(t *testing.T) {
	cx := newConnected(t)
	_, h := cx.process(t, true)
	inFlight, code := cx.toCode(t, h, "dev-1")
	old := inFlight.Hash

	// The process stops; the file changes; a new process starts.
	cx.edit(t, "Enter the code we sent to", newCodeText)
	cx.edit(t, "version: \"1\"", "version: \"2\"")
	_, bare := cx.process(t, false)
	if _, err := bare.Get(ctx, inFlight.ID); !errors.Is(err, engine.ErrFlowChanged) || !errors.Is(err, engine.ErrNoMigration) {
		t.Fatalf("without the archive, Get = %v; want the session stranded (ErrNoMigration)", err)
	}
	cat, h2 := cx.process(t, true)
	v, err := h2.Get(ctx, inFlight.ID)
	if err != nil {
		t.Fatalf("with the archive, Get = %v", err)
	}
	if v.Hash != old || !strings.HasPrefix(v.Step.Prompt.Title.Text, "Enter the code we sent to") {
		t.Errorf("restored on %s with the prompt %q, want the archived version %s and its text", v.Hash, v.Step.Prompt.Title.Text, old)
	}
	if cat.Held()[old] != 1 {
		t.Errorf("Held() = %v, want the archived version held", cat.Held())
	}
	cx.finish(t, h2, v, code, old)
}

func TestRestartMigratesSessions(t *testing.T) {
	cx := newConnected(t)
	_, h := cx.process(t, false)
	inFlight, code := cx.toCode(t, h, "dev-1")

	// The new version renames the code prompt and says how sessions
	// waiting at it move. No archive: only the migration can save them.
	cx.edit(t, "enter_code", "enter_sms_code")
	cx.edit(t, "version: \"1\"\n", "version: \"2\"\nmigrate:\n  - from: \"1\"\n    states: {enter_code: enter_sms_code}\n")
	cat, h2 := cx.process(t, false)
	v, err := h2.Get(ctx, inFlight.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := cat.Compiled("connect", "DE")
	if err != nil {
		t.Fatal(err)
	}
	if v.Hash != cur.Hash() || v.Step.State != "enter_sms_code" {
		t.Fatalf("after the restart, the session is at %s on %s, want enter_sms_code on %s", v.Step.State, v.Hash, cur.Hash())
	}
	// The code sent before the restart still works: the step is taken on
	// the new version, and saved there.
	v = answerAs(t, h2, v, "continue", map[string]any{"code": code})
	if v.Step.State != "consent" || v.Hash != cur.Hash() {
		t.Fatalf("after the code, the session is at %s on %s", v.Step.State, v.Hash)
	}
	rec, err := cx.store.Load(ctx, v.ID)
	if err != nil || rec.Hash != cur.Hash() {
		t.Errorf("the store has the session on %v (%v), want %s", rec.Hash, err, cur.Hash())
	}
}

// A session left in flight on an old version, expired and reaped, lets go
// of its version: the catalog does not keep it, nor the session's hold, for
// as long as the process runs.
func TestReapReleasesVersions(t *testing.T) {
	cx := newConnected(t)
	cat, h := cx.process(t, false)
	abandoned, _ := cx.toCode(t, h, "dev-1")
	old := abandoned.Hash
	cx.edit(t, "Enter the code we sent to", newCodeText)
	if _, err := cat.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	current, _ := cx.toCode(t, h, "dev-2")
	if held := cat.Held(); held[old] != 1 || held[current.Hash] != 1 {
		t.Fatalf("Held() = %v, want the old version and the current one held by a session each", held)
	}
	// An hour without a step: both expire; Reap deletes them.
	cx.clock.add(time.Hour)
	if n, err := h.Reap(ctx, 10); n != 2 || err != nil {
		t.Fatalf("Reap = %d, %v, want 2", n, err)
	}
	if _, ok := cat.Version(old); ok {
		t.Errorf("the old version is still kept after its last session was reaped: %v", cat.Held())
	}
	if held := cat.Held(); held[current.Hash] != 0 {
		t.Errorf("Held() = %v, want the current version kept with no session holding it", held)
	}
}

// Pruning keeps the version a session in flight needs, even one a reload
// left behind and a restarted process has never held (the store says the
// session needs it), and deletes it once the session has ended.
func TestPruneVersions(t *testing.T) {
	cx := newConnected(t)
	cat, h := cx.process(t, true)
	inFlight, code := cx.toCode(t, h, "dev-1")
	old := inFlight.Hash
	cx.edit(t, "Enter the code we sent to", newCodeText)
	if _, err := cat.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, _ := cx.toCode(t, h, "dev-2")
	archived := func() []string {
		t.Helper()
		a, err := catalog.NewDirArchive(cx.archive)
		if err != nil {
			t.Fatal(err)
		}
		hashes, err := a.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return hashes
	}
	if got := archived(); !slices.Contains(got, old) || !slices.Contains(got, fresh.Hash) {
		t.Fatalf("archive = %v, want both versions", got)
	}
	_, restarted := cx.process(t, true)
	if gone, err := restarted.PruneVersions(ctx); err != nil || len(gone) != 0 {
		t.Errorf("PruneVersions after a restart, with a session on each version = %v, %v; want nothing deleted", gone, err)
	}
	cx.finish(t, restarted, inFlight, code, old)
	if gone, err := restarted.PruneVersions(ctx); err != nil || !slices.Equal(gone, []string{old}) {
		t.Errorf("PruneVersions once the old version's session ended = %v, %v; want [%s]", gone, err, old)
	}
	if got := archived(); !slices.Equal(got, []string{fresh.Hash}) {
		t.Errorf("archive after pruning = %v, want [%s]", got, fresh.Hash)
	}
}
