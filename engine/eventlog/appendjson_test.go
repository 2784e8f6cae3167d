package eventlog_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/internal/randomlog"
)

// TestAppendJSON: an entry's AppendJSON writes what encoding/json does,
// byte for byte, over many random entries that set every field
// (randomlog's test proves it) with flow values of every kind, and
// fails where it fails. So does an outcome's.
func TestAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	fails := 0
	for range 5000 {
		e := randomlog.Entry(r)
		want, werr := json.Marshal(&e)
		got, err := e.AppendJSON([]byte("x"))
		switch {
		case (err != nil) != (werr != nil):
			t.Errorf("%+v: err = %v, want %v", e, err, werr)
		case err != nil:
			fails++
		case !bytes.Equal(got[1:], want) || got[0] != 'x':
			t.Errorf("%+v:\n got %s\nwant x%s", e, got, want)
		}
		if o := randomlog.Outcome(r); o != nil {
			want, werr := json.Marshal(o)
			got, err := o.AppendJSON(nil)
			if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want) {
				t.Errorf("%+v:\n got %s, %v\nwant %s, %v", o, got, err, want, werr)
			}
		}
	}
	// Both the entries that write and those that fail (a NaN in a
	// prompt's data, a year past 9999) are met.
	t.Logf("%d of 5000 failed", fails)
	if fails == 0 || fails > 2500 {
		t.Errorf("%d of 5000 random entries failed to encode; want some, not most", fails)
	}
}

// TestWriteJSONLines: the lines are a json.Encoder's, and an entry that
// cannot be written is an error after the lines before it.
func TestWriteJSONLines(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var entries []eventlog.Entry
	for len(entries) < 200 {
		if e := randomlog.Entry(r); isJSON(&e) {
			entries = append(entries, e)
		}
	}
	var got, want bytes.Buffer
	if err := eventlog.WriteJSONLines(&got, entries); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&want)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("WriteJSONLines wrote\n%s\nwant\n%s", got.Bytes(), want.Bytes())
	}
	bad := append(entries[:2:2], eventlog.Entry{Seq: 3, Args: []eventlog.Value{{Name: "f", Value: func() {}}}})
	got.Reset()
	if err := eventlog.WriteJSONLines(&got, bad); err == nil || bytes.Count(got.Bytes(), []byte("\n")) != 2 {
		t.Errorf("an entry that cannot be written: err %v after %q", err, got.Bytes())
	}
}

// isJSON reports whether encoding/json can write e.
func isJSON(e *eventlog.Entry) bool {
	_, err := json.Marshal(e)
	return err == nil
}
