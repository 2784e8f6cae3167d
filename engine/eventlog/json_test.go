package eventlog_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/eventlog"
)

func TestReadJSONLinesErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "hello\n", "line 1: not an event log"},
		{"unknown field", `{"seq":1,"kind":"start","bogus":1}`, "line 1: not an event log"},
		{"no seq", `{"kind":"start"}`, "line 1: not an event log: an entry has a seq and a kind"},
		{"seq order", `{"seq":2,"kind":"start"}` + "\n" + `{"seq":2,"kind":"final"}`, "line 2: not an event log: seq 2 after 2"},
		{"after result", `{"result":{"outcome":"x","success":false,"state":"x"}}` + "\n" + `{"seq":1,"kind":"start"}`, "line 2"},
		{"bad tag", `{"seq":1,"kind":"action","args":[{"name":"d","value":{"$duration":"soon"}}]}`, "bad $duration value soon"},
	}
	for _, tt := range tests {
		_, _, err := eventlog.ReadJSONLines(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// FuzzReadJSONLines: no input makes the reader panic, and what it reads
// writes back to a log that reads the same.
func FuzzReadJSONLines(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"2026-01-05T09:00:00Z","kind":"start","flow":"connect","state":"a","to":"a"}`))
	f.Add([]byte(`{"seq":3,"kind":"answer","args":[{"name":"password","value":"***","secret":true}],"set":[{"var":"t","from":"***","to":"***","masked":true}],"prompt":{"text":"x","choices":[{"name":"go"}]}}`))
	f.Add([]byte(`{"result":{"outcome":"connected","success":true,"state":"c","output":{"a":{"$duration":"1s"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := eventlog.ReadJSONLines(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := eventlog.WriteJSONLines(&buf, entries); err != nil {
			t.Fatalf("write back: %v", err)
		}
		again, _, err := eventlog.ReadJSONLines(&buf)
		if err != nil {
			t.Fatalf("read back: %v\n%s", err, buf.String())
		}
		if len(again) != len(entries) {
			t.Fatalf("read back %d entries, want %d", len(again), len(entries))
		}
	})
}
