package terminal

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/ansi"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/ui"
)

// These tests drive the real huh form a Form builds, as a terminal does:
// key presses go to the form's Update, its commands run and their
// messages go back, and what the person sees is the form's View, its
// styles stripped. Each pins one of the frictions people met.

// driven is a form driven key by key.
type driven struct {
	t    *testing.T
	form *huh.Form
}

func drive(t *testing.T, b *Built) *driven {
	t.Helper()
	d := &driven{t: t, form: b.Form}
	d.run(d.form.Init(), 0)
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	return d
}

// send gives the form msg and runs what it asks for.
func (d *driven) send(msg tea.Msg) {
	m, cmd := d.form.Update(msg)
	d.form = m.(*huh.Form)
	d.run(cmd, 0)
}

// run runs cmd and sends its message back. A command that does not
// answer at once waits for time (a cursor's blink): it is left.
func (d *driven) run(cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 20 {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(50 * time.Millisecond):
		return
	}
	switch m := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range m {
			d.run(c, depth+1)
		}
	default:
		mod, next := d.form.Update(m)
		d.form = mod.(*huh.Form)
		d.run(next, depth+1)
	}
}

// keys presses keys: "enter", "down", "up", or text typed.
func (d *driven) keys(keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			d.send(tea.KeyMsg{Type: tea.KeyEnter})
		case "down":
			d.send(tea.KeyMsg{Type: tea.KeyDown})
		case "up":
			d.send(tea.KeyMsg{Type: tea.KeyUp})
		default:
			for _, r := range k {
				d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
		}
	}
}

// screen is what the terminal shows, without styles.
func (d *driven) screen() string { return ansi.Strip(d.form.View()) }

func (d *driven) shows(want ...string) {
	d.t.Helper()
	sc := d.screen()
	for _, w := range want {
		if !strings.Contains(sc, w) {
			d.t.Errorf("the screen lacks %q:\n%s", w, sc)
		}
	}
}

func (d *driven) hides(unwanted ...string) {
	d.t.Helper()
	sc := d.screen()
	for _, w := range unwanted {
		if strings.Contains(sc, w) {
			d.t.Errorf("the screen shows %q:\n%s", w, sc)
		}
	}
}

var clock0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// build makes the form of prompt p at the time now, in English.
func build(p *prompt.Prompt, now time.Time) (*Form, *Built) {
	f := NewForm(strings.NewReader(""), &strings.Builder{}, WithClock(func() time.Time { return now }))
	return f, f.Build(ui.Build("connect", "state", p, nil, f.loc, now))
}

// The CAPTCHA's question is shown by the field its answer is typed in,
// however many choices the prompt has (it was shown only when it had one).
func TestFormCaptchaQuestionByItsField(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Sign in to your account"),
		Help:  &prompt.Message{Text: "The email address or password is not right."},
		Fields: []prompt.Field{
			{Name: "email", Label: msg("Email address"), Type: prompt.EmailField},
			{Name: "password", Label: msg("Password"), Type: prompt.SecretField},
			{Name: "captcha", Label: msg("CAPTCHA answer"), Type: prompt.CaptchaField, Hint: &prompt.Message{Text: "What is 9 plus 9?"}},
		},
		Choices: []prompt.Choice{
			{Name: "continue", Label: msg("Sign in"), Role: prompt.Primary, Fields: []string{"email", "password", "captcha"}},
			{Name: "cancel", Label: msg("Cancel"), Role: prompt.Cancel},
		},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.keys("enter") // Sign in
	d.shows("Sign in to your account", "The email address or password is not right.", "Email address")
	d.keys("a@example.com", "enter", "hunter2-pass", "enter")
	d.shows("CAPTCHA answer", "What is 9 plus 9?")
	d.keys("18", "enter")
	if r := b.Reply(); r.Choice != "continue" || r.Input["captcha"] != "18" || r.Input["email"] != "a@example.com" {
		t.Errorf("reply = %+v", r)
	}
}

// A masked phone number is shown as it is: huh reads a note as Markdown,
// and "*** ***" was taken for bold ("+49   12 34").
func TestFormMaskedPhoneShownAsIs(t *testing.T) {
	p := &prompt.Prompt{
		Title:   msg("Didn't receive the code?"),
		Body:    &prompt.Message{Text: "The code goes by SMS to +49 *** *** 12 34. Check that_the phone is on."},
		Choices: []prompt.Choice{{Name: "back", Label: msg("Back to the code"), Role: prompt.Primary}},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.shows("+49 *** *** 12 34.", "that_the")
}

// During the cooldown, "Get a new code" says how long to wait, in words,
// and is refused until then; afterwards it is taken.
func TestFormCooldown(t *testing.T) {
	p := &prompt.Prompt{
		Title:  msg("Enter the code we sent to +49 *** *** 12 34"),
		Fields: []prompt.Field{{Name: "code", Label: msg("Code"), Type: prompt.CodeField, Length: 6}},
		Choices: []prompt.Choice{
			{Name: "continue", Label: msg("Confirm"), Role: prompt.Primary, Fields: []string{"code"}},
			{Name: "resend", Label: msg("Get a new code"), Role: prompt.Secondary, AvailableAt: clock0.Add(24808992720 * time.Nanosecond)},
		},
	}
	now := clock0
	f := NewForm(strings.NewReader(""), &strings.Builder{}, WithClock(func() time.Time { return now }))
	b := f.Build(ui.Build("connect", "enter_code", p, nil, f.loc, now))
	d := drive(t, b)
	d.shows("Get a new code (not yet: 25 seconds)", "+49 *** *** 12 34")
	d.hides("24.8")
	d.keys("down", "enter")
	d.shows("“Get a new code” is not available yet: wait 25 seconds.")
	if b.Form.State == huh.StateCompleted {
		t.Fatal("the form took Get a new code during its cooldown")
	}
	now = clock0.Add(25 * time.Second)
	d.keys("enter")
	if b.Form.State != huh.StateCompleted || b.Reply().Choice != "resend" {
		t.Errorf("after the cooldown: state %v, reply %+v; want resend taken", b.Form.State, b.Reply())
	}
}

// After a wrong password the email is filled in again, and Enter keeps it.
func TestFormPrefill(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Sign in to your account"),
		Fields: []prompt.Field{
			{Name: "email", Label: msg("Email address"), Type: prompt.EmailField, Prefill: "family@example.com"},
			{Name: "password", Label: msg("Password"), Type: prompt.SecretField, Prefill: "never-shown"},
		},
		Choices: []prompt.Choice{{Name: "continue", Label: msg("Sign in"), Fields: []string{"email", "password"}}},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.shows("family@example.com")
	d.keys("enter", "Family-pass-2024", "enter")
	if r := b.Reply(); r.Input["email"] != "family@example.com" || r.Input["password"] != "Family-pass-2024" {
		t.Errorf("reply = %+v, want the prefilled email and the password typed", r)
	}
}

// A code of the wrong length is refused by the form, with the constraint
// shown, and never sent: it would cost one of the code's attempts.
func TestFormCodeLength(t *testing.T) {
	p := &prompt.Prompt{
		Title:   msg("Enter the code we sent to +49 *** *** 12 34"),
		Fields:  []prompt.Field{{Name: "code", Label: msg("Code"), Type: prompt.CodeField, Length: 6}},
		Choices: []prompt.Choice{{Name: "continue", Label: msg("Confirm"), Fields: []string{"code"}}},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.shows("Exactly 6 digits")
	d.keys("123", "enter")
	d.shows("The code has 6 digits.")
	if b.Form.State == huh.StateCompleted {
		t.Fatal("a 3-digit code was taken")
	}
	d.keys("456", "enter")
	if b.Form.State != huh.StateCompleted || b.Reply().Input["code"] != "123456" {
		t.Errorf("state %v, reply %+v; want the 6-digit code", b.Form.State, b.Reply())
	}
}

// Licences are listed by their labels, each once ("Family (5 devices),
// until 31 December 2099", not "Family (5 devices) (Family)").
func TestFormLicences(t *testing.T) {
	until := time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
	opt := func(id, name, plan string) prompt.Option {
		return prompt.Option{Value: id, Label: prompt.Message{Text: name + ", until 31 December 2099"},
			Data: map[string]any{"id": id, "name": name, "plan": plan, "expires": until}}
	}
	p := &prompt.Prompt{
		Title:   msg("Choose subscription"),
		Fields:  []prompt.Field{{Name: "licence", Label: msg("Licence"), Type: prompt.ChoiceField, Options: []prompt.Option{opt("LIC-FAM-P", "Personal", "Personal"), opt("LIC-FAM-F", "Family (5 devices)", "Family")}}},
		Choices: []prompt.Choice{{Name: "select", Label: msg("Select"), Role: prompt.Primary, Fields: []string{"licence"}}, {Name: "cancel", Label: msg("Not now"), Role: prompt.Cancel}},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.keys("enter")
	d.shows("Personal, until 31 December 2099", "Family (5 devices), until 31 December 2099")
	d.hides("(Personal)", "(Family)")
	d.keys("down", "enter")
	if r := b.Reply(); r.Choice != "select" || r.Input["licence"] != "LIC-FAM-F" {
		t.Errorf("reply = %+v", r)
	}
}

// The regulation's screen names it in words and links to its full text;
// a link is not among the answers.
func TestFormConsentLink(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Regulation on data provisioning"),
		Body:  &prompt.Message{Text: "Under the EU General Data Protection Regulation, ..."},
		Choices: []prompt.Choice{
			{Name: "accept", Label: msg("Accept and connect"), Role: prompt.Primary},
			{Name: "decline", Label: msg("Decline"), Role: prompt.Cancel},
			{Name: "regulation", Label: msg("Read the regulation (version 2025.1-de)"), Role: prompt.Link, URL: "https://portal.example.com/regulations/gdpr-data-provisioning-de?version=2025.1-de"},
		},
	}
	_, b := build(p, clock0)
	d := drive(t, b)
	d.shows("Regulation on data provisioning", "Read the regulation (version 2025.1-de): https://portal.example.com/regulations/",
		"Accept and connect", "Decline")
	d.hides("gdpr-data-provisioning-de, version")
	d.keys("down", "enter")
	if r := b.Reply(); r.Choice != "decline" {
		t.Errorf("reply = %+v, want decline: the link is not an answer", r)
	}
}

// The form speaks the person's language: its own words, the wait, the
// constraint and the refusal, in German.
func TestFormInGerman(t *testing.T) {
	cats := ui.Builtin()
	p := &prompt.Prompt{
		Title:  msg("Geben Sie den Code ein"),
		Fields: []prompt.Field{{Name: "code", Label: msg("Code"), Type: prompt.CodeField, Length: 6}},
		Choices: []prompt.Choice{
			{Name: "continue", Label: msg("Bestätigen"), Role: prompt.Primary, Fields: []string{"code"}},
			{Name: "resend", Label: msg("Neuen Code anfordern"), Role: prompt.Secondary, AvailableAt: clock0.Add(25 * time.Second)},
		},
	}
	f := NewForm(strings.NewReader(""), &strings.Builder{}, WithClock(func() time.Time { return clock0 }), WithLocalizer(cats.Localizer("de")))
	b := f.Build(ui.Build("connect", "enter_code", p, nil, f.loc, clock0))
	d := drive(t, b)
	d.shows("Neuen Code anfordern (noch nicht: 25 Sekunden)")
	d.keys("down", "enter")
	d.shows("„Neuen Code anfordern“ ist noch nicht verfügbar: Warten Sie 25 Sekunden.")
	d.keys("up", "enter")
	d.shows("Genau 6 Ziffern")
	d.keys("12", "enter")
	d.shows("Der Code hat 6 Ziffern.")
}

// The plain terminal honours the same: the wait, the constraint, the
// prefill (Enter keeps it).
func TestPlainWaitConstraintPrefill(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Sign in"),
		Fields: []prompt.Field{
			{Name: "email", Label: msg("Email address"), Type: prompt.EmailField, Prefill: "family@example.com"},
			{Name: "code", Label: msg("Code"), Type: prompt.CodeField, Length: 6},
		},
		Choices: []prompt.Choice{
			{Name: "continue", Label: msg("Confirm"), Role: prompt.Primary, Fields: []string{"email", "code"}},
			{Name: "resend", Label: msg("Get a new code"), Role: prompt.Secondary, AvailableAt: clock0.Add(25 * time.Second)},
		},
	}
	var out strings.Builder
	term := New(strings.NewReader("2\n1\n\n123456\n"), &out, Piped(), WithClock(func() time.Time { return clock0 }))
	r, err := term.Next(t.Context(), engine.Step{Prompt: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choice != "continue" || r.Input["email"] != "family@example.com" || r.Input["code"] != "123456" {
		t.Errorf("reply = %+v", r)
	}
	for _, want := range []string{"  2) Get a new code (not yet: 25 seconds)", "! “Get a new code” is not available yet: wait 25 seconds.",
		"Email address [family@example.com]: ", "Code (Exactly 6 digits): "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The form's key help and the CAPTCHA's question are in the person's
// language: huh's help ("enter submit") is English unless the key map
// says otherwise, and the question is the portal's message, said from the
// catalogs.
func TestFormKeyHelpAndCaptchaInGerman(t *testing.T) {
	p := &prompt.Prompt{
		Title: msg("Bei Ihrem Konto anmelden"),
		Fields: []prompt.Field{
			{Name: "email", Label: msg("E-Mail-Adresse"), Type: prompt.EmailField},
			{Name: "captcha", Label: msg("CAPTCHA-Antwort"), Type: prompt.CaptchaField,
				Hint: &prompt.Message{ID: "portal.captcha.plus", Params: map[string]any{"a": 9, "b": 9}, Text: "What is 9 plus 9?"}},
		},
		Choices: []prompt.Choice{
			{Name: "continue", Label: msg("Anmelden"), Role: prompt.Primary, Fields: []string{"email", "captcha"}},
			{Name: "cancel", Label: msg("Abbrechen"), Role: prompt.Cancel},
		},
	}
	f := NewForm(strings.NewReader(""), &strings.Builder{}, WithClock(func() time.Time { return clock0 }), WithLocalizer(ui.Builtin().Localizer("de")))
	b := f.Build(ui.Build("connect", "sign_in", p, nil, f.loc, clock0))
	d := drive(t, b)
	d.shows("hoch", "runter", "auswählen", "filtern")
	d.hides(" up ", " down ", "enter select", "/ filter ")
	d.keys("enter") // Anmelden
	d.shows("weiter", "zurück")
	d.hides("enter next", "shift+tab back")
	d.keys("a@example.com", "enter")
	d.shows("Wie viel ist 9 plus 9?", "absenden")
	d.hides("What is", "enter submit")
	d.keys("18", "enter")
	if r := b.Reply(); r.Choice != "continue" || r.Input["captcha"] != "18" {
		t.Errorf("reply = %+v", r)
	}
}

// Every key help huh shows on the form's fields has a word in every
// shipped locale: a huh that adds one, or a catalog that lacks one,
// would show English.
func TestKeyMapTranslated(t *testing.T) {
	cats := ui.Builtin()
	def := huh.NewDefaultKeyMap()
	for _, loc := range cats.Locales() {
		l := cats.Localizer(loc)
		km := keyMap(l)
		for _, pair := range [][2]any{{&def.Input, &km.Input}, {&def.Select, &km.Select}, {&def.Note, &km.Note}, {&def.Confirm, &km.Confirm}} {
			dv, lv := reflect.ValueOf(pair[0]).Elem(), reflect.ValueOf(pair[1]).Elem()
			for i := range dv.NumField() {
				db, ok := dv.Field(i).Addr().Interface().(*key.Binding)
				if !ok || db.Help().Desc == "" {
					continue
				}
				lb := lv.Field(i).Addr().Interface().(*key.Binding)
				id := keyHelpID(db.Help().Desc)
				if !l.Known(id) {
					t.Errorf("huh's key help %q has no word %s", db.Help().Desc, id)
					continue
				}
				if want := l.Say(id); lb.Help().Desc != want || lb.Help().Key != db.Help().Key {
					t.Errorf("%s: %s's help = %q %q, want %q %q", loc, dv.Type().Field(i).Name, lb.Help().Key, lb.Help().Desc, db.Help().Key, want)
				}
				if loc != ui.Source && lb.Help().Desc == db.Help().Desc && loc != ui.Pseudo {
					t.Errorf("%s: %s's help is huh's English %q", loc, dv.Type().Field(i).Name, db.Help().Desc)
				}
			}
		}
	}
}
