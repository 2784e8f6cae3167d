// Package randomlog makes random flow values, prompts and event log
// entries, every field set in some of them and every corner of JSON met
// (escapes, invalid UTF-8, whole floats, maps that look like the value
// codec's tags): for the tests that prove a hand-written encoder writes
// the bytes encoding/json does.
//
//	r := rand.New(rand.NewPCG(1, 2))
//	e := randomlog.Entry(r)
package randomlog

import (
	"math"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
)

// strs are the strings String picks from, or builds others of.
var strs = []string{
	"", "a", "connect", "enter_code", "***", "Sign in", "family@example.com",
	`quote " and \ backslash`, "<b>&amp;</b>", "tab\there\nnewline\r\f\b", "\x00\x01\x1f\x7f",
	"Grüße, señor — 日本語 🎉", "line\u2028sep\u2029par", "bad \xff\xfe utf-8 \xe2\x80", "\u00e9\u0301",
	"$time", "$map", "$float", "$duration", "$message", "2026-01-05T09:00:00Z",
}

// String returns a random string: one of a list of awkward ones, or a few
// of them run together.
func String(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return strs[r.IntN(len(strs))] + strs[r.IntN(len(strs))] + strs[r.IntN(len(strs))]
	}
	return strs[r.IntN(len(strs))]
}

// name returns a short string, often empty (for the fields omitempty
// leaves out).
func name(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return ""
	}
	return String(r)
}

// floats are the floats Value picks from: whole, tiny, huge, negative
// zero, not numbers.
var floats = []float64{
	0, math.Copysign(0, -1), 0.5, -2.25, 2, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, 1e300, -1e-300,
	math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 1.0 / 3,
}

// Time returns a random time: zero, in UTC or another zone, with or
// without nanoseconds, now and then past the year 9999.
func Time(r *rand.Rand) time.Time {
	if r.IntN(50) == 0 {
		return time.Date(12026, 1, 5, 9, 0, 0, 0, time.UTC) // RFC 3339 cannot hold it
	}
	switch r.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	case 2:
		return time.Date(1999+r.IntN(100), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.FixedZone("", 3600*(r.IntN(27)-13)))
	}
	return time.Unix(r.Int64N(1<<33), r.Int64N(1e9)).UTC()
}

// named is a string type of its own, as an action may return.
type named string

// Value returns a random flow value, nested at most depth deep: the
// kinds a flow holds and the Go types an action or expression may give
// (sized and unsigned integers, float32, typed slices and maps).
func Value(r *rand.Rand, depth int) any {
	n := 14
	if depth <= 0 {
		n = 11
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return String(r)
	case 2:
		return r.IntN(2) == 0
	case 3:
		return []int{0, 1, -1, 42, math.MaxInt64, math.MinInt64, 1 << 53}[r.IntN(7)]
	case 4:
		return floats[r.IntN(len(floats))]
	case 5:
		return time.Duration(r.Int64N(1<<40) - 1<<39)
	case 6:
		t := Time(r)
		return t
	case 7:
		return []any{int8(-3), uint16(7), uint64(1 << 40), float32(1.5), float32(3), named("typed"), int64(-9)}[r.IntN(7)]
	case 8:
		return []string{"a", "<b>"}
	case 9:
		return map[string]int{"z": 1, "a": 2}
	case 10:
		return []byte("hi")
	case 11:
		list := make([]any, r.IntN(4))
		for i := range list {
			list[i] = Value(r, depth-1)
		}
		if len(list) == 0 && r.IntN(2) == 0 {
			return []any(nil)
		}
		return list
	}
	return Map(r, depth-1)
}

// Map returns a random map of flow values; sometimes nil, sometimes one
// key that looks like a tag.
func Map(r *rand.Rand, depth int) map[string]any {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return map[string]any{strs[15+r.IntN(5)]: Value(r, depth)}
	}
	m := map[string]any{}
	for range r.IntN(5) {
		m[String(r)] = Value(r, depth)
	}
	return m
}

// PlainValue returns a random value of what encoding/json writes without
// the value codec (an option's data, a problem's parameters): JSON's own
// kinds, no NaN.
func PlainValue(r *rand.Rand, depth int) any {
	for {
		v := Value(r, depth)
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
		case []any, map[string]any:
			continue // may hold a NaN
		}
		return v
	}
}

// PlainMap returns a random map of PlainValues; sometimes nil.
func PlainMap(r *rand.Rand) map[string]any {
	if r.IntN(3) == 0 {
		return nil
	}
	m := map[string]any{}
	for range 1 + r.IntN(4) {
		m[String(r)] = PlainValue(r, 1)
	}
	if r.IntN(4) == 0 {
		m["nested"] = map[string]any{"list": []any{1, "two", 3.5, nil, true}}
	}
	return m
}

// Message returns a random message.
func Message(r *rand.Rand) prompt.Message {
	m := prompt.Message{ID: name(r), Text: String(r)}
	if r.IntN(2) == 0 {
		m.Params = Map(r, 2)
	}
	return m
}

func messagePtr(r *rand.Rand) *prompt.Message {
	if r.IntN(2) == 0 {
		return nil
	}
	m := Message(r)
	return &m
}

// Prompt returns a random prompt, or nil.
func Prompt(r *rand.Rand) *prompt.Prompt {
	if r.IntN(4) == 0 {
		return nil
	}
	p := &prompt.Prompt{Title: Message(r), Body: messagePtr(r), Help: messagePtr(r)}
	for range r.IntN(3) {
		f := prompt.Field{Name: String(r), Label: Message(r), Hint: messagePtr(r), Type: prompt.FieldTypes()[r.IntN(8)],
			Optional: r.IntN(2) == 0, Length: r.IntN(3) * 3, Prefill: name(r)}
		for range r.IntN(3) {
			f.Options = append(f.Options, prompt.Option{Value: String(r), Label: Message(r), Data: PlainMap(r)})
		}
		p.Fields = append(p.Fields, f)
	}
	if r.IntN(5) != 0 {
		p.Choices = []prompt.Choice{}
	}
	for range r.IntN(3) {
		c := prompt.Choice{Name: String(r), Label: Message(r), URL: name(r), AvailableAt: Time(r)}
		if r.IntN(2) == 0 {
			c.Role = prompt.Roles()[r.IntN(5)]
		}
		if r.IntN(2) == 0 {
			c.Fields = []string{String(r), String(r)}
		}
		p.Choices = append(p.Choices, c)
	}
	return p
}

// Outcome returns a random outcome, or nil.
func Outcome(r *rand.Rand) *eventlog.Outcome {
	if r.IntN(3) == 0 {
		return nil
	}
	return &eventlog.Outcome{Name: String(r), Success: r.IntN(2) == 0, State: String(r), Message: name(r),
		Text: messagePtr(r), Output: Map(r, 2)}
}

func values(r *rand.Rand) []eventlog.Value {
	var vs []eventlog.Value
	if r.IntN(5) == 0 {
		vs = []eventlog.Value{}
	}
	for range r.IntN(4) {
		vs = append(vs, eventlog.Value{Name: String(r), Value: Value(r, 2), Secret: r.IntN(4) == 0})
	}
	return vs
}

// Entry returns a random log entry, its values flow values of every kind.
func Entry(r *rand.Rand) eventlog.Entry {
	kinds := []eventlog.EntryKind{eventlog.EntryStart, eventlog.EntryAnswer, eventlog.EntryReject, eventlog.EntryAction,
		eventlog.EntryTimer, eventlog.EntryTransition, eventlog.EntryFinal, eventlog.EntryError, eventlog.EntryCancel, ""}
	e := eventlog.Entry{
		Seq: r.IntN(1000) - 1, Time: Time(r), Kind: kinds[r.IntN(len(kinds))], Flow: String(r), State: String(r),
		Event: name(r), Branch: r.IntN(3), Guard: name(r), To: name(r), Action: name(r),
		Args: values(r), Outputs: values(r), Prompt: Prompt(r), PromptAt: Time(r), Outcome: Outcome(r), Error: name(r),
	}
	for range r.IntN(3) {
		e.Changes = append(e.Changes, eventlog.Change{Var: String(r), From: Value(r, 1), To: Value(r, 1), Masked: r.IntN(4) == 0})
	}
	return e
}

// Unset returns the fields of the struct types types that are the zero
// value in every one of samples (followed through pointers, slices, maps
// and interfaces), as "Type.Field": what a generator of samples for a
// test that compares encoders has missed.
func Unset(types []reflect.Type, samples ...any) []string {
	set := map[string]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Field(i); !f.IsZero() {
					set[v.Type().Name()+"."+v.Type().Field(i).Name] = true
					if v.Type().Field(i).IsExported() {
						walk(f)
					}
				}
			}
		}
	}
	for _, s := range samples {
		walk(reflect.ValueOf(s))
	}
	var out []string
	for _, t := range types {
		for i := range t.NumField() {
			if k := t.Name() + "." + t.Field(i).Name; !set[k] {
				out = append(out, k)
			}
		}
	}
	return out
}
