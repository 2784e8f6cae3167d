package host

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/internal/randomlog"
)

// randomView returns a random view, every field set in some.
func randomView(r *rand.Rand) *View {
	s := randomlog.String
	v := &View{ID: s(r), Flow: s(r), Hash: s(r), Region: s(r), Country: s(r), Locale: s(r), Device: s(r),
		Version: r.IntN(100), Expires: randomlog.Time(r), Done: r.IntN(2) == 0,
		Step:  engine.Step{Flow: s(r), State: s(r), Prompt: randomlog.Prompt(r), Outcome: randomlog.Outcome(r)},
		Error: s(r), Replayed: r.IntN(2) == 0, Secret: s(r), DeviceKey: s(r), DeviceAdopted: r.IntN(2) == 0,
	}
	if r.IntN(2) == 0 {
		v.Entries = []eventlog.Entry{randomlog.Entry(r)}
	}
	if r.IntN(2) == 0 {
		v.Problem = &Problem{Kind: s(r), Field: s(r), Message: s(r), ID: s(r), Params: randomlog.PlainMap(r)}
	}
	return v
}

// TestViewAppendJSON: the remembered response is what encoding/json
// writes of the view, byte for byte, so that a response remembered by
// an earlier release and one remembered now replay alike.
func TestViewAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	var views []any
	for range 3000 {
		v := randomView(r)
		views = append(views, v)
		want, werr := json.Marshal(v)
		got, err := v.appendJSON(nil)
		if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want) {
			t.Errorf("%+v:\n got %s, %v\nwant %s, %v", v, got, err, want, werr)
		}
	}
	types := []reflect.Type{reflect.TypeFor[View](), reflect.TypeFor[Problem](), reflect.TypeFor[engine.Step]()}
	if unset := randomlog.Unset(types, views...); len(unset) > 0 {
		t.Errorf("fields no view sets: %v", unset)
	}
}
