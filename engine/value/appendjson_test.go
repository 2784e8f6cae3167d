package value_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/randomlog"
)

// TestAppendJSON: AppendJSON writes what Marshal does, byte for byte, for
// the codec's corner values and many random ones, and fails where it
// fails.
func TestAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := append([]any{func() {}, map[int]any{1: 2}, []any{make(chan int)}}, codecValues...)
	for range 5000 {
		vals = append(vals, randomlog.Value(r, 4))
	}
	prefix := []byte(`{"x":`)
	for _, v := range vals {
		want, werr := value.Marshal(v)
		got, err := value.AppendJSON(prefix, v)
		switch {
		case (err != nil) != (werr != nil):
			t.Errorf("%#v: err = %v, want %v", v, err, werr)
		case err == nil && !bytes.Equal(got[len(prefix):], want):
			t.Errorf("%#v:\n got %s\nwant %s", v, got[len(prefix):], want)
		case !bytes.Equal(got[:len(prefix)], prefix):
			t.Errorf("%#v: the prefix became %s", v, got[:len(prefix)])
		}
	}
}
