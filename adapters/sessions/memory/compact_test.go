package memory

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// Sessions that run the same flow, region and version share one copy of
// them, which goes when the last of them runs another or is reaped: the
// store does not grow with the versions sessions ran.
func TestRunsShared(t *testing.T) {
	ctx := context.Background()
	s := New()
	t0 := time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC)
	save := func(id string, prev int, hash string) {
		t.Helper()
		c := &host.Commit{Prev: prev, Record: host.Record{ID: id, Version: prev + 1, Flow: "connect", Region: "DE", Hash: hash,
			Expires: t0.Add(time.Duration(len(id)) * time.Minute)}}
		if err := s.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	save("a", 0, "h1")
	save("bb", 0, "h1")
	if get(s, "a").runs != get(s, "bb").runs || len(s.runs) != 1 {
		t.Errorf("two sessions of one version hold %d copies of it, want 1", len(s.runs))
	}
	save("a", 1, "h2")
	if r, err := s.Load(ctx, "a"); err != nil || r.Hash != "h2" {
		t.Fatalf("Load(a) = %+v, %v; want hash h2", r, err)
	}
	if r, err := s.Load(ctx, "bb"); err != nil || r.Hash != "h1" || r.Flow != "connect" || r.Region != "DE" {
		t.Fatalf("Load(bb) = %+v, %v; want connect, DE, h1", r, err)
	}
	if len(s.runs) != 2 {
		t.Errorf("%d versions kept, want 2", len(s.runs))
	}
	if gone, err := s.Reap(ctx, t0.Add(time.Hour), 10); err != nil || len(gone) != 2 {
		t.Fatalf("Reap = %v, %v; want both sessions", gone, err)
	}
	if len(s.runs) != 0 {
		t.Errorf("%d versions kept after every session was reaped, want none", len(s.runs))
	}
}

// A device named by 32 lowercase hex digits (devices.Key) is kept under
// its bytes (hexid): the same digits in upper case name another device,
// and a device whose last record is dropped is forgotten.
func TestDeviceKeys(t *testing.T) {
	ctx := context.Background()
	s := New()
	lower := "0123456789abcdef0123456789abcdef"
	devices := []string{lower, strings.ToUpper(lower), lower[:31], lower + "0", "laptop"}
	for _, d := range devices {
		if err := s.PutDeviceRecord(ctx, d, "rec", []byte("of "+d)); err != nil {
			t.Fatal(err)
		}
	}
	if s.devices.Len() != len(devices) {
		t.Errorf("%d devices kept, want %d", s.devices.Len(), len(devices))
	}
	for _, d := range devices {
		if m, err := s.DeviceRecords(ctx, d); err != nil || len(m) != 1 || string(m["rec"]) != "of "+d {
			t.Errorf("DeviceRecords(%s) = %q, %v; want its own record", d, m, err)
		}
	}
	for _, d := range devices {
		if ok, err := s.DropDeviceRecord(ctx, d, "rec", []byte("of "+d)); err != nil || !ok {
			t.Errorf("DropDeviceRecord(%s) = %v, %v; want dropped", d, ok, err)
		}
	}
	if s.devices.Len() != 0 {
		t.Errorf("%d devices kept after their last records were dropped, want none", s.devices.Len())
	}
}

// Sessions due or expired at the same time are claimed and reaped in the
// order of their ids, as the databases' indexes order them, whether the
// store keeps an id as its bytes or as a string.
func TestTiesByID(t *testing.T) {
	ctx := context.Background()
	s := New()
	t0 := time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC)
	ids := []string{"ffffffffffffffffffffffffffffffff", "s1", "0123456789abcdef0123456789abcdef",
		"0123456789ABCDEF0123456789ABCDEF", "80", "8000000000000000000000000000000a"}
	for _, id := range ids {
		if err := s.Save(ctx, &host.Commit{Record: host.Record{ID: id, Version: 1, Due: t0, Expires: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Sorted(slices.Values(ids))
	if got, err := s.ClaimDue(ctx, t0, time.Minute, 10); err != nil || !slices.Equal(got, want) {
		t.Errorf("ClaimDue = %q, %v; want %q", got, err, want)
	}
	gone, err := s.Reap(ctx, t0, 10)
	var got []string
	for _, r := range gone {
		got = append(got, r.ID)
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Reap = %q, %v; want %q", got, err, want)
	}
}

// A session's log and data share one buffer that commits append to, in
// place while it has room: over commits whose data grows, shrinks and
// empties, with and without entries, Load and Log give back each
// commit's data and every entry, and what they gave earlier stays as it
// was.
func TestLogAndDataShareABuffer(t *testing.T) {
	ctx := context.Background()
	s := New()
	var wantLog []host.LogEntry
	type given struct {
		data []byte
		log  []host.LogEntry
		want string
	}
	var earlier []given
	seq := 0
	for v := 1; v <= 40; v++ {
		data := []byte(strings.Repeat(string(rune('a'+v%26)), []int{0, 3, 200, 1, 90, 0, 5000}[v%7]))
		c := &host.Commit{Prev: v - 1, Record: host.Record{ID: "s", Version: v, Data: data}}
		for range v % 3 {
			seq++
			c.Entries = append(c.Entries, host.LogEntry{Seq: seq, Data: []byte(strings.Repeat("e", seq*7%300) + strconv.Itoa(seq))})
		}
		if err := s.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		wantLog = append(wantLog, c.Entries...)
		r, err := s.Load(ctx, "s")
		if err != nil || string(r.Data) != string(data) {
			t.Fatalf("Load at version %d = %d bytes of data, %v; want %d", v, len(r.Data), err, len(data))
		}
		log, err := s.Log(ctx, "s", 0)
		if err != nil || len(log) != len(wantLog) {
			t.Fatalf("Log at version %d = %d entries, %v; want %d", v, len(log), err, len(wantLog))
		}
		for i, e := range log {
			if e.Seq != wantLog[i].Seq || string(e.Data) != string(wantLog[i].Data) {
				t.Fatalf("Log at version %d: entry %d = %d %q, want %d %q", v, i, e.Seq, e.Data, wantLog[i].Seq, wantLog[i].Data)
			}
		}
		earlier = append(earlier, given{r.Data, log, string(data)})
	}
	for i, g := range earlier {
		if string(g.data) != g.want {
			t.Errorf("the data Load gave at version %d changed", i+1)
		}
		for j, e := range g.log {
			if string(e.Data) != string(wantLog[j].Data) {
				t.Errorf("entry %d Log gave at version %d changed", e.Seq, i+1)
			}
		}
	}
}

// get returns the session s holds under id.
func get(s *Store, id string) *session {
	ss, _ := s.sessions.Get(id)
	return ss
}
