package web

import (
	"net/http"
	"strings"

	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/ui"
)

// resultView is how a session ended, and what to do next.
type resultView struct {
	Success bool
	Heading string
	// Lines say what happened; Next what to do now.
	Lines []string
	Next  []string
	// Again is the form that starts again, in the same region; nil when
	// there is nothing to do again.
	Again *startView
}

// resultView describes how a session of country cc ended, in l's locale.
// The connect flow's outcomes that are not a success have their own
// heading and what to do next (web.outcome.NAME); another outcome gets
// web.outcome.other's.
func (p *Pages) resultView(w http.ResponseWriter, r *http.Request, l *ui.Localizer, res *ui.Result, cc string) (*resultView, error) {
	rv := &resultView{Success: res.Success}
	message := ""
	if res.Message != nil {
		message = res.Message.Text
	}
	if res.Success {
		account, _ := res.Output["account"].(string)
		plan, _ := res.Output["plan"].(string)
		licence, _ := res.Output["licence"].(string)
		if account == "" || plan == "" {
			rv.Heading = l.Say("web.done")
			rv.Lines = []string{sentence(message)}
			return rv, nil
		}
		rv.Heading = l.Say("web.connected.heading", "account", account, "plan", plan)
		line := l.Say("web.connected.line", "account", account, "plan", plan)
		if licence != "" {
			line = l.Say("web.connected.line_licence", "account", account, "plan", plan, "licence", licence)
		}
		rv.Lines = []string{line}
		rv.Next = []string{l.Say("web.connected.next")}
		return rv, nil
	}
	key := "other"
	switch res.Outcome {
	case "declined", "cancelled", "locked", "code_blocked", "no_subscription", "connect_failed", "error":
		key = res.Outcome
	}
	rv.Heading, rv.Next = l.Say("web.outcome."+key+".heading"), []string{l.Say("web.outcome." + key + ".next")}
	if res.Outcome != "error" && message != "" {
		rv.Lines = []string{sentence(message)}
	}
	again, err := p.startView(w, r, l, cc)
	if err != nil {
		return nil, err
	}
	again.Hidden, again.Button = true, l.Say("web.start.again")
	rv.Again = again
	return rv, nil
}

// startView is the start form: a country (preselected), and Continue.
type startView struct {
	CSRF      string
	Countries []countryOption
	// Hidden sends the preselected country without showing the select.
	Hidden   bool
	Selected string
	Button   string
}

// countryOption is an option of the country select.
type countryOption struct {
	Code, Name string
	Selected   bool
}

// startView returns the start form with the country cc preselected, in
// l's locale.
func (p *Pages) startView(w http.ResponseWriter, r *http.Request, l *ui.Localizer, cc string) (*startView, error) {
	nonce, err := p.formNonce(w, r)
	if err != nil {
		return nil, err
	}
	sv := &startView{CSRF: startToken(nonce), Selected: cc, Button: l.Say("web.start.continue")}
	sv.Countries = append(sv.Countries, countryOption{Code: "", Name: l.Say("web.start.no_country"), Selected: cc == ""})
	for _, c := range p.countries.in(l.Locale()) {
		sv.Countries = append(sv.Countries, countryOption{Code: c.code, Name: c.name, Selected: c.code == cc})
	}
	return sv, nil
}

// startPage renders the start page, with the country asked for (by
// ?country=) preselected, or the deployment's default, and the flash f.
func (p *Pages) startPage(w http.ResponseWriter, r *http.Request, asked string, f flash) {
	l := p.localizer(r, nil)
	sc := &screen{Key: "start", Title: l.Say("web.start.title")}
	cc := p.cfg.Country
	if asked != "" {
		if err := country.Check(asked); err != nil {
			msg := l.Say("web.start.bad_country")
			if len(asked) <= 8 && l.Locale() == ui.Source {
				// What the code was likely meant to be, in the
				// country table's words, which are English.
				msg = sentence(strings.TrimPrefix(err.Error(), country.ErrCountry.Error()+": ")) + " " + l.Say("web.start.choose_country")
			}
			sc.Errors = append(sc.Errors, errorLine{Target: "field-country", Text: msg})
		} else {
			cc = asked
			sc.Country = cc
		}
	}
	if f.Kind == flashEnded {
		sc.Notes = append(sc.Notes, block{Text: l.Say("web.flash.ended")})
	}
	sv, err := p.startView(w, r, l, cc)
	if err != nil {
		p.internal(w, r, "form nonce", err)
		return
	}
	sc.Start = sv
	p.render(w, r, l, http.StatusOK, sc)
}

// problemView is a page that says why a request could not be answered.
type problemView struct {
	Text string
}

// fail answers status with a page that says what happened and what to
// do: go back to the start. problem names its words, web.problem.NAME
// (.title and .text, which params fill in).
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, status int, problem string, params ...any) {
	l := p.localizer(r, nil)
	p.render(w, r, l, status, &screen{Key: "problem", Title: l.Say("web.problem." + problem + ".title"),
		Problem: &problemView{Text: l.Say("web.problem."+problem+".text", params...)}})
}
