package eventlog

import (
	"fmt"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/jsonappend"
)

// AppendJSON appends the entry as encoding/json writes it, byte for
// byte, without reflection: what a step that stores its entries spends
// most of its encoding on otherwise.
func (e *Entry) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"seq":`...)
	b = jsonappend.Int(b, e.Seq)
	b = append(b, `,"time":`...)
	b, err := jsonappend.Time(b, e.Time)
	if err != nil {
		return b, err
	}
	b = append(b, `,"kind":`...)
	b = jsonappend.String(b, string(e.Kind))
	b = append(b, `,"flow":`...)
	b = jsonappend.String(b, e.Flow)
	b = append(b, `,"state":`...)
	b = jsonappend.String(b, e.State)
	b = appendString(b, `,"event":`, e.Event)
	if e.Branch != 0 {
		b = append(b, `,"branch":`...)
		b = jsonappend.Int(b, e.Branch)
	}
	b = appendString(b, `,"guard":`, e.Guard)
	b = appendString(b, `,"to":`, e.To)
	b = appendString(b, `,"action":`, e.Action)
	if b, err = appendValues(b, `,"args":`, e.Args); err != nil {
		return b, err
	}
	if b, err = appendValues(b, `,"outputs":`, e.Outputs); err != nil {
		return b, err
	}
	if len(e.Changes) > 0 {
		b = append(b, `,"set":`...)
		b = append(b, '[')
		for i := range e.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = e.Changes[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if e.Prompt != nil {
		if b, err = e.Prompt.AppendJSON(append(b, `,"prompt":`...)); err != nil {
			return b, err
		}
	}
	if !e.PromptAt.IsZero() {
		if b, err = jsonappend.Time(append(b, `,"prompt_at":`...), e.PromptAt); err != nil {
			return b, err
		}
	}
	if e.Outcome != nil {
		if b, err = e.Outcome.AppendJSON(append(b, `,"outcome":`...)); err != nil {
			return b, err
		}
	}
	b = appendString(b, `,"error":`, e.Error)
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

// appendValues appends member (`,"name":`) and the list vs, unless it
// is empty.
func appendValues(b []byte, member string, vs []Value) ([]byte, error) {
	if len(vs) == 0 {
		return b, nil
	}
	b = append(b, member...)
	b = append(b, '[')
	for i := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = vs[i].appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendJSON appends what MarshalJSON returns.
func (v *Value) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = jsonappend.String(b, v.Name)
	if v.Secret {
		return append(b, `,"value":"***","secret":true}`...), nil
	}
	b = append(b, `,"value":`...)
	b, err := value.AppendJSON(b, v.Value)
	if err != nil {
		return b, fmt.Errorf("%s: %w", v.Name, err)
	}
	return append(b, '}'), nil
}

// appendJSON appends what MarshalJSON returns.
func (c *Change) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"var":`...)
	b = jsonappend.String(b, c.Var)
	if c.Masked {
		return append(b, `,"from":"***","to":"***","masked":true}`...), nil
	}
	b = append(b, `,"from":`...)
	b, err := value.AppendJSON(b, c.From)
	if err != nil {
		return b, fmt.Errorf("set %s: %w", c.Var, err)
	}
	b = append(b, `,"to":`...)
	if b, err = value.AppendJSON(b, c.To); err != nil {
		return b, fmt.Errorf("set %s: %w", c.Var, err)
	}
	return append(b, '}'), nil
}

// AppendJSON appends what MarshalJSON returns, without reflection.
func (o *Outcome) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"outcome":`...)
	b = jsonappend.String(b, o.Name)
	b = append(b, `,"success":`...)
	b = jsonappend.Bool(b, o.Success)
	b = append(b, `,"state":`...)
	b = jsonappend.String(b, o.State)
	b = appendString(b, `,"message":`, o.Message)
	if o.Output != nil {
		var err error
		if b, err = value.AppendJSON(append(b, `,"output":`...), o.Output); err != nil {
			return b, fmt.Errorf("output: %w", err)
		}
	}
	return append(b, '}'), nil
}
