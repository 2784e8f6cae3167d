package httpapi

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tetherflow/tether/internal/randomlog"
	"github.com/tetherflow/tether/ui"
)

// maybe returns a random string, empty one time in three.
func maybe(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return ""
	}
	return randomlog.String(r)
}

func randomText(r *rand.Rand) ui.Text {
	return ui.Text{ID: maybe(r), Text: randomlog.String(r), Params: randomlog.PlainMap(r)}
}

func randomTextPtr(r *rand.Rand) *ui.Text {
	if r.IntN(2) == 0 {
		return nil
	}
	t := randomText(r)
	return &t
}

// randomList returns nil, an empty list or a few elements of f.
func randomList[T any](r *rand.Rand, f func(*rand.Rand) T) []T {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []T{}
	}
	list := make([]T, 1+r.IntN(3))
	for i := range list {
		list[i] = f(r)
	}
	return list
}

// randomSession returns a random session, every field set in some.
func randomSession(r *rand.Rand) *Session {
	s := &Session{ID: maybe(r), Flow: maybe(r), Region: maybe(r), Country: maybe(r), Device: maybe(r), State: maybe(r),
		Version: []int{0, 1, -7, 1 << 53, 1<<63 - 1}[r.IntN(5)], Status: maybe(r), ExpiresAt: randomlog.Time(r),
		Locale: maybe(r), Secret: maybe(r), DeviceKey: maybe(r), Warnings: randomList(r, randomlog.String)}
	if r.IntN(2) == 0 {
		s.Prompt = &ui.Screen{Flow: maybe(r), State: maybe(r), Locale: maybe(r), Title: randomText(r),
			Body: randomList(r, randomText),
			Messages: randomList(r, func(r *rand.Rand) ui.Message {
				return ui.Message{Type: maybe(r), Field: maybe(r), Text: randomText(r)}
			}),
			Fields: randomList(r, func(r *rand.Rand) ui.Field {
				return ui.Field{Name: maybe(r), Type: maybe(r), Label: randomText(r), Hint: randomTextPtr(r),
					Required: r.IntN(2) == 0, Masked: r.IntN(2) == 0, Autocomplete: maybe(r), InputMode: maybe(r),
					Length: r.IntN(3) * 6, Pattern: maybe(r), Constraint: randomTextPtr(r), Prefill: maybe(r),
					Options: randomList(r, func(r *rand.Rand) ui.Option {
						return ui.Option{Value: maybe(r), Label: randomText(r), Data: randomlog.PlainMap(r)}
					})}
			}),
			Choices: randomList(r, func(r *rand.Rand) ui.Choice {
				return ui.Choice{Name: maybe(r), Label: randomText(r), Role: maybe(r), Fields: randomList(r, randomlog.String),
					URL: maybe(r), AvailableAt: randomlog.Time(r), Wait: randomTextPtr(r)}
			}),
		}
	}
	if r.IntN(2) == 0 {
		var out map[string]any
		if r.IntN(2) == 0 {
			out = randomlog.Map(r, 2) // NaN and the like: an error for both
		} else {
			out = randomlog.PlainMap(r)
		}
		s.Result = &ui.Result{Outcome: maybe(r), Success: r.IntN(2) == 0, Locale: maybe(r), Message: randomTextPtr(r),
			Output: out, Code: maybe(r), Error: maybe(r)}
	}
	return s
}

// TestSessionAppendJSON: the answer's body is what huma's JSON format
// writes of it, byte for byte (its newline added as the server writes
// it), and an error where that is one.
func TestSessionAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	var sessions []any
	errs := 0
	for range 4000 {
		s := randomSession(r)
		sessions = append(sessions, s)
		var want bytes.Buffer
		werr := huma.DefaultJSONFormat.Marshal(&want, s)
		got, err := appendSession([]byte("prefix"), s)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("appendSession lost what it appends to: %q", got)
		}
		got = append(got[len("prefix"):], '\n')
		if err != nil {
			errs++
		}
		if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%+v:\n got %s, %v\nwant %s, %v", s, got, err, want.Bytes(), werr)
		}
	}
	if errs == 0 || errs == len(sessions) {
		t.Errorf("%d of %d sessions could not be written: want some, not all", errs, len(sessions))
	}
	types := []reflect.Type{reflect.TypeFor[Session](), reflect.TypeFor[ui.Screen](), reflect.TypeFor[ui.Text](),
		reflect.TypeFor[ui.Message](), reflect.TypeFor[ui.Field](), reflect.TypeFor[ui.Option](),
		reflect.TypeFor[ui.Choice](), reflect.TypeFor[ui.Result]()}
	if unset := randomlog.Unset(types, sessions...); len(unset) > 0 {
		t.Errorf("fields no session sets: %v", unset)
	}
}

// BenchmarkSessionJSON: an answer's body written by huma's JSON format
// (reflection) and by appendSession, into a reused buffer as marshal does.
func BenchmarkSessionJSON(b *testing.B) {
	txt := func(id, text string) ui.Text {
		return ui.Text{ID: id, Text: text, Params: map[string]any{"phone": "+49 *** *** 12 34", "minutes": 5}}
	}
	s := &Session{ID: "3f2a9c0d1e5b7a44c0ffee1234567890", Flow: "connect", Region: "eu-de", Country: "DE",
		Device: "laptop-7f3a", State: "enter_code", Version: 4, Status: "waiting",
		ExpiresAt: time.Date(2026, 12, 8, 0, 30, 0, 0, time.UTC), Locale: "de",
		Prompt: &ui.Screen{Flow: "connect", State: "enter_code", Locale: "de", Title: txt("connect.enter_code.title", "Code eingeben"),
			Body:     []ui.Text{txt("connect.enter_code.text", "Geben Sie den Code ein, den wir an +49 *** *** 12 34 gesendet haben.")},
			Messages: []ui.Message{{Type: "error", Field: "code", Text: txt("connect.bad_code", "Der Code stimmt nicht.")}},
			Fields: []ui.Field{{Name: "code", Type: "code", Label: txt("connect.code", "Code"), Required: true, Masked: true,
				Autocomplete: "one-time-code", InputMode: "numeric", Length: 6, Pattern: "[0-9]{6}"}},
			Choices: []ui.Choice{
				{Name: "continue", Label: txt("connect.continue", "Weiter"), Role: "primary", Fields: []string{"code"}},
				{Name: "resend", Label: txt("connect.resend", "Neuen Code senden"), Role: "secondary", Fields: []string{}},
			}}}
	b.Run("huma", func(b *testing.B) {
		var w bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			w.Reset()
			if err := huma.DefaultJSONFormat.Marshal(&w, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = appendSession(buf[:0], s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
