package prompt

import (
	"fmt"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/jsonappend"
)

// AppendJSON appends the message as encoding/json writes it (with
// MarshalJSON), byte for byte, without reflection.
func (m *Message) AppendJSON(b []byte) ([]byte, error) {
	if m.ID != "" {
		b = append(b, `{"id":`...)
		b = jsonappend.String(b, m.ID)
		b = append(b, `,"text":`...)
	} else {
		b = append(b, `{"text":`...)
	}
	b = jsonappend.String(b, m.Text)
	if len(m.Params) > 0 {
		b = append(b, `,"params":`...)
		var err error
		if b, err = value.AppendJSON(b, m.Params); err != nil {
			return b, fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	return append(b, '}'), nil
}

// AppendJSON appends the prompt as encoding/json writes it, byte for
// byte, without reflection.
func (p *Prompt) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"text":`...)
	b, err := p.Title.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if b, err = appendMessage(b, `,"body":`, p.Body); err != nil {
		return b, err
	}
	if b, err = appendMessage(b, `,"help":`, p.Help); err != nil {
		return b, err
	}
	if len(p.Fields) > 0 {
		b = append(b, `,"fields":`...)
		b = append(b, '[')
		for i := range p.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = p.Fields[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"choices":`...)
	if p.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = p.Choices[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendMessage appends member (`,"name":`) and message m, unless m is
// nil.
func appendMessage(b []byte, member string, m *Message) ([]byte, error) {
	if m == nil {
		return b, nil
	}
	return m.AppendJSON(append(b, member...))
}

func (f *Field) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = jsonappend.String(b, f.Name)
	b = append(b, `,"label":`...)
	b, err := f.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if b, err = appendMessage(b, `,"hint":`, f.Hint); err != nil {
		return b, err
	}
	b = append(b, `,"type":`...)
	b = jsonappend.String(b, string(f.Type))
	if f.Optional {
		b = append(b, `,"optional":`...)
		b = append(b, "true"...)
	}
	if f.Length != 0 {
		b = append(b, `,"length":`...)
		b = jsonappend.Int(b, f.Length)
	}
	if f.Prefill != "" {
		b = append(b, `,"prefill":`...)
		b = jsonappend.String(b, f.Prefill)
	}
	if len(f.Options) > 0 {
		b = append(b, `,"options":`...)
		b = append(b, '[')
		for i := range f.Options {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = f.Options[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func (o *Option) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"value":`...)
	b = jsonappend.String(b, o.Value)
	b = append(b, `,"label":`...)
	b, err := o.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if len(o.Data) > 0 {
		// Plain JSON: an option's data is not in the value codec's form.
		if b, err = jsonappend.Any(append(b, `,"data":`...), o.Data); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (c *Choice) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = jsonappend.String(b, c.Name)
	b = append(b, `,"label":`...)
	b, err := c.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if c.Role != "" {
		b = append(b, `,"role":`...)
		b = jsonappend.String(b, string(c.Role))
	}
	if len(c.Fields) > 0 {
		b = jsonappend.Strings(append(b, `,"fields":`...), c.Fields)
	}
	if c.URL != "" {
		b = append(b, `,"url":`...)
		b = jsonappend.String(b, c.URL)
	}
	if !c.AvailableAt.IsZero() {
		if b, err = jsonappend.Time(append(b, `,"available_at":`...), c.AvailableAt); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
