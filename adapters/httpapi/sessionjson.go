package httpapi

import (
	"github.com/tetherflow/tether/internal/jsonappend"
	"github.com/tetherflow/tether/ui"
)

// appendSession appends s as huma's JSON format writes it (an Encoder
// whose SetEscapeHTML is false), less the newline, without reflection:
// the answer's body, 6% of the server's CPU a step by reflection.
// TestSessionAppendJSON holds the two to the same bytes.
func appendSession(b []byte, s *Session) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = str(b, s.ID)
	b = append(b, `,"flow":`...)
	b = str(b, s.Flow)
	b = append(b, `,"region":`...)
	b = str(b, s.Region)
	b = member(b, "country", s.Country)
	b = append(b, `,"device":`...)
	b = str(b, s.Device)
	b = append(b, `,"state":`...)
	b = str(b, s.State)
	b = append(b, `,"version":`...)
	b = jsonappend.Int(b, s.Version)
	b = append(b, `,"status":`...)
	b = str(b, s.Status)
	var err error
	if !s.ExpiresAt.IsZero() {
		if b, err = jsonappend.Time(append(b, `,"expires_at":`...), s.ExpiresAt); err != nil {
			return b, err
		}
	}
	if s.Prompt != nil {
		if b, err = appendScreen(append(b, `,"prompt":`...), s.Prompt); err != nil {
			return b, err
		}
	}
	if r := s.Result; r != nil {
		b = append(b, `,"result":{"outcome":`...)
		b = str(b, r.Outcome)
		b = append(b, `,"success":`...)
		b = jsonappend.Bool(b, r.Success)
		b = append(b, `,"locale":`...)
		b = str(b, r.Locale)
		if b, err = textPtr(b, "message", r.Message); err != nil {
			return b, err
		}
		if len(r.Output) > 0 {
			if b, err = jsonappend.AnyNoHTML(append(b, `,"output":`...), r.Output); err != nil {
				return b, err
			}
		}
		b = member(b, "code", r.Code)
		b = member(b, "error", r.Error)
		b = append(b, '}')
	}
	b = append(b, `,"locale":`...)
	b = str(b, s.Locale)
	b = member(b, "secret", s.Secret)
	b = member(b, "device_key", s.DeviceKey)
	if len(s.Warnings) > 0 {
		b = jsonappend.StringsNoHTML(append(b, `,"warnings":`...), s.Warnings)
	}
	return append(b, '}'), nil
}

// appendScreen appends sc as encoding/json writes it.
func appendScreen(b []byte, sc *ui.Screen) ([]byte, error) {
	b = append(b, `{"flow":`...)
	b = str(b, sc.Flow)
	b = append(b, `,"state":`...)
	b = str(b, sc.State)
	b = append(b, `,"locale":`...)
	b = str(b, sc.Locale)
	b, err := appendText(append(b, `,"title":`...), &sc.Title)
	if err != nil {
		return b, err
	}
	b = append(b, `,"body":`...)
	if sc.Body == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range sc.Body {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendText(b, &sc.Body[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"messages":`...)
	if sc.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range sc.Messages {
			m := &sc.Messages[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = str(b, m.Type)
			b = member(b, "field", m.Field)
			// The embedded Text's members are the message's.
			if b, err = textMembers(append(b, ','), &m.Text); err != nil {
				return b, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"fields":`...)
	if sc.Fields == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range sc.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendField(b, &sc.Fields[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"choices":`...)
	if sc.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range sc.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendChoice(b, &sc.Choices[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendField appends f as encoding/json writes it.
func appendField(b []byte, f *ui.Field) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = str(b, f.Name)
	b = append(b, `,"type":`...)
	b = str(b, f.Type)
	b, err := appendText(append(b, `,"label":`...), &f.Label)
	if err != nil {
		return b, err
	}
	if b, err = textPtr(b, "hint", f.Hint); err != nil {
		return b, err
	}
	b = append(b, `,"required":`...)
	b = jsonappend.Bool(b, f.Required)
	b = append(b, `,"masked":`...)
	b = jsonappend.Bool(b, f.Masked)
	b = member(b, "autocomplete", f.Autocomplete)
	b = member(b, "inputmode", f.InputMode)
	if f.Length != 0 {
		b = jsonappend.Int(append(b, `,"length":`...), f.Length)
	}
	b = member(b, "pattern", f.Pattern)
	if b, err = textPtr(b, "constraint", f.Constraint); err != nil {
		return b, err
	}
	b = member(b, "prefill", f.Prefill)
	if len(f.Options) > 0 {
		b = append(b, `,"options":[`...)
		for i := range f.Options {
			o := &f.Options[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"value":`...)
			b = str(b, o.Value)
			if b, err = appendText(append(b, `,"label":`...), &o.Label); err != nil {
				return b, err
			}
			if len(o.Data) > 0 {
				if b, err = jsonappend.AnyNoHTML(append(b, `,"data":`...), o.Data); err != nil {
					return b, err
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendChoice appends c as encoding/json writes it.
func appendChoice(b []byte, c *ui.Choice) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = str(b, c.Name)
	b, err := appendText(append(b, `,"label":`...), &c.Label)
	if err != nil {
		return b, err
	}
	b = append(b, `,"role":`...)
	b = str(b, c.Role)
	b = jsonappend.StringsNoHTML(append(b, `,"fields":`...), c.Fields)
	b = member(b, "url", c.URL)
	if !c.AvailableAt.IsZero() {
		if b, err = jsonappend.Time(append(b, `,"available_at":`...), c.AvailableAt); err != nil {
			return b, err
		}
	}
	if b, err = textPtr(b, "wait", c.Wait); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendText appends t as encoding/json writes it.
func appendText(b []byte, t *ui.Text) ([]byte, error) {
	b, err := textMembers(append(b, '{'), t)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// textMembers appends t's members, without the object's braces.
func textMembers(b []byte, t *ui.Text) ([]byte, error) {
	if t.ID != "" {
		b = append(str(append(b, `"id":`...), t.ID), ',')
	}
	b = str(append(b, `"text":`...), t.Text)
	if len(t.Params) > 0 {
		return jsonappend.AnyNoHTML(append(b, `,"params":`...), t.Params)
	}
	return b, nil
}

// textPtr appends member key, t, unless t is nil.
func textPtr(b []byte, key string, t *ui.Text) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	return appendText(append(jsonappend.StringNoHTML(append(b, ','), key), ':'), t)
}

// member appends member key, string v, unless v is empty.
func member(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return str(append(jsonappend.StringNoHTML(append(b, ','), key), ':'), v)
}

// str appends s as the Encoder does: <, > and & as they are.
func str(b []byte, s string) []byte { return jsonappend.StringNoHTML(b, s) }
