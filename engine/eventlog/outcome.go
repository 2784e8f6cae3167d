package eventlog

// Outcome is how a session ended: the final state's outcome name, whether it
// counts as success, its message and its output values.
type Outcome struct {
	Name    string         `json:"outcome"`
	Success bool           `json:"success"`
	State   string         `json:"state"`
	Message string         `json:"message,omitempty"`
	Output  map[string]any `json:"output,omitempty"`
}
