package eventlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tetherflow/tether/engine/value"
)

// MarshalJSON writes {"name": ..., "value": ...} with the value in the
// codec's form; a secret is written as {"name": ..., "value": "***",
// "secret": true}, its value never.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Secret {
		return json.Marshal(struct {
			Name   string `json:"name"`
			Value  string `json:"value"`
			Secret bool   `json:"secret"`
		}{v.Name, Masked, true})
	}
	val, err := value.Marshal(v.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.Name, err)
	}
	return json.Marshal(struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}{v.Name, val})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name   string          `json:"name"`
		Value  json.RawMessage `json:"value"`
		Secret bool            `json:"secret"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*v = Value{Name: raw.Name, Secret: raw.Secret}
	if raw.Secret || raw.Value == nil {
		return nil
	}
	val, err := value.Unmarshal(raw.Value)
	if err != nil {
		return fmt.Errorf("%s: %w", raw.Name, err)
	}
	v.Value = val
	return nil
}

// MarshalJSON writes {"var": ..., "from": ..., "to": ...}, values in the
// codec's form; a masked change is {"var": ..., "from": "***", "to":
// "***", "masked": true}.
func (c Change) MarshalJSON() ([]byte, error) {
	if c.Masked {
		return json.Marshal(struct {
			Var    string `json:"var"`
			From   string `json:"from"`
			To     string `json:"to"`
			Masked bool   `json:"masked"`
		}{c.Var, Masked, Masked, true})
	}
	from, err := value.Marshal(c.From)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", c.Var, err)
	}
	to, err := value.Marshal(c.To)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", c.Var, err)
	}
	return json.Marshal(struct {
		Var  string          `json:"var"`
		From json.RawMessage `json:"from"`
		To   json.RawMessage `json:"to"`
	}{c.Var, from, to})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Change) UnmarshalJSON(data []byte) error {
	var raw struct {
		Var    string          `json:"var"`
		From   json.RawMessage `json:"from"`
		To     json.RawMessage `json:"to"`
		Masked bool            `json:"masked"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*c = Change{Var: raw.Var, Masked: raw.Masked}
	if raw.Masked {
		return nil
	}
	var err error
	if raw.From != nil {
		if c.From, err = value.Unmarshal(raw.From); err != nil {
			return fmt.Errorf("set %s: from: %w", raw.Var, err)
		}
	}
	if raw.To != nil {
		if c.To, err = value.Unmarshal(raw.To); err != nil {
			return fmt.Errorf("set %s: to: %w", raw.Var, err)
		}
	}
	return nil
}

// outcomeJSON is Outcome as JSON, its output values in the codec's form.
type outcomeJSON struct {
	Name    string          `json:"outcome"`
	Success bool            `json:"success"`
	State   string          `json:"state"`
	Message string          `json:"message,omitempty"`
	Output  json.RawMessage `json:"output,omitempty"`
}

// MarshalJSON writes the outcome with its output values in the codec's
// form.
func (o Outcome) MarshalJSON() ([]byte, error) {
	p := outcomeJSON{Name: o.Name, Success: o.Success, State: o.State, Message: o.Message}
	if o.Output != nil {
		out, err := value.Marshal(o.Output)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		p.Output = out
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Outcome) UnmarshalJSON(data []byte) error {
	var p outcomeJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*o = Outcome{Name: p.Name, Success: p.Success, State: p.State, Message: p.Message}
	if p.Output != nil {
		v, err := value.Unmarshal(p.Output)
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("output: want an object")
		}
		o.Output = m
	}
	return nil
}

// WriteJSONLines writes each entry as one JSON object per line, as a
// json.Encoder would.
func WriteJSONLines(w io.Writer, entries []Entry) error {
	var line []byte
	for i := range entries {
		var err error
		if line, err = entries[i].AppendJSON(line[:0]); err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotLog is wrapped by ReadJSONLines' error for input that is not an
// event log.
var ErrNotLog = errors.New("not an event log")

// maxLogLine bounds one line of a JSON-lines log.
const maxLogLine = 4 << 20

// ReadJSONLines reads an event log written by WriteJSONLines. A last line
// {"result": ...}, which `tether run --json` ends with, is returned as the
// outcome (nil when there is none). Errors name the line.
func ReadJSONLines(r io.Reader) ([]Entry, *Outcome, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	var entries []Entry
	var result *Outcome
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if result != nil {
			return nil, nil, fmt.Errorf("line %d: %w: an entry after the result line", n, ErrNotLog)
		}
		if bytes.HasPrefix(line, []byte(`{"result":`)) {
			var res struct {
				Result *Outcome `json:"result"`
			}
			if err := strictUnmarshal(line, &res); err != nil || res.Result == nil {
				return nil, nil, fmt.Errorf("line %d: %w: a bad result line", n, ErrNotLog)
			}
			result = res.Result
			continue
		}
		var e Entry
		if err := strictUnmarshal(line, &e); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w: %v", n, ErrNotLog, err)
		}
		if e.Seq <= 0 || e.Kind == "" {
			return nil, nil, fmt.Errorf("line %d: %w: an entry has a seq and a kind", n, ErrNotLog)
		}
		if k := len(entries); k > 0 && e.Seq <= entries[k-1].Seq {
			return nil, nil, fmt.Errorf("line %d: %w: seq %d after %d", n, ErrNotLog, e.Seq, entries[k-1].Seq)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	return entries, result, nil
}

// strictUnmarshal decodes one JSON value refusing unknown fields and
// trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
