package web

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// The pages are in the person's locale: the one they chose with the
// language switch (a cookie), else their browser's Accept-Language, else
// the locale their session was started in, else the source's. Every word
// of the pages is a message of the catalogs (ui/locales, web.*), every
// text of the flow the model's.

// langCookie keeps the locale chosen with the language switch.
const langCookie = "tether_lang"

// langLife is how long the choice is kept.
const langLife = 400 * 24 * time.Hour

// localizer returns the localizer of request r about session v (nil for
// none).
func (p *Pages) localizer(r *http.Request, v *host.View) *ui.Localizer {
	cats := p.cfg.Catalogs()
	if c := p.cookie(r, langCookie); c != "" {
		if m := cats.Match(c); !m.Fallback && m.Asked != "" {
			return cats.Localizer(m.Tag)
		}
	}
	if m := cats.Match(r.Header.Get("Accept-Language")); m.Asked != "" && !m.Fallback {
		return cats.Localizer(m.Tag)
	}
	if v != nil && v.Locale != "" {
		return cats.Localizer(v.Locale)
	}
	return cats.Localizer(ui.Source)
}

// languageLink is one entry of the language switch.
type languageLink struct {
	Tag, Name, Href string
	Current         bool
}

// languages returns the language switch of a page in locale l; query is
// kept on the page the switch returns to (the start page's ?country=).
func (p *Pages) languages(l *ui.Localizer, query string) []languageLink {
	cats := p.cfg.Catalogs()
	var out []languageLink
	for _, tag := range cats.Locales() {
		name := cats.Localizer(tag).Say("ui.language")
		if tag == ui.Pseudo {
			name = "Pseudo (" + ui.Pseudo + ")"
		}
		q := url.Values{"to": {tag}}
		if query != "" {
			q.Set("country", query)
		}
		out = append(out, languageLink{Tag: tag, Name: name, Href: "/web/lang?" + q.Encode(), Current: tag == l.Locale()})
	}
	return out
}

// setLanguage is GET /web/lang?to=TAG: it keeps the locale chosen and
// goes back to the page, in it. A tag not shipped is refused.
func (p *Pages) setLanguage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := q.Get("to")
	m := p.cfg.Catalogs().Match(to)
	if m.Asked == "" || m.Fallback {
		p.fail(w, r, http.StatusBadRequest, "bad_language")
		return
	}
	p.setCookie(w, r, langCookie, m.Tag, langLife)
	back := "/"
	if cc := q.Get(countryControl); cc != "" && len(cc) <= 8 {
		back = "/?" + url.Values{countryControl: {cc}}.Encode()
	}
	redirect(w, back)
}

// pageFuncs are the functions the templates call; t says a word of the
// page's locale (see render).
func pageFuncs(l *ui.Localizer) template.FuncMap {
	return template.FuncMap{"t": func(id string, params ...any) string {
		if l == nil {
			return id
		}
		return l.Say(id, params...)
	}}
}
