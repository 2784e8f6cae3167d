package host

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tetherflow/tether/internal/randomlog"
)

// TestAnswerDigestStable: an answer's digest is the one earlier releases
// kept with its remembered request (the HMAC of "version\x00choice\x00"
// and the input as encoding/json writes it), so that a request repeated
// across an upgrade is still recognised.
func TestAnswerDigestStable(t *testing.T) {
	earlier := func(a Answer) []byte {
		input, err := json.Marshal(a.Input)
		if err != nil {
			return nil
		}
		m := hmac.New(sha256.New, []byte(a.Secret))
		fmt.Fprintf(m, "%d\x00%s\x00", a.Version, a.Choice)
		m.Write(input)
		return m.Sum(nil)
	}
	r := rand.New(rand.NewPCG(17, 18))
	answers := []Answer{{}, {Version: 3, Choice: "go", Secret: "s"}, {Version: -1, Input: map[string]any{}}}
	for range 2000 {
		answers = append(answers, Answer{Version: r.IntN(1000), Choice: randomlog.String(r), Secret: randomlog.String(r),
			Input: randomlog.PlainMap(r)})
	}
	for _, a := range answers {
		got, err := answerDigest(a)
		want := earlier(a)
		if (err != nil) != (want == nil) || !bytes.Equal(got, want) {
			t.Errorf("answerDigest(%+v) = %x, %v; want %x", a, got, err, want)
		}
	}
}
