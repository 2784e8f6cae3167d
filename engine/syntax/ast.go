package syntax

import (
	"time"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// The syntax tree of a flow file, as loaded: every element keeps its
// position so that the checker can point at it.

// File is one loaded flow file.
type File struct {
	Path   string // as given to Load; positions use it
	Source []byte
	Flow   Ident
	Title  string
	// TitlePos is where the title is; zero when there is none.
	TitlePos yamlfile.Pos
	// Messages are the flow's own messages (messages:), which
	// message("name", {...}) in an expression makes.
	Messages []*MessageDecl
	Start    Ident
	Vars     []*ValueDecl
	// Sensitive names the variables that hold sensitive values
	// (sensitive:): kept sealed at rest, masked in logs, never shown.
	Sensitive []Ident
	Policy    []*ValueDecl
	// PolicyRules bound the policy's values.
	PolicyRules []*PolicyRule
	// Properties are the rules its sessions keep, proven over every path.
	Properties []*Property
	States     []*StateDecl

	// Version is the version: label naming this version of the flow, for
	// migrations; its Name is empty when there is none.
	Version Ident
	// Migrations say how sessions of earlier versions move to this one
	// (see Migration).
	Migrations []*Migration
}

// Ident is a name at a position.
type Ident struct {
	Name string
	Pos  yamlfile.Pos
}

// ValueDecl declares a variable or a policy value, typed by its value.
type ValueDecl struct {
	Name  string
	Pos   yamlfile.Pos // of the name
	Kind  value.Kind
	Value any
	VPos  yamlfile.Pos // of the value
}

// StateKind says what a state does.
type StateKind uint8

// The kinds of state.
const (
	RunState StateKind = iota + 1
	AskState
	FinalState
)

func (k StateKind) String() string {
	switch k {
	case RunState:
		return "run"
	case AskState:
		return "ask"
	case FinalState:
		return "final"
	}
	return "?"
}

// StateDecl is one state of a flow.
type StateDecl struct {
	Name string
	Pos  yamlfile.Pos
	Kind StateKind

	// run
	Run     Ident         // action name, or "flow:NAME"
	With    []*Assign     // parameters
	Timeout time.Duration // bounds each attempt at the action; 0: the action's own
	Retry   *Retry        // how a Remote action's transport failures are retried; nil: not

	// ask
	Ask *AskDecl

	// final
	Outcome Ident
	Success bool
	Message *Text
	Output  []*Assign

	// Sensitive names outputs that hold sensitive values (sensitive:):
	// of the action or subflow a run state runs (result.NAME), or given
	// by a final state's output:.
	Sensitive []Ident

	On    []*Handler
	After []*Timer
}

// Subflow returns the name of the flow a `run: flow:NAME` state runs.
func (s *StateDecl) Subflow() (string, bool) {
	const p = "flow:"
	if s.Kind == RunState && len(s.Run.Name) > len(p) && s.Run.Name[:len(p)] == p {
		return s.Run.Name[len(p):], true
	}
	return "", false
}

// Retry is a run state's retry: policy for transport failures, modelled on
// AWS Step Functions' Retry. Attempts counts every try, the first
// included; the wait before try n+1 is Backoff doubled n-1 times, at most
// MaxDelay.
type Retry struct {
	Pos      yamlfile.Pos
	Attempts int
	Backoff  time.Duration
	MaxDelay time.Duration
}

// Delay returns the wait after the failed try n (1-based).
func (r *Retry) Delay(n int) time.Duration {
	d := r.Backoff
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	return min(d, r.MaxDelay)
}

// AskDecl is a prompt.
type AskDecl struct {
	Text    *Text // the heading
	Body    *Text // the paragraphs under it
	Help    *Text // a note
	Fields  []*FieldDecl
	Choices []*ChoiceDecl
	Pos     yamlfile.Pos
}

// FieldDecl is one field of a prompt.
type FieldDecl struct {
	Name     string
	Pos      yamlfile.Pos
	Type     prompt.FieldType
	TypePos  yamlfile.Pos
	Label    *Text
	Hint     *Text
	If       *Expr
	Optional bool
	Options  []string // choice fields: fixed options
	// OptionsExpr (choice fields) computes the options when the prompt is
	// shown: a list of strings, or of maps with a value, a label (text or
	// a message) and data of the flow's own.
	OptionsExpr *Expr
	Length      int // code fields: exact number of digits, 0 for any
	// Prefill computes the value the field starts with (text and email
	// fields): never a secret.
	Prefill *Expr
}

// ChoiceDecl is one choice a prompt offers: the event the answer sends.
type ChoiceDecl struct {
	Name     string
	Pos      yamlfile.Pos
	Label    *Text
	Role     prompt.Role // empty: primary for the first choice, secondary after
	RolePos  yamlfile.Pos
	Fields   []string // the fields this choice takes; nil means all
	NoFields bool     // `fields: []`: the choice takes none
	// URL (link choices) computes where the link leads.
	URL *Expr
	// AvailableAt (a time expression) is when the choice becomes
	// available, computed when the prompt is shown.
	AvailableAt *Expr
}

// Text is prompt or message text; `{{ expr }}` parts are interpolated.
// Each text is a message: ID names it in catalogs, and each expression
// part is a parameter (Param) of it.
type Text struct {
	Raw   string
	Pos   yamlfile.Pos
	Parts []TextPart
	ID    string
}

// TextPart is literal text or an expression to interpolate, with the name
// of the parameter it is in the text's message.
type TextPart struct {
	Lit   string
	Expr  *Expr
	Param string
}

// MessageDecl is one message of a flow's messages: block. Its ID is the
// flow's name, a dot and its name.
type MessageDecl struct {
	Name   string
	ID     string
	Pos    yamlfile.Pos
	Source *prompt.Source
}

// Expr is an expression's source and where it starts in the file.
type Expr struct {
	Src string
	Pos yamlfile.Pos
	// Quote is 1 for a quoted scalar (the source starts one column after
	// Pos), 0 for a plain one; Block is set for a block scalar (the source
	// starts on the line after Pos).
	Quote int
	Block bool
}

// Assign is `name: expr` in with:, set: or output:.
type Assign struct {
	Name string
	Pos  yamlfile.Pos
	Expr *Expr
}

// Handler maps an event to its branches.
type Handler struct {
	Event    string
	Pos      yamlfile.Pos
	Branches []*Branch
}

// Branch is one alternative of a handler: taken when If holds (or has no
// If), it assigns Set and goes to Go (stays when Go is empty).
type Branch struct {
	Pos yamlfile.Pos
	If  *Expr
	Set []*Assign
	Go  Ident
}

// Timer fires Branches when the state has waited for Delay.
type Timer struct {
	Key      string // as written: "5m" or "policy.code_lifetime"
	Pos      yamlfile.Pos
	Delay    *Expr // a duration literal is compiled as an expression too
	Branches []*Branch
}
