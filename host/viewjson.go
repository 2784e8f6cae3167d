package host

import (
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/internal/jsonappend"
)

// appendJSON appends the view as encoding/json writes it, byte for byte,
// without reflection: the response a step remembers under its
// idempotency key, which replay reads back with encoding/json.
func (v *View) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, v.ID)
	b = append(b, `,"flow":`...)
	b = jsonappend.String(b, v.Flow)
	b = append(b, `,"hash":`...)
	b = jsonappend.String(b, v.Hash)
	b = append(b, `,"region":`...)
	b = jsonappend.String(b, v.Region)
	b = appendString(b, `,"country":`, v.Country)
	b = appendString(b, `,"locale":`, v.Locale)
	b = appendString(b, `,"device":`, v.Device)
	b = append(b, `,"version":`...)
	b = jsonappend.Int(b, v.Version)
	var err error
	if !v.Expires.IsZero() {
		if b, err = jsonappend.Time(append(b, `,"expires":`...), v.Expires); err != nil {
			return b, err
		}
	}
	b = append(b, `,"done":`...)
	b = jsonappend.Bool(b, v.Done)
	if b, err = appendStep(append(b, `,"step":`...), &v.Step); err != nil {
		return b, err
	}
	b = appendString(b, `,"error":`, v.Error)
	if p := v.Problem; p != nil {
		b = append(b, `,"problem":{"kind":`...)
		b = jsonappend.String(b, p.Kind)
		b = appendString(b, `,"field":`, p.Field)
		b = append(b, `,"message":`...)
		b = jsonappend.String(b, p.Message)
		b = appendString(b, `,"id":`, p.ID)
		if len(p.Params) > 0 {
			if b, err = jsonappend.Any(append(b, `,"params":`...), p.Params); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendString appends member, the member's name as it is written
// (`,"name":`), and string s, unless s is empty.
func appendString(b []byte, member, s string) []byte {
	if s == "" {
		return b
	}
	return jsonappend.String(append(b, member...), s)
}

// appendStep appends s as encoding/json writes it.
func appendStep(b []byte, s *engine.Step) ([]byte, error) {
	b = append(b, `{"flow":`...)
	b = jsonappend.String(b, s.Flow)
	b = append(b, `,"state":`...)
	b = jsonappend.String(b, s.State)
	var err error
	if s.Prompt != nil {
		if b, err = s.Prompt.AppendJSON(append(b, `,"prompt":`...)); err != nil {
			return b, err
		}
	}
	if s.Outcome != nil {
		if b, err = s.Outcome.AppendJSON(append(b, `,"outcome":`...)); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
