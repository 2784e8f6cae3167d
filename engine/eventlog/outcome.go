package eventlog

import "github.com/tetherflow/tether/engine/prompt"

// Outcome is how a session ended: the final state's outcome name, whether it
// counts as success, its message and its output values.
type Outcome struct {
	Name    string `json:"outcome"`
	Success bool   `json:"success"`
	State   string `json:"state"`
	// Message is the final state's message in the flow's own words; Text
	// is the same message with its id and parameters, for a front end to
	// show in the person's language.
	Message string          `json:"message,omitempty"`
	Text    *prompt.Message `json:"text,omitempty"`
	Output  map[string]any  `json:"output,omitempty"`
}
