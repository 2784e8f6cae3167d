package httpapi

import (
	"strings"
	"time"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/host"
)

// Session is a session as the API shows it: where it stands and what to
// show — the prompt it waits at, as a description of the screen, or how
// it ended. Every response about a session carries one.
type Session struct {
	ID      string `json:"id" doc:"The session's id: 128 random bits in hex." example:"3f2a9c0d1e5b7a44c0ffee1234567890"`
	Flow    string `json:"flow" doc:"The flow the session runs." example:"connect"`
	Region  string `json:"region" doc:"The regional policy it runs under; default when none applies." example:"eu-de"`
	Country string `json:"country,omitempty" doc:"The country it was started for (ISO 3166-1 alpha-2)." example:"DE"`
	Device  string `json:"device" doc:"The device it connects." example:"laptop-7f3a"`
	State   string `json:"state" doc:"The state it is in: the prompt's, or the final state's." example:"enter_code"`
	// Version is what an answer's If-Match names.
	Version int `json:"version" doc:"Its version: an answer carries it in If-Match (the ETag)." example:"4"`
	// Status is waiting (Prompt is set) or ended (Result is set).
	Status    string    `json:"status" enum:"waiting,ended" doc:"waiting: prompt is set; ended: result is set."`
	ExpiresAt time.Time `json:"expires_at,omitzero" doc:"When it expires if nothing happens; every step moves it on."`
	Prompt    *Prompt   `json:"prompt,omitempty" doc:"What to show while it waits."`
	Result    *Result   `json:"result,omitempty" doc:"How it ended."`
	// Secret is the session's secret, in the response that created it
	// only.
	Secret string `json:"secret,omitempty" doc:"The session's secret, only in the response that created it: every later request presents it as 'Authorization: Bearer SECRET'. The server keeps only its hash."`
	// Warnings are said once, in the response to the request they are
	// about.
	Warnings []string `json:"warnings,omitempty" doc:"What the request did that goes in a later release (a deprecated member), for the client's developers; absent when nothing." example:"[\"deprecated: the request member region is the old name of country and goes in the next release; send country\"]"`
}

// Prompt describes the screen a waiting session shows: a title and text,
// messages, the fields to fill in and the choices (buttons) that answer.
type Prompt struct {
	Flow     string    `json:"flow" doc:"The flow the prompt belongs to (a subflow's name inside one)." example:"connect"`
	Title    string    `json:"title" doc:"The prompt's first line: a heading." example:"Sign in to your account"`
	Text     string    `json:"text,omitempty" doc:"The rest of the prompt's text, lines separated by newlines."`
	Messages []Message `json:"messages" doc:"Notes to show: information from the flow, and why the last answer was refused."`
	Fields   []Field   `json:"fields" doc:"The inputs, in order."`
	Choices  []Choice  `json:"choices" doc:"The answers the prompt takes, each a button."`
}

// Message is a line to show with a prompt.
type Message struct {
	Type  string `json:"type" enum:"info,error" doc:"info: a note from the flow; error: why the last answer was refused."`
	Field string `json:"field,omitempty" doc:"The field the message is about, if one." example:"email"`
	Text  string `json:"text" example:"The email address or password is not right."`
}

// Field is one input of a prompt. Its value is never sent back.
type Field struct {
	Name     string `json:"name" example:"password"`
	Type     string `json:"type" enum:"text,email,secret,code,choice,captcha,consent,number" doc:"The kind of input."`
	Label    string `json:"label" example:"Password"`
	Required bool   `json:"required" doc:"An answer must fill it in (when its choice takes it)."`
	Masked   bool   `json:"masked" doc:"Hide what is typed: a password or a code."`
	// Autocomplete and InputMode are the HTML hints that fit the type.
	Autocomplete string       `json:"autocomplete,omitempty" doc:"The HTML autocomplete hint that fits the field." example:"current-password"`
	InputMode    string       `json:"inputmode,omitempty" doc:"The HTML inputmode hint that fits the field." example:"numeric"`
	Length       int          `json:"length,omitempty" doc:"The expected length (a code)."`
	Options      []string     `json:"options,omitempty" doc:"The values a choice field takes."`
	Suggestions  []Suggestion `json:"suggestions,omitempty" doc:"Values a text field offers, to pick from a menu; any text is still taken."`
}

// Suggestion is a value a text field offers, with its label.
type Suggestion struct {
	Value string `json:"value" example:"LIC-FAM-F"`
	Label string `json:"label" example:"Family (5 devices) (Family)"`
}

// Choice is one answer a prompt takes: a button, and the fields it sends.
type Choice struct {
	Name   string   `json:"name" example:"continue"`
	Label  string   `json:"label" example:"Sign in"`
	Fields []string `json:"fields" doc:"The fields this choice sends; the others are not looked at."`
	// AvailableAt is set while the choice waits for a time ("Get a new
	// code" during its cooldown).
	AvailableAt time.Time `json:"available_at,omitzero" doc:"Set when the choice becomes available only later (Get a new code, during its cooldown): show the wait and disable the button until then. Absent: available now. Answering earlier is the flow's to judge (it says how long to wait)."`
}

// Result is how a session ended.
type Result struct {
	Outcome string         `json:"outcome" doc:"The outcome's name." example:"connected"`
	Success bool           `json:"success"`
	Message string         `json:"message,omitempty" example:"family@example.com, plan Family, licence LIC-FAM-F"`
	Output  map[string]any `json:"output,omitempty" doc:"The outcome's values."`
	// Code and Error are set when the session failed rather than reached
	// an outcome. What failed (a file, a state, an action) is in the
	// server's log only.
	Code  string `json:"code,omitempty" enum:"session_failed" doc:"Set when the session failed rather than reached an outcome: session_failed. Stable: clients branch on it."`
	Error string `json:"error,omitempty" doc:"Set with code: what to tell people. What failed is in the server's log, under the session's id."`
}

// CodeSessionFailed is Result.Code for a session that failed.
const CodeSessionFailed = "session_failed"

// failure is Result.Error: the server's log has the rest.
const failure = "the session could not go on; the server's log says why, under the session's id"

// Describe returns the session a host view shows, as the API describes
// it (without the secret): what the web pages render, so that a page and
// an API response never disagree.
func Describe(v *host.View) *Session { return sessionOf(v) }

// sessionOf renders a host view.
func sessionOf(v *host.View) *Session {
	s := &Session{
		ID: v.ID, Flow: v.Flow, Region: v.Region, Country: v.Country, Device: v.Device,
		State: v.Step.State, Version: v.Version, ExpiresAt: v.Expires.UTC(), Status: "waiting",
	}
	if v.Expires.IsZero() {
		s.ExpiresAt = time.Time{}
	}
	switch {
	case v.Done:
		s.Status = "ended"
		s.Result = &Result{Outcome: "error"}
		if o := v.Step.Outcome; o != nil {
			s.Result = &Result{Outcome: o.Name, Success: o.Success, Message: o.Message, Output: o.Output}
		}
		if v.Error != "" {
			s.Result.Code, s.Result.Error = CodeSessionFailed, failure
		}
	case v.Step.Prompt != nil:
		s.Prompt = promptOf(v.Step.Flow, v.Step.Prompt, v.Problem)
	}
	return s
}

func promptOf(flow string, p *prompt.Prompt, problem *host.Problem) *Prompt {
	title, text, _ := strings.Cut(p.Text, "\n")
	out := &Prompt{Flow: flow, Title: title, Text: strings.TrimSpace(text), Messages: []Message{}, Fields: []Field{}, Choices: []Choice{}}
	if h := strings.TrimSpace(p.Help); h != "" {
		out.Messages = append(out.Messages, Message{Type: "info", Text: h})
	}
	if problem != nil {
		out.Messages = append(out.Messages, Message{Type: "error", Field: problem.Field, Text: problem.Message})
	}
	for _, f := range p.Fields {
		label := f.Label
		if label == "" {
			label = f.Name
		}
		wf := Field{
			Name: f.Name, Type: string(f.Type), Label: label, Required: !f.Optional, Masked: f.Type.Secret(),
			Length: f.Length, Options: f.Options,
		}
		wf.Autocomplete, wf.InputMode = hints(f.Type)
		for _, s := range f.Suggest {
			wf.Suggestions = append(wf.Suggestions, Suggestion{Value: s.Value, Label: s.Label})
		}
		out.Fields = append(out.Fields, wf)
	}
	for _, c := range p.Choices {
		label := c.Label
		if label == "" {
			label = c.Name
		}
		fields := c.Fields
		if fields == nil {
			fields = []string{}
		}
		out.Choices = append(out.Choices, Choice{Name: c.Name, Label: label, Fields: fields, AvailableAt: c.AvailableAt})
	}
	return out
}

// hints returns the HTML autocomplete and inputmode hints for a type.
func hints(t prompt.FieldType) (autocomplete, inputmode string) {
	switch t {
	case prompt.EmailField:
		return "username", "email"
	case prompt.SecretField:
		return "current-password", ""
	case prompt.CodeField:
		return "one-time-code", "numeric"
	case prompt.NumberField:
		return "", "numeric"
	case prompt.CaptchaField:
		return "off", ""
	}
	return "", ""
}
