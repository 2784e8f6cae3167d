package ui

import "time"

// Text is one text to show: its stable message id, the values of its
// parameters, and the text in the screen's locale. A text with no id is
// a value shown as it is (a licence's name, the portal's own words).
type Text struct {
	ID     string         `json:"id,omitempty" doc:"The message's stable id: translate or branch on it, never on the text." example:"connect.enter_code.text"`
	Text   string         `json:"text" doc:"The text in the response's locale, parameters filled in." example:"Enter the code we sent to +49 *** *** 12 34"`
	Params map[string]any `json:"params,omitempty" doc:"The message's parameters: text, numbers, durations in seconds, times in RFC 3339, messages as texts." example:"{\"phone\": \"+49 *** *** 12 34\"}"`
}

// Screen is a waiting session's prompt, described for a front end: a
// heading and paragraphs, messages to show, the fields to fill in and
// the choices that answer.
type Screen struct {
	Flow     string    `json:"flow" doc:"The flow the prompt belongs to (a subflow's name inside one)." example:"connect"`
	State    string    `json:"state" doc:"The state that shows it." example:"enter_code"`
	Locale   string    `json:"locale" doc:"The locale its texts are in (BCP 47)." example:"de"`
	Title    Text      `json:"title" doc:"The heading."`
	Body     []Text    `json:"body" doc:"Paragraphs under the heading, in order."`
	Messages []Message `json:"messages" doc:"Notes to show: information from the flow, and why the last answer was refused."`
	Fields   []Field   `json:"fields" doc:"The inputs, in order."`
	Choices  []Choice  `json:"choices" doc:"The answers the prompt takes, each a button, and links."`
}

// Message is a note shown with a prompt.
type Message struct {
	Type  string `json:"type" enum:"info,error" doc:"info: a note from the flow; error: why the last answer was refused."`
	Field string `json:"field,omitempty" doc:"The field the message is about, if one." example:"email"`
	Text
}

// Field is one input of a prompt. Its value is never sent back, but for a
// prefill the flow chose to show.
type Field struct {
	Name     string `json:"name" example:"code"`
	Type     string `json:"type" enum:"text,email,secret,code,choice,captcha,consent,number" doc:"The kind of input."`
	Label    Text   `json:"label"`
	Hint     *Text  `json:"hint,omitempty" doc:"What to put in it: the CAPTCHA's question."`
	Required bool   `json:"required" doc:"An answer must fill it in (when its choice takes it)."`
	Masked   bool   `json:"masked" doc:"Hide what is typed: a password or a code."`
	// Autocomplete and InputMode are the HTML hints that fit the type.
	Autocomplete string `json:"autocomplete,omitempty" doc:"The HTML autocomplete hint that fits the field." example:"one-time-code"`
	InputMode    string `json:"inputmode,omitempty" doc:"The HTML inputmode hint that fits the field." example:"numeric"`
	// Length, Pattern and Constraint say what the field takes: a code of
	// exactly Length digits. An answer outside them is refused before it
	// reaches the portal, and costs no attempt.
	Length     int      `json:"length,omitempty" doc:"The exact number of characters (a code's digits)." example:"6"`
	Pattern    string   `json:"pattern,omitempty" doc:"A regular expression (ECMAScript, as HTML's pattern) the whole value must match." example:"[0-9]{6}"`
	Constraint *Text    `json:"constraint,omitempty" doc:"The constraint in words, to show by the field."`
	Prefill    string   `json:"prefill,omitempty" doc:"The value to start with: what was typed before (never a secret)." example:"family@example.com"`
	Options    []Option `json:"options,omitempty" doc:"The values a choice field takes, each with its label and the flow's data about it."`
}

// Option is one value a choice field takes.
type Option struct {
	Value string         `json:"value" example:"LIC-FAM-F"`
	Label Text           `json:"label"`
	Data  map[string]any `json:"data,omitempty" doc:"What the flow says of the option, to lay it out without its label: a licence's id, plan, name and expiry." example:"{\"id\": \"LIC-FAM-F\", \"plan\": \"Family\", \"name\": \"Family (5 devices)\", \"expires\": \"2099-12-31T00:00:00Z\"}"`
}

// Choice is one answer a prompt takes, or a link: a button, and the
// fields it sends.
type Choice struct {
	Name   string   `json:"name" example:"resend"`
	Label  Text     `json:"label"`
	Role   string   `json:"role" enum:"primary,secondary,cancel,help,link" doc:"What the choice is for: primary (the answer the prompt is for), secondary, cancel (leave), help (leads to help), link (not an answer: open url)."`
	Fields []string `json:"fields" doc:"The fields this choice sends; the others are not looked at."`
	URL    string   `json:"url,omitempty" doc:"Where a link leads." example:"https://portal.example.com/regulations/gdpr-data-provisioning-de?version=2025.1-de"`
	// AvailableAt and Wait are set while the choice waits for a time
	// ("Get a new code" during its cooldown).
	AvailableAt time.Time `json:"available_at,omitzero" doc:"Set when the choice becomes available only later (Get a new code, during its cooldown): disable the button until then. Absent: available now."`
	Wait        *Text     `json:"wait,omitempty" doc:"How long until then, in words, as the screen was made."`
}

// Result is how a session ended, for a front end to say.
type Result struct {
	Outcome string         `json:"outcome" doc:"The outcome's name." example:"connected"`
	Success bool           `json:"success"`
	Locale  string         `json:"locale" doc:"The locale its texts are in (BCP 47)." example:"fr"`
	Message *Text          `json:"message,omitempty" doc:"The final state's message."`
	Output  map[string]any `json:"output,omitempty" doc:"The outcome's values."`
	// Code and Error are set when the session failed rather than reached
	// an outcome. What failed (a file, a state, an action) is in the
	// server's log only.
	Code  string `json:"code,omitempty" enum:"session_failed" doc:"Set when the session failed rather than reached an outcome: session_failed. Stable: clients branch on it."`
	Error string `json:"error,omitempty" doc:"Set with code: what to tell people, in the response's locale. What failed is in the server's log, under the session's id."`
}
