package host

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

// snapshots are data of every shape a record holds: every kind of flow
// value, nested, timers in zones, an outcome with output, an error.
func sampleData() []*data {
	cest := time.FixedZone("CEST", 2*60*60)
	t0 := time.Date(2026, 3, 29, 9, 30, 15, 123456789, cest)
	return []*data{
		{meta: meta{Region: "default"}, Snapshot: &engine.Snapshot{ID: "s", Flow: "f", Hash: "h", Seq: 1,
			Frames: []engine.FrameSnapshot{{Flow: "f", Hash: "h", State: "a"}}}},
		{
			meta: meta{Country: "DE", Device: "laptop-7f3a", Region: "eu-de",
				Secret:   strings.Repeat("ab", 32),
				Versions: map[string]string{"connect": "2026.1", "signup": "3"}},
			Snapshot: &engine.Snapshot{
				ID: "0123456789abcdef0123456789abcdef", Flow: "connect", Hash: "d01dde01a5c46e40", Seq: 42,
				Frames: []engine.FrameSnapshot{
					{Flow: "connect", Hash: "d01dde01a5c46e40", State: "more", Vars: map[string]any{
						"failures": 3, "negative": -7, "big": math.MaxInt64, "ratio": 0.25, "whole": 2.0,
						"nan": math.NaN(), "inf": math.Inf(-1), "name": "Zoë \x00 \"quoted\"", "empty": "",
						"yes": true, "no": false, "none": nil, "wait": 90 * time.Second,
						"at":   time.Date(2026, 1, 5, 9, 0, 0, 1, time.UTC),
						"list": []any{1, "two", []any{3.5, nil}, map[string]any{"$time": "not a tag"}},
						"map":  map[string]any{"a": map[string]any{"b": []any{}}, "c": map[string]any{}},
					}, Timers: []engine.TimerSnapshot{{Key: "5m", Due: t0}, {Key: "policy.code_life", Due: t0.UTC()}}},
					{Flow: "signup", Hash: "ffff", State: "ask", Vars: map[string]any{}},
				},
				Shown: t0,
			},
		},
		{meta: meta{Region: "default", Secret: "not hex"}, Snapshot: &engine.Snapshot{ID: "s", Flow: "f", Hash: "h", Seq: 9,
			Frames: []engine.FrameSnapshot{{Flow: "f", Hash: "h", State: "done"}},
			Done:   &eventlog.Outcome{Name: "connected", Success: true, State: "done", Message: "plan Family", Output: map[string]any{"plan": "Family", "n": 2}},
			Error:  "flows/f.yaml:3:4: state x: failed"}},
		{meta: meta{Region: "default"}, Snapshot: &engine.Snapshot{ID: "s", Flow: "f", Hash: "h", Seq: 2,
			Frames: []engine.FrameSnapshot{{Flow: "f", Hash: "h", State: "done"}},
			Done:   &eventlog.Outcome{Name: "declined", State: "done", Output: map[string]any{}}}},
	}
}

// A record's data reads back as it was written: what encoding it in JSON
// (engine's value codec, which keeps every kind apart) cannot tell from
// the original, with the times' offsets.
func TestDataRoundTrip(t *testing.T) {
	for i, d := range sampleData() {
		raw, err := encodeData(d)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		got, err := decodeData(&Record{ID: "s", Data: raw})
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		want, _ := json.Marshal(d)
		back, _ := json.Marshal(got)
		if !bytes.Equal(want, back) {
			t.Errorf("sample %d read back differs:\n got %s\nwant %s", i, back, want)
		}
		if len(raw) >= len(want) {
			t.Errorf("sample %d: %d bytes binary, %d JSON", i, len(raw), len(want))
		}
		// A record of an earlier release, in JSON, reads the same.
		old, err := decodeData(&Record{ID: "s", Data: want})
		if err != nil {
			t.Fatalf("sample %d in JSON: %v", i, err)
		}
		if again, _ := json.Marshal(old); !bytes.Equal(again, want) {
			t.Errorf("sample %d in JSON read back differs", i)
		}
	}
	// What is not a flow value is an error, not a record.
	bad := sampleData()[0]
	bad.Snapshot.Frames[0].Vars = map[string]any{"f": func() {}}
	if _, err := encodeData(bad); err == nil {
		t.Error("a function was encoded")
	}
}

// Truncated or altered data is an error, never a panic.
func FuzzDecodeData(f *testing.F) {
	for _, d := range sampleData() {
		raw, _ := encodeData(d)
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Add([]byte{dataVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeData(&Record{ID: "s", Data: b})
		if err != nil {
			return
		}
		// What reads back encodes again to the same bytes... up to map
		// order and the secret's spelling: encode it twice and compare.
		raw, err := encodeData(d)
		if err != nil {
			return // a NaN key or the like is fine to refuse
		}
		d2, err := decodeData(&Record{ID: "s", Data: raw})
		if err != nil {
			t.Fatalf("data that read back does not read back again: %v", err)
		}
		if raw2, _ := encodeData(d2); !bytes.Equal(raw, raw2) {
			t.Fatalf("encoding is not stable:\n%x\n%x", raw, raw2)
		}
	})
}
