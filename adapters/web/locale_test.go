package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A French browser gets the wizard in French: <html lang>, the pages'
// words and the flow's, Content-Language; the session keeps the locale.
func TestFrenchBrowser(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.lang = "fr-CH, fr;q=0.9, en;q=0.5"
	page := b.get("/")
	if !strings.Contains(page.body, `<html lang="fr">`) || page.header.Get("Content-Language") != "fr" {
		t.Fatalf("start page: %s\n%s", page.header.Get("Content-Language"), page.body)
	}
	page.mustContain(t, "Connecter cet appareil à votre compte", "Pays ou région", "Absent de la liste : les règles standard", "Continuer")
	page = b.signIn(b.start("FR"), "family@example.com", familyPassword)
	page.mustContain(t, "Saisissez le code que nous avons envoyé au +49 *** *** 12 34", "Exactement 6 chiffres",
		"Valider", "Recevoir un nouveau code (30 s)", "« Recevoir un nouveau code » sera disponible dans 30 s.")
	b.answer(page, "continue", map[string]string{"code": "123"})
	bad := b.get("/")
	bad.mustContain(t, "Il y a un problème", "Code : Le code comporte 6 chiffres.")
	// The session was started in French: the API says it, without
	// Accept-Language.
	if v, err := fx.host.Get(t.Context(), sessionID(t, b)); err != nil || v.Locale != "fr" {
		t.Errorf("the session's locale = %q, %v; want fr", v.Locale, err)
	}
}

// The language switch offers every locale, in its own name, and keeps
// the choice over the browser's; a tag nobody ships is refused.
func TestLanguageSwitch(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.lang = "de"
	page := b.get("/?country=DE")
	page.mustContain(t, "Dieses Gerät mit Ihrem Konto verbinden")
	for _, name := range []string{">English<", ">Deutsch<", ">Français<", ">Português (Brasil)<", ">Pseudo (en-XA)<", `aria-label="Sprache"`} {
		if !strings.Contains(page.body, name) {
			t.Errorf("the switch lacks %s", name)
		}
	}
	if !strings.Contains(page.body, `<a href="/web/lang?country=DE&amp;to=pt-BR" lang="pt-BR" hreflang="pt-BR">Português (Brasil)</a>`) ||
		!strings.Contains(page.body, `<span lang="de" aria-current="true">Deutsch</span>`) {
		t.Errorf("the switch:\n%s", page.body)
	}
	r := b.get("/web/lang?country=DE&to=pt-BR")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/?country=DE" {
		t.Fatalf("switch: %d %s", r.status, r.header.Get("Location"))
	}
	page = b.get("/?country=DE")
	if !strings.Contains(page.body, `<html lang="pt-BR">`) {
		t.Errorf("after the switch:\n%s", page.body)
	}
	page.mustContain(t, "Conectar este dispositivo à sua conta", "País ou região")
	// The pseudo-locale: every word of the page accented and longer.
	b.get("/web/lang?to=en-XA")
	page = b.get("/")
	page.mustContain(t, "[Çöññéçţ ţĥíš ďéṽíçé ţö ýöûŕ áççöûñţ")
	if r := b.get("/web/lang?to=xx"); r.status != http.StatusBadRequest {
		t.Errorf("an unknown language: %d", r.status)
	}
}

// A malformed or huge Accept-Language is ignored: the page is in the
// source locale, not an error.
func TestHostileAcceptLanguage(t *testing.T) {
	fx := newFixture(t)
	for _, al := range []string{"*;q=x,,,;;", strings.Repeat("de-DE-x-", 1300), "de;q=\u00ff\u00fe", "zz-ZZ"} {
		b := fx.browser()
		b.lang = al
		page := b.get("/")
		if page.status != http.StatusOK || !strings.Contains(page.body, `<html lang="en">`) {
			t.Errorf("Accept-Language %.20q: %d\n%.300s", al, page.status, page.body)
		}
	}
}

// sessionID is the id of the browser's session, from its cookie.
func sessionID(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.fx.http.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "tether_session" {
			id, _, _ := strings.Cut(c.Value, ".")
			return id
		}
	}
	t.Fatal("no session cookie")
	return ""
}
