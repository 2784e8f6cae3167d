package randomlog_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/internal/randomlog"
)

// TestEntryCoversEveryField: the entries Entry makes set every field of
// every type an entry holds, so that an encoder test over them meets a
// field its encoder forgot.
func TestEntryCoversEveryField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var samples []any
	for range 300 {
		samples = append(samples, randomlog.Entry(r))
	}
	types := []reflect.Type{
		reflect.TypeFor[eventlog.Entry](), reflect.TypeFor[eventlog.Value](), reflect.TypeFor[eventlog.Change](),
		reflect.TypeFor[eventlog.Outcome](), reflect.TypeFor[prompt.Prompt](), reflect.TypeFor[prompt.Field](),
		reflect.TypeFor[prompt.Option](), reflect.TypeFor[prompt.Choice](), reflect.TypeFor[prompt.Message](),
	}
	if unset := randomlog.Unset(types, samples...); len(unset) > 0 {
		t.Errorf("fields no entry sets: %v", unset)
	}
}

// TestUnset: a field no sample sets is reported.
func TestUnset(t *testing.T) {
	got := randomlog.Unset([]reflect.Type{reflect.TypeFor[prompt.Message]()}, prompt.Message{Text: "x"}, &prompt.Message{ID: "y"})
	if want := []string{"Message.Params"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unset = %v, want %v", got, want)
	}
}
