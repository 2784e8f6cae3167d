package host

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/internal/seal"
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
			meta: meta{Country: "DE", Device: "laptop-7f3a", Region: "eu-de", Locale: "pt-BR",
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
			Done: &eventlog.Outcome{Name: "connected", Success: true, State: "done", Message: "plan Family", Output: map[string]any{"plan": "Family", "n": 2},
				Text: &prompt.Message{ID: "f.done.message", Text: "plan Family", Params: map[string]any{"plan": "Family", "wait": 30 * time.Second,
					"notice": prompt.MessageValue("f.notice", map[string]any{"n": 1})}}},
			Error: "flows/f.yaml:3:4: state x: failed"}},
		{meta: meta{Region: "default"}, Snapshot: &engine.Snapshot{ID: "s", Flow: "f", Hash: "h", Seq: 2,
			Frames: []engine.FrameSnapshot{{Flow: "f", Hash: "h", State: "done"}},
			Done:   &eventlog.Outcome{Name: "declined", State: "done", Output: map[string]any{}}}},
		{meta: meta{Region: "default"}, Snapshot: &engine.Snapshot{ID: "s", Flow: "f", Hash: "h", Seq: 3,
			Frames: []engine.FrameSnapshot{
				{Flow: "f", Hash: "h", State: "a", Vars: map[string]any{"ticket": sampleTicket, "keys": []any{"k", 2}, "empty": "", "plain": "p"},
					Sensitive: []string{"empty", "keys", "ticket"}},
				{Flow: "g", Hash: "h2", State: "b", Vars: map[string]any{"ticket": sampleTicket}, Sensitive: []string{"ticket"}},
			}}},
	}
}

const sampleTicket = "as-SAMPLE-TICKET-0123456789"

// testKeys are seal keys for tests, each secret made from its id: the
// last of ids seals. Their nonces come from a reader of zeros, so that an
// encoding is the same twice.
func testKeys(t testing.TB, ids ...string) *seal.Keys {
	t.Helper()
	var text strings.Builder
	for _, id := range ids {
		secret := sha256.Sum256([]byte(id))
		fmt.Fprintf(&text, "%s %s\n", id, base64.StdEncoding.EncodeToString(secret[:]))
	}
	k, err := seal.ParseKeys("test", []byte(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	return k.WithRand(zeros{})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A record's data reads back as it was written: what encoding it in JSON
// (engine's value codec, which keeps every kind apart) cannot tell from
// the original, with the times' offsets.
func TestDataRoundTrip(t *testing.T) {
	keys := testKeys(t, "k1")
	for i, d := range sampleData() {
		raw, err := encodeData(d, keys)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		got, err := decodeData(&Record{ID: d.Snapshot.ID, Data: raw}, keys)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		want, _ := json.Marshal(d)
		back, _ := json.Marshal(got)
		if !bytes.Equal(want, back) {
			t.Errorf("sample %d read back differs:\n got %s\nwant %s", i, back, want)
		}
		for j, f := range got.Snapshot.Frames {
			if w := d.Snapshot.Frames[j].Sensitive; !slices.Equal(f.Sensitive, w) {
				t.Errorf("sample %d frame %d: Sensitive %v, want %v", i, j, f.Sensitive, w)
			}
		}
		if len(raw) >= len(want) && i != len(sampleData())-1 { // sealing costs 30 bytes a value
			t.Errorf("sample %d: %d bytes binary, %d JSON", i, len(raw), len(want))
		}
		// A record of an earlier release, in JSON, reads the same.
		old, err := decodeData(&Record{ID: "s", Data: want}, keys)
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
	if _, err := encodeData(bad, keys); err == nil {
		t.Error("a function was encoded")
	}
}

// Sensitive values are sealed: the record holds none in clear, opens only
// with the keys that sealed it (an older key still opens after a new one
// is added, which then seals), and a sealed value moved to another
// session or variable does not open. A record of the first binary form,
// which sealed nothing, still reads.
func TestDataSealsSensitiveValues(t *testing.T) {
	d := sampleData()[4]
	k1 := testKeys(t, "k1")
	raw, err := encodeData(d, k1)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(sampleTicket)) || bytes.Contains(raw, []byte{tagString, 1, 'k'}) {
		t.Errorf("the record holds a sensitive value in clear: %q", raw)
	}
	if !bytes.Contains(raw, []byte{tagString, 1, 'p'}) {
		t.Errorf("the record lost the plain variable: %q", raw)
	}
	rec := &Record{ID: "s", Data: raw}
	otherK1, err := seal.New("k1", bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		rec    *Record
		sealer Sealer
		want   error
	}{
		{"other keys", rec, testKeys(t, "k2"), seal.ErrUnknownKey},
		{"a key of the same name, another secret", rec, otherK1, seal.ErrOpen},
		{"another session", &Record{ID: "t", Data: raw}, k1, seal.ErrOpen},
		{"another variable", &Record{ID: "s", Data: bytes.Replace(raw, []byte("\x06ticket\x0a"), []byte("\x06tickex\x0a"), 1)}, k1, seal.ErrOpen},
	} {
		if _, err := decodeData(c.rec, c.sealer); !errors.Is(err, c.want) {
			t.Errorf("%s: decode error %v, want %v", c.name, err, c.want)
		} else if strings.Contains(err.Error(), sampleTicket) {
			t.Errorf("%s: the error quotes the ticket: %v", c.name, err)
		}
	}
	if _, err := decodeData(rec, nil); err == nil || !strings.Contains(err.Error(), "no seal keys") {
		t.Errorf("decode without keys: %v, want it to say there are none", err)
	}
	// Rotation: k2 added after k1 opens what k1 sealed, and seals anew.
	k12 := testKeys(t, "k1", "k2")
	got, err := decodeData(rec, k12)
	if err != nil {
		t.Fatal(err)
	}
	if got.Snapshot.Frames[0].Vars["ticket"] != sampleTicket || got.Snapshot.Frames[1].Vars["ticket"] != sampleTicket {
		t.Fatalf("opened %v", got.Snapshot.Frames)
	}
	again, err := encodeData(got, k12)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeData(&Record{ID: "s", Data: again}, testKeys(t, "k2")); err != nil {
		t.Errorf("what k1 and k2 sealed does not open with k2 alone: %v", err)
	}
	if _, err := decodeData(&Record{ID: "s", Data: again}, testKeys(t, "k1")); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("what k2 sealed opens with k1: %v", err)
	}
	// The first binary form is this one without sealed values, the
	// locale and the outcome's message.
	read := 0
	for _, d := range sampleData() {
		plain, err := encodeForm(d, nil, 1)
		if err != nil {
			continue // it has sensitive values: form 1 had none
		}
		read++
		got, err := decodeData(&Record{ID: "s", Data: plain}, nil)
		if err != nil {
			t.Fatalf("a record of form 1: %v", err)
		}
		if got.Locale != "" || got.Snapshot.Done != nil && got.Snapshot.Done.Text != nil {
			t.Errorf("form 1 read a locale %q or a message %v", got.Locale, got.Snapshot.Done)
		}
	}
	if read < 2 {
		t.Errorf("only %d samples were written in form 1", read)
	}
}

// Truncated or altered data is an error, never a panic.
func FuzzDecodeData(f *testing.F) {
	keys := testKeys(f, "k1")
	for _, d := range sampleData() {
		raw, _ := encodeData(d, keys)
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Add([]byte{dataVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeData(&Record{ID: "s", Data: b}, keys)
		if err != nil {
			return
		}
		// What reads back encodes again to the same bytes... up to map
		// order and the secret's spelling: encode it twice and compare.
		raw, err := encodeData(d, keys)
		if err != nil {
			return // a NaN key or the like is fine to refuse
		}
		d2, err := decodeData(&Record{ID: "s", Data: raw}, keys)
		if err != nil {
			t.Fatalf("data that read back does not read back again: %v", err)
		}
		if raw2, _ := encodeData(d2, keys); !bytes.Equal(raw, raw2) {
			t.Fatalf("encoding is not stable:\n%x\n%x", raw, raw2)
		}
	})
}
