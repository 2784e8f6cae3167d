package prompt

import (
	"fmt"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/jsonappend"
)

// AppendJSON appends the message as encoding/json writes it (with
// MarshalJSON), byte for byte, without reflection.
func (m *Message) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	if m.ID != "" {
		b = jsonappend.Key(b, "id")
		b = jsonappend.String(b, m.ID)
	}
	b = jsonappend.Key(b, "text")
	b = jsonappend.String(b, m.Text)
	if len(m.Params) > 0 {
		b = jsonappend.Key(b, "params")
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
	b = append(b, '{')
	b = jsonappend.Key(b, "text")
	b, err := p.Title.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if b, err = appendMessage(b, "body", p.Body); err != nil {
		return b, err
	}
	if b, err = appendMessage(b, "help", p.Help); err != nil {
		return b, err
	}
	if len(p.Fields) > 0 {
		b = jsonappend.Key(b, "fields")
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
	b = jsonappend.Key(b, "choices")
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

// appendMessage appends member key, message m, unless m is nil.
func appendMessage(b []byte, key string, m *Message) ([]byte, error) {
	if m == nil {
		return b, nil
	}
	return m.AppendJSON(jsonappend.Key(b, key))
}

func (f *Field) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = jsonappend.Key(b, "name")
	b = jsonappend.String(b, f.Name)
	b = jsonappend.Key(b, "label")
	b, err := f.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if b, err = appendMessage(b, "hint", f.Hint); err != nil {
		return b, err
	}
	b = jsonappend.Key(b, "type")
	b = jsonappend.String(b, string(f.Type))
	if f.Optional {
		b = jsonappend.Key(b, "optional")
		b = append(b, "true"...)
	}
	if f.Length != 0 {
		b = jsonappend.Key(b, "length")
		b = jsonappend.Int(b, f.Length)
	}
	if f.Prefill != "" {
		b = jsonappend.Key(b, "prefill")
		b = jsonappend.String(b, f.Prefill)
	}
	if len(f.Options) > 0 {
		b = jsonappend.Key(b, "options")
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
	b = append(b, '{')
	b = jsonappend.Key(b, "value")
	b = jsonappend.String(b, o.Value)
	b = jsonappend.Key(b, "label")
	b, err := o.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if len(o.Data) > 0 {
		// Plain JSON: an option's data is not in the value codec's form.
		if b, err = jsonappend.Any(jsonappend.Key(b, "data"), o.Data); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (c *Choice) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = jsonappend.Key(b, "name")
	b = jsonappend.String(b, c.Name)
	b = jsonappend.Key(b, "label")
	b, err := c.Label.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if c.Role != "" {
		b = jsonappend.Key(b, "role")
		b = jsonappend.String(b, string(c.Role))
	}
	if len(c.Fields) > 0 {
		b = jsonappend.Strings(jsonappend.Key(b, "fields"), c.Fields)
	}
	if c.URL != "" {
		b = jsonappend.Key(b, "url")
		b = jsonappend.String(b, c.URL)
	}
	if !c.AvailableAt.IsZero() {
		if b, err = jsonappend.Time(jsonappend.Key(b, "available_at"), c.AvailableAt); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
