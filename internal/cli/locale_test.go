package cli

import (
	"errors"
	"strings"
	"testing"

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
