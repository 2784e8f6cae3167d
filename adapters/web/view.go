package web

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// problemUI is a host's refusal as the prompt model takes it.
func problemUI(p *host.Problem) *ui.Problem {
	if p == nil {
		return nil
	}
	return &ui.Problem{Kind: p.Kind, Field: p.Field, ID: p.ID, Text: p.Message, Params: p.Params}
}

// screen is what the page template renders: one of Start, Prompt, Result
// or Problem, with the notes and errors above it.
type screen struct {
	// Title is the page's heading and (after any "Error: ") its title.
	Title string
	// Key names the screen for scripts and tests: the state and version
	// of a session's screen ("enter_code/7"), "start", "result", "problem".
	Key string
	// Errors are the reasons the last answer was refused, each linked to
	// its field; Notes are information (info messages, the flash).
	Errors []errorLine
	Notes  []block
	// Script includes the page's script: a wait counts down.
	Script bool
	// Lang is the page's locale (<html lang>); Languages the language
	// switch. Country is kept on the start page the switch returns to.
	Lang      string
	Languages []languageLink
	Country   string

	Start   *startView
	Prompt  *promptView
	Result  *resultView
	Problem *problemView
}

// errorLine is one error, about the field with the element id Target
// when there is one.
type errorLine struct {
	Target string
	Text   string
}

// block is a paragraph, or a list when Items is set.
type block struct {
	Text  string
	Items []string
}

// promptView is a waiting session's prompt as a form.
type promptView struct {
	CSRF    string
	Version int
	Text    []block
	Fields  []fieldView
	Choices []choiceView
	// Picks, when set, replace the one field with suggestions: one form
	// per value, each with the button of the choice that takes it
	// ("Choose subscription": a licence per row, each with Select).
	Picks *picksView
	Links []linkView
}

// fieldView is one input.
type fieldView struct {
	ID, Name, Label   string
	Input             string // the input's type: text, email, password, checkbox, or select
	Autocomplete      string
	InputMode         string
	MaxLength         int
	Required          bool
	Autofocus         bool
	Options           []optionView
	Choose            string // a select's first option, which chooses none
	Value             string // the prefill: never a secret, never what was typed
	Pattern           string
	Hint              string
	Error             string // why the last answer was refused, about this field
	ErrorID           string
	NoSpellcheck      bool
	AutocapitalizeOff bool
}

// optionView is one option of a select.
type optionView struct {
	Value, Label string
}

// linkView is a link a prompt offers (the regulation's full text).
type linkView struct {
	Label, URL string
}

// choiceView is one button.
type choiceView struct {
	Name, Label string
	Primary     bool
	// NoValidate is set on a button that does not take every required
	// field ("Get a new code"): the browser sends it without them.
	NoValidate bool
	// Wait is the number of seconds until the choice is available; while
	// it is positive the button is disabled.
	Wait int
	// WaitID is the id of the element that says how long to wait;
	// WaitBefore and WaitAfter the sentence around the count, WaitDone
	// what it says once the wait is over.
	WaitID                          string
	WaitBefore, WaitAfter, WaitDone string
}

// picksView lists the values a field offers, each with its button.
type picksView struct {
	Field  string
	Choice choiceView
	Items  []pickView
}

// pickView is one value offered.
type pickView struct {
	Value, Label string
}

// sessionPage renders session v (the browser's, s) with the flash f.
func (p *Pages) sessionPage(w http.ResponseWriter, r *http.Request, s sessionRef, v *host.View, f flash) {
	l := p.localizer(r, v)
	if v.Done || v.Step.Prompt == nil {
		res := ui.BuildResult(v.Step.Outcome, v.Error, l)
		rv, err := p.resultView(w, r, l, res, v.Country)
		if err != nil {
			p.internal(w, r, "form nonce", err)
			return
		}
		p.render(w, r, l, http.StatusOK, &screen{Key: "result", Title: rv.Heading, Result: rv})
		return
	}
	pr := ui.Build(v.Step.Flow, v.Step.State, v.Step.Prompt, problemUI(v.Problem), l, p.cfg.Now())
	sc := &screen{Key: fmt.Sprintf("%s/%d", v.Step.State, v.Version), Title: pr.Title.Text}
	pv := &promptView{CSRF: answerToken(s), Version: v.Version}
	sc.Prompt = pv
	pickField, pickChoice := picks(pr)
	fieldErr := map[string]string{}
	switch f.Kind {
	case flashRefused:
		label := ""
		for _, fl := range pr.Fields {
			if fl.Name == f.Field {
				label = fl.Label.Text
			}
		}
		text := sentence(l.Problem(&ui.Problem{Kind: "input", Field: f.Field, ID: f.ID, Text: f.Text, Params: f.Params}).Text)
		if label == "" || (pickField >= 0 && pr.Fields[pickField].Name == f.Field) {
			sc.Errors = append(sc.Errors, errorLine{Text: text})
		} else {
			fieldErr[f.Field] = text
			sc.Errors = append(sc.Errors, errorLine{Target: fieldID(f.Field), Text: l.Say("web.refusal", "label", label, "problem", text)})
		}
	case flashStale:
		sc.Notes = append(sc.Notes, block{Text: l.Say("web.flash.stale")})
	case flashGone:
		sc.Notes = append(sc.Notes, block{Text: l.Say("web.flash.gone")})
	}
	for _, m := range pr.Messages {
		if m.Type == "info" {
			sc.Notes = append(sc.Notes, blocks(m.Text.Text)...)
		}
	}
	for _, b := range pr.Body {
		pv.Text = append(pv.Text, blocks(b.Text)...)
	}
	for i, fl := range pr.Fields {
		if i == pickField {
			continue
		}
		fv := fieldOf(fl, l)
		if e, ok := fieldErr[fl.Name]; ok {
			fv.Error, fv.ErrorID = e, fv.ID+"-error"
		}
		pv.Fields = append(pv.Fields, fv)
	}
	focus(pv.Fields)
	now := p.cfg.Now()
	for i, c := range pr.Choices {
		if c.Role == "link" {
			pv.Links = append(pv.Links, linkView{Label: c.Label.Text, URL: c.URL})
			continue
		}
		cv := choiceView{Name: c.Name, Label: c.Label.Text, Primary: c.Role == "primary"}
		if c.AvailableAt.After(now) {
			cv.Wait = int((c.AvailableAt.Sub(now) + time.Second - 1) / time.Second)
			cv.WaitID = "wait-" + c.Name
			// The count is a span the script counts down: the sentence
			// around it is the locale's.
			cv.WaitBefore, cv.WaitAfter, _ = strings.Cut(l.Say("web.wait", "label", cv.Label, "count", "\x00"), "\x00")
			cv.WaitDone = l.Say("web.wait_done", "label", cv.Label)
			sc.Script = true
		}
		if i == pickChoice {
			fl := pr.Fields[pickField]
			pv.Picks = &picksView{Field: fl.Name, Choice: cv}
			for _, o := range fl.Options {
				pv.Picks.Items = append(pv.Picks.Items, pickView{Value: o.Value, Label: o.Label.Text})
			}
			continue
		}
		for _, fl := range pv.Fields {
			if fl.Required && !slices.Contains(c.Fields, fl.Name) {
				cv.NoValidate = true
			}
		}
		pv.Choices = append(pv.Choices, cv)
	}
	p.render(w, r, l, http.StatusOK, sc)
}

// picks returns the field of a prompt whose values are picked from a list
// — its only field, a choice of options computed by the flow — and the
// choice that takes it alone ("Choose subscription": each licence with
// its Select); -1, -1 when there is none.
func picks(pr *ui.Screen) (field, choice int) {
	if len(pr.Fields) != 1 || pr.Fields[0].Type != "choice" || len(pr.Fields[0].Options) == 0 {
		return -1, -1
	}
	for i, c := range pr.Choices {
		if len(c.Fields) == 1 && c.Fields[0] == pr.Fields[0].Name {
			return 0, i
		}
	}
	return -1, -1
}

// focus puts the focus on the field in error, or else on the first one
// not filled in already (the password, after a refusal kept the email):
// keyboard users start typing at once.
func focus(fields []fieldView) {
	for i := range fields {
		if fields[i].Error != "" {
			fields[i].Autofocus = true
			return
		}
	}
	for i := range fields {
		if fields[i].Value == "" {
			fields[i].Autofocus = true
			return
		}
	}
	if len(fields) > 0 {
		fields[0].Autofocus = true
	}
}

// fieldOf is the input for a field of the prompt model, in l's locale.
func fieldOf(f ui.Field, l *ui.Localizer) fieldView {
	fv := fieldView{
		ID: fieldID(f.Name), Name: f.Name, Label: f.Label.Text, Input: "text", Required: f.Required, Choose: l.Say("web.choose"),
		Autocomplete: f.Autocomplete, InputMode: f.InputMode, MaxLength: 256, Value: f.Prefill, Pattern: f.Pattern,
	}
	if f.Hint != nil {
		fv.Hint = f.Hint.Text
	}
	if f.Constraint != nil {
		fv.Hint = strings.TrimSpace(fv.Hint + " " + f.Constraint.Text)
	}
	for _, o := range f.Options {
		fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label.Text})
	}
	switch f.Type {
	case "email":
		fv.Input, fv.InputMode, fv.NoSpellcheck, fv.AutocapitalizeOff = "email", "", true, true
	case "secret":
		fv.Input = "password"
	case "code", "captcha":
		// A code is shown as it is typed: a one-time code is useless once
		// used, and a text input lets the browser fill it from an SMS.
		fv.NoSpellcheck, fv.AutocapitalizeOff = true, true
		if f.Length > 0 {
			fv.MaxLength = f.Length
		}
	case "choice":
		fv.Input = "select"
	case "consent":
		fv.Input = "checkbox"
	}
	return fv
}

// fieldID is the element id of a field's input.
func fieldID(name string) string { return "field-" + name }

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// blocks splits prompt text into paragraphs and lists: lines that start
// with "- " are list items, other lines run on into their paragraph (the
// flows wrap their text for terminals), blank lines end one.
func blocks(text string) []block {
	var out []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, block{Text: strings.Join(para, " ")})
			para = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "- "):
			flush()
			item := strings.TrimSpace(line[2:])
			if n := len(out); n > 0 && out[n-1].Items != nil {
				out[n-1].Items = append(out[n-1].Items, item)
			} else {
				out = append(out, block{Items: []string{item}})
			}
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

// render writes screen sc with status, in l's locale: the page's words
// are said by the templates' t, the language switch leads to the others.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, l *ui.Localizer, status int, sc *screen) {
	sc.Lang = l.Locale()
	sc.Languages = p.languages(l, sc.Country)
	tmpl, err := p.tmpl.Clone()
	if err != nil {
		panic(fmt.Sprintf("web: templates: %v", err))
	}
	tmpl.Funcs(pageFuncs(l))
	var buf bytes.Buffer
	w.Header().Set("Content-Language", sc.Lang)
	if err := tmpl.ExecuteTemplate(&buf, "page", sc); err != nil {
		// The templates are the package's own: a failure is a bug.
		panic(fmt.Sprintf("web: render %s: %v", sc.Key, err))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
