package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/ui"
)

// shipped loads the shipped flows and their catalogs, as tether serve
// does.
func shipped(t *testing.T) (*ui.Catalogs, []*syntax.File) {
	t.Helper()
	var files []*syntax.File
	for _, name := range []string{"connect.yaml", "signup.yaml"} {
		f, err := syntax.LoadFile(filepath.Join("..", "flows", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	cats, err := ui.Load(filepath.Join("..", "flows", "locales"), files)
	if err != nil {
		t.Fatal(err)
	}
	return cats, files
}

// Every shipped locale translates every text of the shipped flows and
// every word of the front ends, with the same placeholders and the
// plural forms it needs; none has an entry nothing uses.
func TestShippedCatalogsComplete(t *testing.T) {
	cats, files := shipped(t)
	if errs := cats.Check(files); len(errs) > 0 {
		t.Errorf("the flows' catalogs:\n%v", errs)
	}
	if errs := cats.CheckWords(); len(errs) > 0 {
		t.Errorf("the built-in catalogs:\n%v", errs)
	}
	if got, want := cats.Locales(), []string{"en", "de", "fr", "pt-BR", "en-XA"}; !slices.Equal(got, want) {
		t.Errorf("locales = %v, want %v", got, want)
	}
}

// The ids the Go code says with Say and Word are in the source catalog:
// a word a front end uses never shows as its id.
func TestWordsUsedExist(t *testing.T) {
	cats := ui.Builtin()
	l := cats.Localizer(ui.Source)
	call := regexp.MustCompile(`\.(?:Say|Word)\("((?:ui|input)\.[a-z0-9_.]+)"`)
	found := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			found++
			if !l.Has(m[1]) {
				t.Errorf("%s says %s, which ui/locales/en.yaml lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Errorf("found only %d words said in the code", found)
	}
}

func TestMatch(t *testing.T) {
	cats, _ := shipped(t)
	long := strings.Repeat("de-DE,", 2000) // 12 KB
	for _, tt := range []struct {
		asked    []string
		want     string
		fallback bool
	}{
		{[]string{"de"}, "de", false},
		{[]string{"de-AT"}, "de", false},
		{[]string{"de_DE.UTF-8"}, "de", false},
		{[]string{"pt"}, "pt-BR", false},
		{[]string{"pt-PT"}, "pt-BR", false},
		{[]string{"fr-CH, de;q=0.5"}, "fr", false},
		{[]string{"ja, fr;q=0.3"}, "fr", false},
		{[]string{"en-GB"}, "en", false}, // not the pseudo-locale
		{[]string{"en-XA"}, "en-XA", false},
		{[]string{"ja"}, "en", true},
		{[]string{"C"}, "en", false},
		{[]string{""}, "en", false},
		{[]string{"!!!, ;q=x"}, "en", false},
		{[]string{long}, "en", false}, // too long: ignored
		{[]string{"", "fr"}, "fr", false},
	} {
		m := cats.Match(tt.asked...)
		if m.Tag != tt.want || m.Fallback != tt.fallback {
			name := strings.Join(tt.asked, "|")
			if len(name) > 40 {
				name = name[:40] + "..."
			}
			t.Errorf("Match(%q) = %s (fallback %v), want %s (fallback %v)", name, m.Tag, m.Fallback, tt.want, tt.fallback)
		}
	}
}

func TestFormats(t *testing.T) {
	cats, _ := shipped(t)
	when := time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		locale string
		v      any
		want   string
	}{
		{"en", 24808 * time.Millisecond, "25 seconds"},
		{"de", 25 * time.Second, "25 Sekunden"},
		{"de", time.Second, "1 Sekunde"},
		{"fr", 90 * time.Second, "1 minute 30 secondes"},
		{"pt-BR", 2 * time.Hour, "2 horas"},
		{"en", when, "31 December 2099"},
		{"de", when, "31. Dezember 2099"},
		{"fr", when, "31 décembre 2099"},
		{"fr", first, "1er janvier 2026"},
		{"pt-BR", when, "31 de dezembro de 2099"},
		{"pt-BR", first, "1º de janeiro de 2026"},
		{"de", first.Add(9*time.Hour + 30*time.Minute), "1. Januar 2026, 09:30 Uhr UTC"},
		{"de", 1234567, "1.234.567"},
		{"en", 1234567, "1,234,567"},
		{"fr", 1234567, "1\u00a0234\u00a0567"},
	} {
		if got := cats.Localizer(tt.locale).Format(tt.v); got != tt.want {
			t.Errorf("%s: Format(%v) = %q, want %q", tt.locale, tt.v, got, tt.want)
		}
	}
}

// A locale's localizer is made once and shared: requests at once say
// their texts with it, each in its own words (run with -race).
func TestLocalizerShared(t *testing.T) {
	cats, _ := shipped(t)
	if cats.Localizer("de") != cats.Localizer("de") {
		t.Error("Localizer(de) made anew on every call")
	}
	if got := cats.Localizer("tlh").Locale(); got != ui.Source {
		t.Errorf("Localizer(tlh).Locale() = %q, want %q", got, ui.Source)
	}
	want := map[string]string{"de": "1.234.567", "en": "1,234,567", "fr": "1\u00a0234\u00a0567"}
	var wg sync.WaitGroup
	errs := make(chan string, 3*50)
	for loc, w := range want {
		for range 50 {
			wg.Go(func() {
				if got := cats.Localizer(loc).Format(1234567); got != w {
					errs <- fmt.Sprintf("%s: Format(1234567) = %q, want %q", loc, got, w)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Counts choose the locale's CLDR plural form: French says 0 and 1 in the
// singular, English only 1.
func TestPlurals(t *testing.T) {
	cats, _ := shipped(t)
	wrong := func(n int) prompt.Message {
		return prompt.Message{ID: "connect.code_wrong", Params: map[string]any{"attempts_left": n}}
	}
	for _, tt := range []struct {
		locale string
		n      int
		want   string
	}{
		{"de", 1, "Dieser Code ist nicht richtig. Noch 1 Versuch."},
		{"de", 2, "Dieser Code ist nicht richtig. Noch 2 Versuche."},
		{"fr", 0, "Ce code est incorrect. Il reste 0 tentative."},
		{"fr", 2, "Ce code est incorrect. Il reste 2 tentatives."},
		{"pt-BR", 2, "Esse código não está correto. Restam 2 tentativas."},
	} {
		if got := cats.Localizer(tt.locale).Text(wrong(tt.n)); got.Text != tt.want || got.ID != "connect.code_wrong" || got.Params["attempts_left"] != tt.n {
			t.Errorf("%s, %d: %+v, want %q", tt.locale, tt.n, got, tt.want)
		}
	}
	if got := ui.Categories("de"); !slices.Equal(got, []string{"one", "other"}) {
		t.Errorf("German's categories = %v", got)
	}
}

// A text the locale lacks falls back to the source's, or to the flow's
// own words; never to an id or a blank. A nested message is said in the
// same language.
func TestFallbacks(t *testing.T) {
	cats, _ := shipped(t)
	de := cats.Localizer("de")
	if got := de.Text(prompt.Message{ID: "other.flow.text", Text: "Hello"}); got.Text != "Hello" {
		t.Errorf("an id no catalog has: %+v", got)
	}
	if got := de.Text(prompt.Message{Text: "Family (5 devices)"}); got.Text != "Family (5 devices)" || got.ID != "" {
		t.Errorf("a value: %+v", got)
	}
	notice := prompt.MessageValue("connect.resend_wait", map[string]any{"wait": 25 * time.Second})
	got := de.Text(prompt.Message{ID: "connect.consent_refused", Params: map[string]any{"reason": "x"}})
	if got.Text != "Das Portal hat die Einwilligung nicht angenommen: x. Melden Sie sich erneut an." {
		t.Errorf("consent_refused = %q", got.Text)
	}
	if got := de.Format(notice); got != "Warten Sie 25 Sekunden, bevor Sie einen neuen Code anfordern." {
		t.Errorf("a nested message = %q", got)
	}
	// Its parameters, in the model: a duration in seconds, a message as
	// a text.
	tx := de.Text(prompt.Message{ID: "connect.sign_in.help", Params: map[string]any{"notice": notice}})
	if nested, ok := tx.Params["notice"].(ui.Text); !ok || nested.ID != "connect.resend_wait" || nested.Params["wait"] != 25 {
		t.Errorf("params = %#v", tx.Params)
	}
	// The source locale says the flow's own words, as its version has
	// them: a reload may have changed the catalog's.
	if got := cats.Localizer("en").Text(prompt.Message{ID: "connect.sign_in.text", Text: "Sign in (old)"}); got.Text != "Sign in (old)" {
		t.Errorf("en = %q", got.Text)
	}
}

// The pseudo-locale accents every letter, is about a third longer, and
// leaves placeholders alone.
func TestPseudo(t *testing.T) {
	cats, _ := shipped(t)
	xa := cats.Localizer("en-XA")
	en := "Enter the code we sent to +49 *** *** 12 34"
	got := xa.Text(prompt.Message{ID: "connect.enter_code.text", Params: map[string]any{"phone": "+49 *** *** 12 34"}}).Text
	if !strings.HasPrefix(got, "[Éñţéŕ ţĥé çöďé ŵé šéñţ ţö +49 *** *** 12 34") || !strings.HasSuffix(got, "]") {
		t.Errorf("pseudo = %q", got)
	}
	if r := ui.PseudoLength(en, got); r < 1.2 || r > 1.5 {
		t.Errorf("pseudo is %.2f times as long as the source, want about 1.3", r)
	}
	if strings.ContainsFunc(strings.Trim(got, "[] ·"), func(r rune) bool { return r >= 'a' && r <= 'z' }) {
		t.Errorf("pseudo keeps an unaccented letter: %q", got)
	}
	if utf8.RuneCountInString(got) <= utf8.RuneCountInString(en) {
		t.Errorf("pseudo is not longer: %q", got)
	}
}

// Build makes the model from a prompt: ids, params, roles, the
// constraint, the wait in words.
func TestBuild(t *testing.T) {
	cats, _ := shipped(t)
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	p := &prompt.Prompt{
		Title:  prompt.Message{ID: "connect.enter_code.text", Text: "Enter the code we sent to +49 1", Params: map[string]any{"phone": "+49 1"}},
		Fields: []prompt.Field{{Name: "code", Type: prompt.CodeField, Length: 6, Label: prompt.Message{ID: "connect.enter_code.field.code", Text: "Code"}}},
		Choices: []prompt.Choice{
			{Name: "continue", Role: prompt.Primary, Label: prompt.Message{ID: "connect.enter_code.choice.continue", Text: "Confirm"}, Fields: []string{"code"}},
			{Name: "resend", Role: prompt.Secondary, Label: prompt.Message{ID: "connect.enter_code.choice.resend", Text: "Get a new code"}, AvailableAt: now.Add(24500 * time.Millisecond)},
		},
	}
	sc := ui.Build("connect", "enter_code", p, &ui.Problem{Kind: "input", Field: "code", ID: "input.code_length", Params: map[string]any{"length": 6}}, cats.Localizer("fr"), now)
	if sc.Locale != "fr" || sc.Title.Text != "Saisissez le code que nous avons envoyé au +49 1" {
		t.Errorf("title = %+v", sc.Title)
	}
	f := sc.Fields[0]
	if f.Pattern != "[0-9]{6}" || f.Constraint == nil || f.Constraint.Text != "Exactement 6 chiffres" || !f.Masked {
		t.Errorf("code = %+v", f)
	}
	if m := sc.Messages[0]; m.Type != "error" || m.Field != "code" || m.Text.Text != "Le code comporte 6 chiffres." {
		t.Errorf("refusal = %+v", m)
	}
	if c := sc.Choices[1]; c.Wait == nil || c.Wait.Text != "Disponible dans 25 secondes" || c.Role != "secondary" {
		t.Errorf("resend = %+v", c)
	}
}

// A message from outside the flows (the portal's CAPTCHA question, its
// reason for a refusal) is said from the catalogs in every locale that
// has it, in the portal's words where none has its id, and as a text
// with its id and parameters in the model.
func TestOuterMessages(t *testing.T) {
	cats, _ := shipped(t)
	question := prompt.OuterMessageValue("portal.captcha.plus", map[string]any{"a": 9, "b": 12}, "What is 9 plus 12?")
	for _, tt := range []struct{ locale, want string }{
		{"en", "What is 9 plus 12?"},
		{"de", "Wie viel ist 9 plus 12?"},
		{"fr", "Combien font 9 plus 12\u00a0?"},
		{"pt-BR", "Quanto é 9 mais 12?"},
	} {
		l := cats.Localizer(tt.locale)
		if got := l.Format(question); got != tt.want {
			t.Errorf("%s: the question = %q, want %q", tt.locale, got, tt.want)
		}
	}
	if got := cats.Localizer(ui.Pseudo).Format(question); !strings.HasPrefix(got, "[") || !strings.Contains(got, "12") || strings.Contains(got, "What") {
		t.Errorf("en-XA: the question = %q, want it made pseudo", got)
	}
	de := cats.Localizer("de")
	unknown := prompt.OuterMessageValue("portal.captcha.riddle", nil, "What has keys but no locks?")
	if got := de.Format(unknown); got != "What has keys but no locks?" {
		t.Errorf("an id no catalog has = %q, want the portal's words", got)
	}
	if got := de.Format(prompt.OuterMessageValue("", nil, "the portal said no")); got != "the portal said no" {
		t.Errorf("words alone = %q", got)
	}
	// Inside a flow's message, as connect's consent_refused holds it.
	reason := prompt.OuterMessageValue("portal.sign_in.expired", nil, "the sign-in has expired")
	tx := de.Text(prompt.Message{ID: "connect.consent_refused", Params: map[string]any{"reason": reason}})
	if want := "Das Portal hat die Einwilligung nicht angenommen: die Anmeldung ist abgelaufen. Melden Sie sich erneut an."; tx.Text != want {
		t.Errorf("consent_refused = %q, want %q", tx.Text, want)
	}
	if nested, ok := tx.Params["reason"].(ui.Text); !ok || nested.ID != "portal.sign_in.expired" || nested.Text != "die Anmeldung ist abgelaufen" {
		t.Errorf("the reason in the model = %#v", tx.Params["reason"])
	}
	// A value of another shape is no message.
	if _, ok := prompt.ValueMessage(map[string]any{prompt.MessageKey: "x", "other": 1}); ok {
		t.Error("a map with an unknown key is taken as a message")
	}
	if _, ok := prompt.ValueMessage(map[string]any{prompt.MessageKey: "x", prompt.TextKey: 3}); ok {
		t.Error("a message whose text is a number is taken as one")
	}
}
