package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/ui"
)

// --lang, else LC_ALL, LC_MESSAGES, LANG, as POSIX orders them; a tag
// nobody ships falls back to en and says so; one that is no tag is a
// usage error.
func TestChooseLocale(t *testing.T) {
	cats := ui.Builtin()
	for _, tt := range []struct {
		lang       string
		env        map[string]string
		want, warn string
		usage      bool
	}{
		{lang: "de-AT", want: "de"},
		{lang: "pt", want: "pt-BR"},
		{lang: "en-XA", want: "en-XA"},
		{env: map[string]string{"LANG": "fr_FR.UTF-8"}, want: "fr"},
		{env: map[string]string{"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "de_DE"}, want: "de"},
		{env: map[string]string{"LANG": "fr_FR.UTF-8", "LC_ALL": "pt_BR"}, want: "pt-BR"},
		{env: map[string]string{"LANG": "C.UTF-8"}, want: "en"},
		{lang: "de", env: map[string]string{"LC_ALL": "fr"}, want: "de"},
		{lang: "ja", want: "en", warn: "--lang ja: no catalog for it; the prompts are in en"},
		{lang: "!!", usage: true},
	} {
		var stderr strings.Builder
		env := &Env{Stderr: &stderr, Getenv: func(k string) string { return tt.env[k] }}
		l, err := chooseLocale(env, tt.lang, cats)
		var ue *usageError
		switch {
		case tt.usage:
			if !errors.As(err, &ue) {
				t.Errorf("--lang %q: error %v, want a usage error", tt.lang, err)
			}
			continue
		case err != nil:
			t.Errorf("--lang %q %v: %v", tt.lang, tt.env, err)
			continue
		}
		if l.Locale() != tt.want || !strings.Contains(stderr.String(), tt.warn) || (tt.warn == "" && stderr.Len() > 0) {
			t.Errorf("--lang %q %v: %s, stderr %q; want %s, %q", tt.lang, tt.env, l.Locale(), stderr.String(), tt.want, tt.warn)
		}
	}
}

// The run's last line is in the person's words and keeps the outcome's
// name as it is, for scripts: at the start in English, in parentheses at
// the end elsewhere.
func TestResultLine(t *testing.T) {
	cats := ui.Builtin()
	connected := &eventlog.Outcome{Name: "connected", Success: true, Message: "a@example.com, Tarif Free"}
	for _, tt := range []struct {
		locale string
		o      *eventlog.Outcome
		want   string
	}{
		{"en", &eventlog.Outcome{Name: "connected", Success: true, Message: "a@example.com, plan Free"}, "connected: a@example.com, plan Free"},
		{"de", connected, "verbunden: a@example.com, Tarif Free (connected)"},
		{"fr", &eventlog.Outcome{Name: "connected", Success: true, Message: "x"}, "connecté\u00a0: x (connected)"},
		{"pt-BR", &eventlog.Outcome{Name: "connected", Success: true, Message: "x"}, "conectado: x (connected)"},
		{"de", &eventlog.Outcome{Name: "connected", Success: true}, "verbunden (connected)"},
		{"en", &eventlog.Outcome{Name: "created", Success: true}, "created"},
		{"de", &eventlog.Outcome{Name: "created", Success: true, Message: "Konto angelegt"}, "Konto angelegt (created)"},
		{"de", &eventlog.Outcome{Name: "declined", Message: "abgelehnt"}, "nicht verbunden: abgelehnt (declined)"},
	} {
		if got := resultLine(tt.o, cats.Localizer(tt.locale)); got != tt.want {
			t.Errorf("%s %+v: %q, want %q", tt.locale, tt.o, got, tt.want)
		}
	}
}
