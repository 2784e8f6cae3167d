package engine

import (
	"encoding/json"
	"fmt"

	"github.com/tetherflow/tether/engine/value"
)

// frameJSON is FrameSnapshot as JSON, its variables in the codec's form.
type frameJSON struct {
	Flow   string          `json:"flow"`
	Hash   string          `json:"hash"`
	State  string          `json:"state"`
	Vars   json.RawMessage `json:"vars,omitempty"`
	Timers []TimerSnapshot `json:"timers,omitempty"`
}

// MarshalJSON writes the frame with its variables in the codec's form.
func (fs FrameSnapshot) MarshalJSON() ([]byte, error) {
	p := frameJSON{Flow: fs.Flow, Hash: fs.Hash, State: fs.State, Timers: fs.Timers}
	if len(fs.Vars) > 0 {
		vars, err := value.Marshal(fs.Vars)
		if err != nil {
			return nil, fmt.Errorf("flow %s: vars: %w", fs.Flow, err)
		}
		p.Vars = vars
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (fs *FrameSnapshot) UnmarshalJSON(data []byte) error {
	var p frameJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*fs = FrameSnapshot{Flow: p.Flow, Hash: p.Hash, State: p.State, Timers: p.Timers}
	if p.Vars != nil {
		v, err := value.Unmarshal(p.Vars)
		if err != nil {
			return fmt.Errorf("flow %s: vars: %w", p.Flow, err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("flow %s: vars: want an object", p.Flow)
		}
		fs.Vars = m
	}
	return nil
}
