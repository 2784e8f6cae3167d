// Package storetest is the contract every session store keeps: one suite,
// run against the memory, SQLite and PostgreSQL stores, so that the host
// can count on the same behaviour from each.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) host.ServerStore { return memory.New() })
//	}
//
// It also holds what the stores' crash tests and benchmarks share: Crash
// kills a process that is saving and checks what survived, and Workload
// builds the commits of benchmark P3.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// EffectLister is what the suite needs of a store beyond host.ServerStore:
// the effects a session's commits recorded, in the order they were saved,
// or an error wrapping host.ErrNotFound for an unknown session. The port
// has no reader of effects (the host only writes them), so a store shows
// them to its tests through this method.
type EffectLister interface {
	Effects(ctx context.Context, id string) ([]host.Effect, error)
}

// DeviceRecorder keeps each device's records (its saved connections), so
// that any instance sharing the store serves any device. Every store
// implements it; the server's device credential stores are built on it.
type DeviceRecorder interface {
	DeviceRecords(ctx context.Context, device string) (map[string][]byte, error)
	PutDeviceRecord(ctx context.Context, device, name string, data []byte) error
	AddDeviceRecord(ctx context.Context, device, name string, data []byte) ([]byte, error)
	DropDeviceRecord(ctx context.Context, device, name string, data []byte) (bool, error)
}

// Store is what the suite tests.
type Store interface {
	host.ServerStore
	EffectLister
	DeviceRecorder
}

// Run runs the contract suite. newStore returns a new, empty store for
// each subtest; Run closes it at the end of the subtest. A store that does
// not implement EffectLister fails the suite.
func Run(t *testing.T, newStore func(t *testing.T) host.ServerStore) {
	open := func(t *testing.T) Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
		es, ok := s.(Store)
		if !ok {
			t.Fatalf("store %T has no Effects method (storetest.EffectLister) or no device records (storetest.DeviceRecorder)", s)
		}
		return es
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"Unknown", testUnknown},
		{"CreateLoad", testCreateLoad},
		{"ZeroFields", testZeroFields},
		{"Update", testUpdate},
		{"CreateTwice", testCreateTwice},
		{"VersionMoves", testVersionMoves},
		{"StaleVersion", testStaleVersion},
		{"RaceFromSamePrev", testRaceFromSamePrev},
		{"LogAfter", testLogAfter},
		{"Requests", testRequests},
		{"Recall", testRecall},
		{"ManyRequests", testManyRequests},
		{"DeviceRecords", testDeviceRecords},
		{"ClaimDue", testClaimDue},
		{"ClaimEndsOnSave", testClaimEndsOnSave},
		{"ClaimConcurrent", testClaimConcurrent},
		{"Reap", testReap},
		{"IDForms", testIDForms},
		{"Hashes", testHashes},
		{"Cancelled", testCancelled},
		{"ManySavers", testManySavers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

// t0 is a time with nanoseconds, outside UTC, so that a store that drops
// either is caught.
var t0 = time.Date(2026, 3, 29, 9, 30, 15, 123456789, time.FixedZone("CEST", 2*60*60))

// commit is a commit to id from prev to next: one log entry per version
// in between, one effect and a request, all marked with tag so that whose
// commit wrote what can be told apart.
func commit(id string, prev, next int, tag string) *host.Commit {
	c := &host.Commit{
		Prev: prev,
		Record: host.Record{
			ID: id, Version: next,
			Flow: "connect", Region: "DE", Hash: "h-" + tag,
			Due:     t0.Add(time.Duration(next) * time.Minute),
			Expires: t0.Add(time.Hour),
			Updated: t0.Add(time.Duration(next) * time.Second),
			Data:    fmt.Appendf(nil, "session %s v%d %s\x00\xff", id, next, tag),
		},
		Effects: []host.Effect{{Key: id + "/" + tag, Kind: "sms", Data: []byte("effect " + tag)}},
		Request: &host.Request{Key: "req-" + tag, Digest: []byte("digest " + tag + "\x00\xff"), Response: []byte("response " + tag)},
	}
	for seq := prev + 1; seq <= next; seq++ {
		c.Entries = append(c.Entries, host.LogEntry{Seq: seq, Data: fmt.Appendf(nil, `{"seq":%d,"tag":%q}`, seq, tag)})
	}
	return c
}

func save(t *testing.T, s host.Store, c *host.Commit) {
	t.Helper()
	if err := s.Save(context.Background(), c); err != nil {
		t.Fatalf("Save(%s, prev %d) = %v", c.Record.ID, c.Prev, err)
	}
}

func load(t *testing.T, s host.Store, id string) *host.Record {
	t.Helper()
	r, err := s.Load(context.Background(), id)
	if err != nil {
		t.Fatalf("Load(%s) = %v", id, err)
	}
	return r
}

func logOf(t *testing.T, s host.LogStore, id string, after int) []host.LogEntry {
	t.Helper()
	l, err := s.Log(context.Background(), id, after)
	if err != nil {
		t.Fatalf("Log(%s, %d) = %v", id, after, err)
	}
	return l
}

func effectsOf(t *testing.T, s EffectLister, id string) []host.Effect {
	t.Helper()
	e, err := s.Effects(context.Background(), id)
	if err != nil {
		t.Fatalf("Effects(%s) = %v", id, err)
	}
	return e
}

func response(t *testing.T, s host.ServerStore, id, key string) ([]byte, bool) {
	t.Helper()
	_, r, err := s.Recall(context.Background(), id, key)
	if errors.Is(err, host.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("Recall(%s, %s) = %v", id, key, err)
	}
	if r == nil {
		return nil, false
	}
	if r.Key != key {
		t.Errorf("Recall(%s, %s) returned the request of key %s", id, key, r.Key)
	}
	return r.Response, true
}

func claim(t *testing.T, s host.ServerStore, now time.Time, lease time.Duration, limit int) []string {
	t.Helper()
	ids, err := s.ClaimDue(context.Background(), now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDue(%v, %v, %d) = %v", now, lease, limit, err)
	}
	return ids
}

// sameRecord reports how got differs from want, "" when it does not.
func sameRecord(got, want *host.Record) string {
	var diffs []string
	field := func(name string, g, w any) {
		diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, g, w))
	}
	if got.ID != want.ID {
		field("ID", got.ID, want.ID)
	}
	if got.Version != want.Version {
		field("Version", got.Version, want.Version)
	}
	if got.Flow != want.Flow || got.Region != want.Region || got.Hash != want.Hash {
		field("Flow, Region, Hash", []string{got.Flow, got.Region, got.Hash}, []string{want.Flow, want.Region, want.Hash})
	}
	if got.Done != want.Done {
		field("Done", got.Done, want.Done)
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{{"Due", got.Due, want.Due}, {"Expires", got.Expires, want.Expires}, {"Updated", got.Updated, want.Updated}} {
		if !f.got.Equal(f.want) || f.got.IsZero() != f.want.IsZero() {
			field(f.name, f.got, f.want)
		}
	}
	if !bytes.Equal(got.Data, want.Data) {
		field("Data", fmt.Sprintf("%q", got.Data), fmt.Sprintf("%q", want.Data))
	}
	return strings.Join(diffs, "; ")
}

func sameEntries(got, want []host.LogEntry) bool {
	return slices.EqualFunc(got, want, func(a, b host.LogEntry) bool {
		return a.Seq == b.Seq && bytes.Equal(a.Data, b.Data)
	})
}

func sameEffects(got, want []host.Effect) bool {
	return slices.EqualFunc(got, want, func(a, b host.Effect) bool {
		return a.Key == b.Key && a.Kind == b.Kind && bytes.Equal(a.Data, b.Data)
	})
}

func show(l []host.LogEntry) string {
	var b strings.Builder
	for _, e := range l {
		fmt.Fprintf(&b, "%d:%q ", e.Seq, e.Data)
	}
	return "[" + strings.TrimSpace(b.String()) + "]"
}

func seqs(l []host.LogEntry) []int {
	out := make([]int, len(l))
	for i, e := range l {
		out[i] = e.Seq
	}
	return out
}

func testUnknown(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Load(ctx, "nobody"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Load(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Log(ctx, "nobody", 0); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Log(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Effects(ctx, "nobody"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Effects(unknown) = %v, want ErrNotFound", err)
	}
	if rec, r, err := s.Recall(ctx, "nobody", "k"); !errors.Is(err, host.ErrNotFound) || rec != nil || r != nil {
		t.Errorf("Recall(unknown) = %v, %v, %v, want ErrNotFound", rec, r, err)
	}
}

func testCreateLoad(t *testing.T, s Store) {
	c := commit("s1", 0, 3, "a")
	c.Effects = append(c.Effects, host.Effect{Key: "s1/second", Kind: "consent", Data: []byte{0, 1, 2}})
	save(t, s, c)
	got := load(t, s, "s1")
	if d := sameRecord(got, &c.Record); d != "" {
		t.Errorf("Load after create: %s", d)
	}
	if l := logOf(t, s, "s1", 0); !sameEntries(l, c.Entries) {
		t.Errorf("Log = %s, want %s", show(l), show(c.Entries))
	}
	if e := effectsOf(t, s, "s1"); !sameEffects(e, c.Effects) {
		t.Errorf("Effects = %q, want %q", e, c.Effects)
	}
	if r, ok := response(t, s, "s1", "req-a"); !ok || string(r) != "response a" {
		t.Errorf("Response(req-a) = %q, %v, want %q, true", r, ok, "response a")
	}
	// The record handed back is the caller's: changing it changes nothing
	// stored, and neither does changing the commit after Save.
	got.Data[0] = 'X'
	c.Record.Data[1] = 'Y'
	if again := load(t, s, "s1"); !bytes.HasPrefix(again.Data, []byte("session s1")) {
		t.Errorf("Load after changing returned and saved bytes: Data = %q", again.Data)
	}
}

func testZeroFields(t *testing.T, s Store) {
	c := &host.Commit{Record: host.Record{ID: "z", Version: 1, Done: true}}
	save(t, s, c)
	got := load(t, s, "z")
	if d := sameRecord(got, &c.Record); d != "" {
		t.Errorf("Load: %s", d)
	}
	if len(got.Data) != 0 {
		t.Errorf("Data = %q, want empty", got.Data)
	}
	if l := logOf(t, s, "z", 0); len(l) != 0 {
		t.Errorf("Log = %v, want none", seqs(l))
	}
	if e := effectsOf(t, s, "z"); len(e) != 0 {
		t.Errorf("Effects = %q, want none", e)
	}
}

func testUpdate(t *testing.T, s Store) {
	first := commit("s1", 0, 2, "a")
	save(t, s, first)
	second := commit("s1", 2, 5, "b")
	second.Record.Flow, second.Record.Region, second.Record.Done = "signup", "BR", true
	second.Record.Due, second.Record.Expires = time.Time{}, time.Time{}
	save(t, s, second)
	if d := sameRecord(load(t, s, "s1"), &second.Record); d != "" {
		t.Errorf("Load after update: %s", d)
	}
	if l, want := logOf(t, s, "s1", 0), append(slices.Clone(first.Entries), second.Entries...); !sameEntries(l, want) {
		t.Errorf("Log = %s, want %s", show(l), show(want))
	}
	if e, want := effectsOf(t, s, "s1"), append(slices.Clone(first.Effects), second.Effects...); !sameEffects(e, want) {
		t.Errorf("Effects = %q, want %q", e, want)
	}
	for _, key := range []string{"req-a", "req-b"} {
		if _, ok := response(t, s, "s1", key); !ok {
			t.Errorf("Response(%s) missing after two commits", key)
		}
	}
}

// notWritten checks that nothing of c, a commit refused, is in s: its
// entries, effects and request.
func notWritten(t *testing.T, s Store, c *host.Commit) {
	t.Helper()
	id := c.Record.ID
	tag := fmt.Appendf(nil, `"tag":%q`, strings.TrimPrefix(c.Record.Hash, "h-"))
	if _, ok := response(t, s, id, c.Request.Key); ok {
		t.Errorf("the refused commit's request %s was remembered", c.Request.Key)
	}
	l, err := s.Log(context.Background(), id, 0)
	if err != nil && !errors.Is(err, host.ErrNotFound) {
		t.Fatal(err)
	}
	for _, e := range l {
		if bytes.Contains(e.Data, tag) {
			t.Errorf("the refused commit's log entry %d was written: %s", e.Seq, e.Data)
		}
	}
	effects, err := s.Effects(context.Background(), id)
	if err != nil && !errors.Is(err, host.ErrNotFound) {
		t.Fatal(err)
	}
	for _, e := range effects {
		if e.Key == c.Effects[0].Key {
			t.Errorf("the refused commit's effect %s was written", e.Key)
		}
	}
}

func testCreateTwice(t *testing.T, s Store) {
	first := commit("s1", 0, 1, "a")
	save(t, s, first)
	second := commit("s1", 0, 1, "b")
	if err := s.Save(context.Background(), second); !errors.Is(err, host.ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	if d := sameRecord(load(t, s, "s1"), &first.Record); d != "" {
		t.Errorf("the first record changed: %s", d)
	}
	notWritten(t, s, second)
}

// testVersionMoves checks that a commit must move the version forward:
// were a save allowed to leave it where it was, two steps could both save
// from it.
func testVersionMoves(t *testing.T, s Store) {
	save(t, s, commit("s1", 0, 2, "a"))
	for _, c := range []*host.Commit{commit("s1", 2, 2, "same"), commit("s1", 2, 1, "back"), commit("new", 0, 0, "zero")} {
		err := s.Save(context.Background(), c)
		if err == nil || errors.Is(err, host.ErrConflict) {
			t.Errorf("Save(%s) from %d to version %d = %v, want an error that is not ErrConflict", c.Record.ID, c.Prev, c.Record.Version, err)
		}
		notWritten(t, s, c)
	}
	if r := load(t, s, "s1"); r.Version != 2 || r.Hash != "h-a" {
		t.Errorf("Load(s1) = version %d %s, want 2 h-a", r.Version, r.Hash)
	}
	if _, err := s.Load(context.Background(), "new"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Load(new) after a refused create at version 0 = %v, want ErrNotFound", err)
	}
}

func testStaleVersion(t *testing.T, s Store) {
	save(t, s, commit("s1", 0, 2, "a"))
	save(t, s, commit("s1", 2, 4, "b"))
	for _, prev := range []int{2, 3, 5} {
		stale := commit("s1", prev, 6, fmt.Sprintf("stale%d", prev))
		if err := s.Save(context.Background(), stale); !errors.Is(err, host.ErrConflict) {
			t.Errorf("Save from version %d of a session at 4 = %v, want ErrConflict", prev, err)
		}
		notWritten(t, s, stale)
	}
	if r := load(t, s, "s1"); r.Version != 4 || r.Hash != "h-b" {
		t.Errorf("Load = version %d %s, want 4 h-b", r.Version, r.Hash)
	}
	ghost := commit("ghost", 3, 4, "g")
	if err := s.Save(context.Background(), ghost); !errors.Is(err, host.ErrConflict) {
		t.Errorf("Save from version 3 of an unknown session = %v, want ErrConflict", err)
	}
	if _, err := s.Load(context.Background(), "ghost"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Load(ghost) after a refused save = %v, want ErrNotFound", err)
	}
}

func testRaceFromSamePrev(t *testing.T, s Store) {
	const rounds, savers = 10, 6
	save(t, s, commit("s1", 0, 1, "start"))
	for round := range rounds {
		prev := 1 + round*2
		commits := make([]*host.Commit, savers)
		errs := make([]error, savers)
		var wg sync.WaitGroup
		for i := range savers {
			commits[i] = commit("s1", prev, prev+2, fmt.Sprintf("r%dsaver%d", round, i))
			wg.Go(func() { errs[i] = s.Save(context.Background(), commits[i]) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: savers %d and %d both saved from version %d", round, winner, i, prev)
			case err == nil:
				winner = i
			case !errors.Is(err, host.ErrConflict):
				t.Fatalf("round %d: saver %d: %v, want nil or ErrConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no saver won", round)
		}
		if d := sameRecord(load(t, s, "s1"), &commits[winner].Record); d != "" {
			t.Errorf("round %d: stored record is not the winner's: %s", round, d)
		}
		if l := logOf(t, s, "s1", prev); !sameEntries(l, commits[winner].Entries) {
			t.Errorf("round %d: Log after %d = %s, want the winner's %s", round, prev, show(l), show(commits[winner].Entries))
		}
		for i, c := range commits {
			if i != winner {
				notWritten(t, s, c)
			}
		}
	}
	if e := effectsOf(t, s, "s1"); len(e) != 1+rounds {
		t.Errorf("%d effects, want %d: one per winning commit", len(e), 1+rounds)
	}
}

func testLogAfter(t *testing.T, s Store) {
	var all []host.LogEntry
	for v := 0; v < 9; v += 3 {
		c := commit("s1", v, v+3, fmt.Sprint(v))
		save(t, s, c)
		all = append(all, c.Entries...)
	}
	save(t, s, commit("other", 0, 4, "o"))
	for after := -1; after <= 10; after++ {
		want := all[min(max(after, 0), len(all)):]
		if got := logOf(t, s, "s1", after); !sameEntries(got, want) {
			t.Errorf("Log(after %d) = %v, want %v", after, seqs(got), seqs(want))
		}
	}
}

func testRequests(t *testing.T, s Store) {
	first := commit("s1", 0, 1, "a")
	save(t, s, first)
	// The same key in another session is another request.
	save(t, s, commit("s2", 0, 1, "a"))
	dup := commit("s1", 1, 2, "b")
	dup.Request = &host.Request{Key: "req-a", Response: []byte("second response")}
	if err := s.Save(context.Background(), dup); !errors.Is(err, host.ErrConflict) {
		t.Fatalf("Save with a used request key = %v, want ErrConflict", err)
	}
	if r, ok := response(t, s, "s1", "req-a"); !ok || string(r) != "response a" {
		t.Errorf("Response(req-a) = %q, %v, want the first response", r, ok)
	}
	if v := load(t, s, "s1").Version; v != 1 {
		t.Errorf("version = %d after a refused duplicate request, want 1", v)
	}
	if l := logOf(t, s, "s1", 1); len(l) != 0 {
		t.Errorf("Log after 1 = %v, want nothing of the refused commit", seqs(l))
	}
	if e := effectsOf(t, s, "s1"); len(e) != 1 {
		t.Errorf("%d effects, want 1: the refused commit's effect was written", len(e))
	}
	// A commit without a request remembers nothing and refuses nothing.
	plain := commit("s1", 1, 2, "c")
	plain.Request = nil
	save(t, s, plain)
	if _, ok := response(t, s, "s1", "req-c"); ok {
		t.Error("a commit without a request remembered one")
	}
	empty := commit("s1", 2, 3, "d")
	empty.Request.Response = nil
	save(t, s, empty)
	if r, ok := response(t, s, "s1", "req-d"); !ok || len(r) != 0 {
		t.Errorf("Response(req-d) = %q, %v, want an empty response, true", r, ok)
	}
}

// A long session remembers every request it answered: each of 40 is
// recalled as saved, and a repeat of any, early or late, is refused.
func testManyRequests(t *testing.T, s Store) {
	ctx := context.Background()
	const n = 40
	var cs []*host.Commit
	for v := range n {
		c := commit("s1", v, v+1, fmt.Sprint("k", v))
		save(t, s, c)
		cs = append(cs, c)
	}
	for _, c := range cs {
		_, r, err := s.Recall(ctx, "s1", c.Request.Key)
		if err != nil || r == nil || !bytes.Equal(r.Response, c.Request.Response) || !bytes.Equal(r.Digest, c.Request.Digest) {
			t.Fatalf("Recall(s1, %s) = %+v, %v, want %+v", c.Request.Key, r, err, c.Request)
		}
	}
	if _, r, err := s.Recall(ctx, "s1", "req-k40"); err != nil || r != nil {
		t.Errorf("Recall(s1, req-k40) = %+v, %v, want no request", r, err)
	}
	for _, k := range []int{0, 7, 8, 9, n - 1} {
		again := commit("s1", n, n+1, fmt.Sprint("k", k))
		if err := s.Save(ctx, again); !errors.Is(err, host.ErrConflict) {
			t.Errorf("Save repeating request req-k%d = %v, want ErrConflict", k, err)
		}
	}
}

// Recall reads the record as Load does, with the request remembered
// under the key, digest and response as saved, and no request for a key
// the session was not asked under (another session's included).
func testRecall(t *testing.T, s Store) {
	ctx := context.Background()
	first := commit("s1", 0, 2, "a")
	save(t, s, first)
	second := commit("s1", 2, 3, "b")
	save(t, s, second)
	save(t, s, commit("s2", 0, 1, "c"))
	for _, c := range []*host.Commit{first, second} {
		rec, r, err := s.Recall(ctx, "s1", c.Request.Key)
		if err != nil {
			t.Fatalf("Recall(s1, %s) = %v", c.Request.Key, err)
		}
		if d := sameRecord(rec, &second.Record); d != "" {
			t.Errorf("Recall(s1, %s) record: %s", c.Request.Key, d)
		}
		if r == nil || r.Key != c.Request.Key || !bytes.Equal(r.Digest, c.Request.Digest) || !bytes.Equal(r.Response, c.Request.Response) {
			t.Errorf("Recall(s1, %s) request = %+v, want %+v", c.Request.Key, r, c.Request)
		}
	}
	for _, key := range []string{"req-c", "nope", ""} {
		rec, r, err := s.Recall(ctx, "s1", key)
		if err != nil || r != nil || rec == nil || rec.Version != 3 {
			t.Errorf("Recall(s1, %q) = %v, %+v, %v; want the record and no request", key, rec, r, err)
		}
	}
	// The record handed back is the caller's.
	rec, _, _ := s.Recall(ctx, "s1", "req-a")
	rec.Data[0] = 'X'
	if again := load(t, s, "s1"); !bytes.HasPrefix(again.Data, []byte("session s1")) {
		t.Errorf("Load after changing Recall's bytes: Data = %q", again.Data)
	}
}

// Device records are kept per device and name, a put replacing the
// record of its name only, bytes as given.
func testDeviceRecords(t *testing.T, s Store) {
	ctx := context.Background()
	get := func(device string) map[string][]byte {
		t.Helper()
		m, err := s.DeviceRecords(ctx, device)
		if err != nil {
			t.Fatalf("DeviceRecords(%s) = %v", device, err)
		}
		return m
	}
	put := func(device, name, data string) {
		t.Helper()
		if err := s.PutDeviceRecord(ctx, device, name, []byte(data)); err != nil {
			t.Fatalf("PutDeviceRecord(%s, %s) = %v", device, name, err)
		}
	}
	if m := get("d1"); len(m) != 0 {
		t.Errorf("DeviceRecords of a device with none = %q, want none", m)
	}
	put("d1", "tether", "first\x00\xff")
	put("d1", "vendor-mail", "mail")
	put("d2", "tether", "other device")
	put("d1", "tether", "second")
	want := map[string]string{"tether": "second", "vendor-mail": "mail"}
	m := get("d1")
	if len(m) != len(want) {
		t.Errorf("DeviceRecords(d1) = %q, want %q", m, want)
	}
	for name, data := range want {
		if string(m[name]) != data {
			t.Errorf("DeviceRecords(d1)[%s] = %q, want %q", name, m[name], data)
		}
	}
	if m := get("d2"); len(m) != 1 || string(m["tether"]) != "other device" {
		t.Errorf("DeviceRecords(d2) = %q, want only its own record", m)
	}
	m["tether"][0] = 'X'
	if again := get("d1"); string(again["tether"]) != "second" {
		t.Errorf("changing returned bytes changed the store: %q", again["tether"])
	}
	put("d3", "empty", "")
	if m := get("d3"); len(m) != 1 || m["empty"] == nil || len(m["empty"]) != 0 {
		t.Errorf("DeviceRecords(d3) = %q, want one empty record", m)
	}
	// AddDeviceRecord keeps the first record of a name: many at once, one
	// wins, and each gets it back.
	kept := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range kept {
		wg.Go(func() {
			b, err := s.AddDeviceRecord(ctx, "d4", "#key", fmt.Appendf(nil, "key %d", i))
			if err != nil {
				t.Errorf("AddDeviceRecord = %v", err)
			}
			kept[i] = b
		})
	}
	wg.Wait()
	for _, b := range kept[1:] {
		if !bytes.Equal(b, kept[0]) {
			t.Errorf("AddDeviceRecord gave %q and %q: two records of one name", kept[0], b)
		}
	}
	if m := get("d4"); len(m) != 1 || !bytes.Equal(m["#key"], kept[0]) {
		t.Errorf("DeviceRecords(d4) = %q, want the one record AddDeviceRecord kept, %q", m, kept[0])
	}
	if b, err := s.AddDeviceRecord(ctx, "d1", "tether", []byte("third")); err != nil || string(b) != "second" {
		t.Errorf("AddDeviceRecord over a saved record = %q, %v; want the saved one", b, err)
	}
	// DropDeviceRecord removes a record only while it holds what the
	// caller added: a record another caller replaced stays.
	if ok, err := s.DropDeviceRecord(ctx, "d1", "tether", []byte("first")); err != nil || ok {
		t.Errorf("DropDeviceRecord of other bytes = %v, %v; want false, nothing dropped", ok, err)
	}
	if ok, err := s.DropDeviceRecord(ctx, "d9", "tether", []byte("second")); err != nil || ok {
		t.Errorf("DropDeviceRecord of another device's record = %v, %v; want false", ok, err)
	}
	if ok, err := s.DropDeviceRecord(ctx, "d1", "tether", []byte("second")); err != nil || !ok {
		t.Errorf("DropDeviceRecord = %v, %v; want true", ok, err)
	}
	if m := get("d1"); len(m) != 1 || string(m["vendor-mail"]) != "mail" {
		t.Errorf("DeviceRecords(d1) after the drop = %q, want vendor-mail's only", m)
	}
	if b, err := s.AddDeviceRecord(ctx, "d1", "tether", []byte("third")); err != nil || string(b) != "third" {
		t.Errorf("AddDeviceRecord after the drop = %q, %v; want the new record", b, err)
	}
}

// timers saves sessions whose Due is the given offset from t0 (nil: no
// timer; done ones are done).
func timers(t *testing.T, s host.Store, due map[string]time.Duration, done ...string) {
	t.Helper()
	for id, d := range due {
		c := commit(id, 0, 1, id)
		c.Record.Due = t0.Add(d)
		c.Record.Done = slices.Contains(done, id)
		save(t, s, c)
	}
}

func testClaimDue(t *testing.T, s Store) {
	now := t0.Add(10 * time.Minute)
	timers(t, s, map[string]time.Duration{
		"a":      5 * time.Minute,
		"b":      9 * time.Minute,
		"c":      10 * time.Minute, // due exactly now
		"early":  -time.Hour,
		"future": 10*time.Minute + time.Nanosecond,
		"done":   -2 * time.Hour,
	}, "done")
	none := commit("none", 0, 1, "none")
	none.Record.Due = time.Time{}
	save(t, s, none)

	if got := claim(t, s, now, time.Minute, 0); len(got) != 0 {
		t.Errorf("ClaimDue(limit 0) = %v, want nothing", got)
	}
	if got, want := claim(t, s, now, time.Minute, 3), []string{"early", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("ClaimDue(limit 3) = %v, want %v", got, want)
	}
	if got, want := claim(t, s, now, time.Minute, 10), []string{"c"}; !slices.Equal(got, want) {
		t.Errorf("second ClaimDue = %v, want %v", got, want)
	}
	// Within the lease only "future", due meanwhile, is claimed.
	if got, want := claim(t, s, now.Add(time.Minute-time.Nanosecond), time.Minute, 10), []string{"future"}; !slices.Equal(got, want) {
		t.Errorf("ClaimDue within the lease = %v, want %v", got, want)
	}
	// The first lease over, those it claimed are claimable again; "future"
	// is still within its own.
	later := now.Add(time.Minute)
	if got, want := claim(t, s, later, time.Minute, 10), []string{"early", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("ClaimDue after the lease = %v, want %v", got, want)
	}
	if got := claim(t, s, later, time.Minute, 10); len(got) != 0 {
		t.Errorf("ClaimDue within the new lease = %v, want nothing", got)
	}
}

func testClaimEndsOnSave(t *testing.T, s Store) {
	now := t0.Add(10 * time.Minute)
	timers(t, s, map[string]time.Duration{"a": time.Minute, "b": 2 * time.Minute})
	if got := claim(t, s, now, time.Hour, 10); len(got) != 2 {
		t.Fatalf("ClaimDue = %v, want a and b", got)
	}
	// The step the claim was for saves the session with its timer still
	// due (it fired one of two): the session can be claimed again at once.
	c := commit("a", 1, 2, "a2")
	c.Record.Due = t0.Add(time.Minute)
	save(t, s, c)
	if got, want := claim(t, s, now, time.Hour, 10), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("ClaimDue after saving a = %v, want %v", got, want)
	}
	// Done, it is never due again.
	c = commit("a", 2, 3, "a3")
	c.Record.Due, c.Record.Done = t0, true
	save(t, s, c)
	if got := claim(t, s, now.Add(2*time.Hour), time.Hour, 10); !slices.Equal(got, []string{"b"}) {
		t.Errorf("ClaimDue after a is done = %v, want [b]", got)
	}
}

func testClaimConcurrent(t *testing.T, s Store) {
	const sessions, claimers = 40, 8
	due := map[string]time.Duration{}
	for i := range sessions {
		due[fmt.Sprintf("s%02d", i)] = time.Duration(i) * time.Second
	}
	timers(t, s, due)
	now := t0.Add(time.Hour)
	got := make([][]string, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			for {
				ids, err := s.ClaimDue(context.Background(), now, time.Hour, 3)
				if err != nil || len(ids) == 0 {
					errs[i] = err
					return
				}
				got[i] = append(got[i], ids...)
			}
		})
	}
	wg.Wait()
	by := map[string]int{}
	for i, ids := range got {
		if errs[i] != nil {
			t.Errorf("claimer %d: %v", i, errs[i])
		}
		for _, id := range ids {
			if j, dup := by[id]; dup {
				t.Errorf("claimers %d and %d both got %s within one lease", j, i, id)
			}
			by[id] = i
		}
	}
	if len(by) != sessions {
		t.Errorf("%d sessions claimed, want all %d", len(by), sessions)
	}
}

// Hashes lists the versions of the sessions not ended, each once: an
// ended session, and a session that ended in a later save, no longer count.
func testHashes(t *testing.T, s Store) {
	ctx := context.Background()
	if got, err := s.Hashes(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Hashes of an empty store = %v, %v", got, err)
	}
	for _, id := range []string{"a1", "a2", "c", "b", "ends"} {
		c := commit(id, 0, 2, id)
		c.Record.Hash = map[string]string{"a1": "h-a", "a2": "h-a", "c": "h-c", "b": "h-b", "ends": "h-e"}[id]
		c.Record.Done = id == "b"
		save(t, s, c)
	}
	ended := commit("ends", 2, 3, "ends-2")
	ended.Record.Hash, ended.Record.Done = "h-e", true
	save(t, s, ended)
	if got, err := s.Hashes(ctx); err != nil || !slices.Equal(got, []string{"h-a", "h-c"}) {
		t.Errorf("Hashes = %v, %v; want [h-a h-c]", got, err)
	}
}

// testIDForms saves sessions whose ids are the same hex digits in
// lower, upper and mixed case, and ids of other forms: each is a
// session of its own, and every method gives its id back as it was
// given. (The memory store keeps a lowercase hex id as its bytes.)
func testIDForms(t *testing.T, s Store) {
	hexID := "0123456789abcdef0123456789abcdef"
	// Earliest due and expired last, so that the order of claims and
	// reaps is not the order of the saves.
	ids := []string{hexID, strings.ToUpper(hexID), "0123456789ABCDEF0123456789abcdef", hexID[:31], "fedcba9876543210fedcba9876543210", "s1"}
	for i, id := range ids {
		c := commit(id, 0, 1, strconv.Itoa(i))
		c.Record.Due = t0.Add(time.Duration(-i) * time.Minute)
		c.Record.Expires = c.Record.Due
		save(t, s, c)
	}
	for i, id := range ids {
		if r := load(t, s, id); r.ID != id || r.Hash != "h-"+strconv.Itoa(i) {
			t.Errorf("Load(%s) = session %s of hash %s, want %s of h-%d", id, r.ID, r.Hash, id, i)
		}
	}
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	if got := claim(t, s, t0, time.Minute, 10); !slices.Equal(got, reversed) {
		t.Errorf("ClaimDue = %q, want %q", got, reversed)
	}
	gone, err := s.Reap(context.Background(), t0, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range gone {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, reversed[:3]) {
		t.Errorf("Reap(limit 3) = %q, want %q", got, reversed[:3])
	}
	for _, id := range ids[:3] {
		if r := load(t, s, id); r.ID != id {
			t.Errorf("Load(%s) after the reap = session %s", id, r.ID)
		}
	}
}

func testReap(t *testing.T, s Store) {
	now := t0.Add(24 * time.Hour)
	expires := map[string]time.Duration{"old": -time.Hour, "older": -2 * time.Hour, "now": 0, "fresh": time.Nanosecond}
	for id, d := range expires {
		c := commit(id, 0, 2, id)
		c.Record.Expires = now.Add(d)
		save(t, s, c)
	}
	forever := commit("forever", 0, 2, "forever")
	forever.Record.Expires = time.Time{}
	save(t, s, forever)

	ctx := context.Background()
	if gone, err := s.Reap(ctx, now, 0); err != nil || len(gone) != 0 {
		t.Errorf("Reap(limit 0) = %v, %v, want none, nil", gone, err)
	}
	if gone, err := s.Reap(ctx, now, 1); err != nil || !slices.Equal(gone, []host.Reaped{{ID: "older", Hash: "h-older"}}) {
		t.Fatalf("Reap(limit 1) = %v, %v, want [{older h-older}], nil", gone, err)
	}
	if _, err := s.Load(ctx, "older"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Load(older) after reaping one = %v, want ErrNotFound: the earliest expired goes first", err)
	}
	// The rest, earliest expired first, each with the version it ran on.
	if gone, err := s.Reap(ctx, now, 10); err != nil || !slices.Equal(gone, []host.Reaped{{ID: "old", Hash: "h-old"}, {ID: "now", Hash: "h-now"}}) {
		t.Errorf("Reap(limit 10) = %v, %v, want [{old h-old} {now h-now}], nil", gone, err)
	}
	for _, id := range []string{"older", "old", "now"} {
		if _, err := s.Load(ctx, id); !errors.Is(err, host.ErrNotFound) {
			t.Errorf("Load(%s) after Reap = %v, want ErrNotFound", id, err)
		}
		if _, err := s.Log(ctx, id, 0); !errors.Is(err, host.ErrNotFound) {
			t.Errorf("Log(%s) after Reap = %v, want ErrNotFound", id, err)
		}
		// Created anew, the session starts empty: nothing of the reaped
		// one was left behind.
		save(t, s, &host.Commit{Record: host.Record{ID: id, Version: 1}})
		if l := logOf(t, s, id, 0); len(l) != 0 {
			t.Errorf("the reaped session %s left log entries %v", id, seqs(l))
		}
		if e := effectsOf(t, s, id); len(e) != 0 {
			t.Errorf("the reaped session %s left effects %q", id, e)
		}
		if _, ok := response(t, s, id, "req-"+id); ok {
			t.Errorf("the reaped session %s left its request", id)
		}
	}
	for _, id := range []string{"fresh", "forever"} {
		if r := load(t, s, id); r.Version != 2 {
			t.Errorf("Load(%s) = version %d, want 2", id, r.Version)
		}
		if l := logOf(t, s, id, 0); len(l) != 2 {
			t.Errorf("Log(%s) = %v, want 2 entries", id, seqs(l))
		}
		if e := effectsOf(t, s, id); len(e) != 1 {
			t.Errorf("Effects(%s) = %q, want 1", id, e)
		}
		if _, ok := response(t, s, id, "req-"+id); !ok {
			t.Errorf("the unexpired session %s lost its request", id)
		}
	}
}

func testCancelled(t *testing.T, s Store) {
	save(t, s, commit("s1", 0, 1, "a"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := t0.Add(time.Hour)
	c := commit("s1", 1, 2, "b")
	calls := []struct {
		name string
		call func() error
	}{
		{"Save", func() error { return s.Save(ctx, c) }},
		{"Save (create)", func() error { return s.Save(ctx, commit("s2", 0, 1, "c")) }},
		{"Load", func() error { _, err := s.Load(ctx, "s1"); return err }},
		{"Log", func() error { _, err := s.Log(ctx, "s1", 0); return err }},
		{"Effects", func() error { _, err := s.Effects(ctx, "s1"); return err }},
		{"Recall", func() error { _, _, err := s.Recall(ctx, "s1", "req-a"); return err }},
		{"DeviceRecords", func() error { _, err := s.DeviceRecords(ctx, "d"); return err }},
		{"PutDeviceRecord", func() error { return s.PutDeviceRecord(ctx, "d", "n", []byte("x")) }},
		{"AddDeviceRecord", func() error { _, err := s.AddDeviceRecord(ctx, "d", "n", []byte("x")); return err }},
		{"DropDeviceRecord", func() error { _, err := s.DropDeviceRecord(ctx, "d", "n", []byte("x")); return err }},
		{"ClaimDue", func() error { _, err := s.ClaimDue(ctx, now, time.Minute, 10); return err }},
		{"Reap", func() error { _, err := s.Reap(ctx, now.Add(time.Hour), 10); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", c.name, err)
		}
	}
	// Nothing was done: s1 is still at 1, unclaimed and not reaped; s2
	// was not created.
	if r := load(t, s, "s1"); r.Version != 1 {
		t.Errorf("s1 at version %d after a cancelled Save, want 1", r.Version)
	}
	notWritten(t, s, c)
	if _, err := s.Load(context.Background(), "s2"); !errors.Is(err, host.ErrNotFound) {
		t.Errorf("Load(s2) after a cancelled create = %v, want ErrNotFound", err)
	}
	if got := claim(t, s, now, time.Minute, 10); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("ClaimDue = %v, want [s1]: the cancelled claim claimed it", got)
	}
}

// testManySavers runs goroutines that each step their own sessions and
// all step one shared session, retrying on conflict, while others read
// and claim. No step may be lost: the shared session ends at the number of
// steps taken, its log holding each exactly once.
func testManySavers(t *testing.T, s Store) {
	const workers, own, steps = 6, 3, 4
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	save(t, s, &host.Commit{Record: host.Record{ID: "shared", Version: 1, Due: t0}, Entries: []host.LogEntry{{Seq: 1}}})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for ctx.Err() == nil {
				if _, err := s.Load(ctx, "shared"); err != nil && ctx.Err() == nil {
					t.Errorf("Load(shared) = %v", err)
				}
				if _, err := s.Log(ctx, "shared", 0); err != nil && ctx.Err() == nil {
					t.Errorf("Log(shared) = %v", err)
				}
				if _, err := s.ClaimDue(ctx, t0.Add(time.Hour), time.Millisecond, 5); err != nil && ctx.Err() == nil {
					t.Errorf("ClaimDue = %v", err)
				}
			}
		})
	}
	var workersDone sync.WaitGroup
	for w := range workers {
		workersDone.Go(func() {
			for i := range own {
				id := fmt.Sprintf("w%d-%d", w, i)
				for v := range steps {
					if err := s.Save(ctx, commit(id, v, v+1, fmt.Sprintf("%s-%d", id, v))); err != nil {
						t.Errorf("Save(%s, prev %d) = %v", id, v, err)
						return
					}
				}
			}
			for step := 0; step < steps; {
				r, err := s.Load(ctx, "shared")
				if err != nil {
					t.Errorf("Load(shared) = %v", err)
					return
				}
				c := commit("shared", r.Version, r.Version+1, fmt.Sprintf("w%d-%d", w, step))
				switch err := s.Save(ctx, c); {
				case errors.Is(err, host.ErrConflict):
				case err != nil:
					t.Errorf("Save(shared, prev %d) = %v", r.Version, err)
					return
				default:
					step++
				}
			}
		})
	}
	workersDone.Wait()
	stop()
	readers.Wait()
	if t.Failed() {
		return
	}
	for w := range workers {
		for i := range own {
			id := fmt.Sprintf("w%d-%d", w, i)
			if r := load(t, s, id); r.Version != steps {
				t.Errorf("%s at version %d, want %d", id, r.Version, steps)
			}
			if l := logOf(t, s, id, 0); len(l) != steps {
				t.Errorf("%s has %d log entries, want %d", id, len(l), steps)
			}
		}
	}
	const total = 1 + workers*steps
	if r := load(t, s, "shared"); r.Version != total {
		t.Errorf("shared at version %d, want %d: steps were lost", r.Version, total)
	}
	want := make([]int, total)
	for i := range want {
		want[i] = i + 1
	}
	if got := seqs(logOf(t, s, "shared", 0)); !slices.Equal(got, want) {
		t.Errorf("shared log = %v, want %v", got, want)
	}
	if e := effectsOf(t, s, "shared"); len(e) != total-1 {
		t.Errorf("shared has %d effects, want %d", len(e), total-1)
	}
}
