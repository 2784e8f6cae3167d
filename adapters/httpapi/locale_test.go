package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// Accept-Language chooses the locale of every response, which says it
// in its locale member and its Content-Language header; the prompts
// keep their message ids whatever the locale.
func TestAcceptLanguage(t *testing.T) {
	fx := newFixture(t)
	r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "country": "FR"}, "Accept-Language", "fr-CH, fr;q=0.9")
	s := r.session(t)
	if r.status != http.StatusCreated || s.Locale != "fr" || r.header.Get("Content-Language") != "fr" || s.Prompt.Locale != "fr" {
		t.Fatalf("create in fr: %d %s %q\n%s", r.status, s.Locale, r.header.Get("Content-Language"), r.body)
	}
	if p := s.Prompt; p.Title.ID != "connect.sign_in.text" || p.Title.Text != "Connectez-vous à votre compte" ||
		p.Choices[0].Label.Text != "Se connecter" || p.Fields[0].Label.Text != "Adresse e-mail" {
		t.Errorf("the French prompt = %+v", p)
	}
	// The same session, read in German.
	r = fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+s.Secret, "Accept-Language", "de-AT")
	if g := r.session(t); g.Locale != "de" || g.Prompt.Title.Text != "Bei Ihrem Konto anmelden" || g.Prompt.Title.ID != "connect.sign_in.text" {
		t.Errorf("read in de-AT: %s %+v", g.Locale, g.Prompt.Title)
	}
	// A refusal in French: the session in the problem too.
	r = fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": "continue", "fields": map[string]any{"email": "x", "password": "y"}},
		"Authorization", "Bearer "+s.Secret, "If-Match", etag(s.Version), "Idempotency-Key", "k1", "Accept-Language", "fr")
	p := r.problem(t)
	if r.status != http.StatusUnprocessableEntity || p.Session == nil || r.header.Get("Content-Language") != "fr" {
		t.Fatalf("a refused answer: %d %q %s", r.status, r.header.Get("Content-Language"), r.body)
	}
	if m := p.Session.Prompt.Messages; len(m) != 1 || m[0].ID != "input.email" || !strings.HasPrefix(m[0].Text.Text, "Saisissez une adresse e-mail") {
		t.Errorf("the refusal = %+v", m)
	}
}

// The locale a session is created with is kept: a request without
// Accept-Language, or with one nobody ships, gets it.
func TestSessionLocale(t *testing.T) {
	fx := newFixture(t)
	r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "country": "BR", "locale": "pt"})
	s := r.session(t)
	if s.Locale != "pt-BR" || s.Prompt.Title.Text != "Entre na sua conta" || len(s.Warnings) != 0 {
		t.Fatalf("created with locale pt: %s %q %q", s.Locale, s.Prompt.Title.Text, s.Warnings)
	}
	for _, al := range []string{"", "ja", strings.Repeat("x", 10<<10), "!!;;q=,"} {
		h := []string{"Authorization", "Bearer " + s.Secret}
		if al != "" {
			h = append(h, "Accept-Language", al)
		}
		r := fx.do("GET", "/v1/sessions/"+s.ID, nil, h...)
		if g := r.session(t); r.status != http.StatusOK || g.Locale != "pt-BR" || r.header.Get("Content-Language") != "pt-BR" {
			t.Errorf("Accept-Language %.20q: %d %s", al, r.status, g.Locale)
		}
	}
	// Without a locale of its own, one nobody ships falls back to en
	// and says so.
	r = fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect"}, "Accept-Language", "ja")
	if s := r.session(t); s.Locale != "en" || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "locale: ja is not shipped; the texts are in en") {
		t.Errorf("ja: %s %q", s.Locale, s.Warnings)
	}
	r = fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "locale": "xx-YY"})
	if s := r.session(t); s.Locale != "en" || len(s.Warnings) != 1 {
		t.Errorf("locale xx-YY: %s %q", s.Locale, s.Warnings)
	}
}
