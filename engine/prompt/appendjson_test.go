package prompt_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/internal/randomlog"
)

// TestAppendJSON: a prompt's and a message's AppendJSON write what
// encoding/json does, byte for byte, over many random ones with every
// field set in some, and fail where it fails.
func TestAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	check := func(v any, got []byte, err error) {
		t.Helper()
		want, werr := json.Marshal(v)
		switch {
		case (err != nil) != (werr != nil):
			t.Errorf("%+v: err = %v, want %v", v, err, werr)
		case err == nil && !bytes.Equal(got, want):
			t.Errorf("%+v:\n got %s\nwant %s", v, got, want)
		}
	}
	for range 3000 {
		if p := randomlog.Prompt(r); p != nil {
			got, err := p.AppendJSON(nil)
			check(p, got, err)
		}
		m := randomlog.Message(r)
		got, err := m.AppendJSON(nil)
		check(m, got, err)
	}
	// A prompt with every field, its option's data a time (plain JSON).
	p := &prompt.Prompt{Title: prompt.Message{Text: "t"}, Fields: []prompt.Field{{Name: "f", Options: []prompt.Option{{Value: "v", Data: map[string]any{"until": randomlog.Time(r)}}}}}}
	got, err := p.AppendJSON(nil)
	check(p, got, err)
}
