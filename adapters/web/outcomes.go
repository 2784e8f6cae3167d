package web

import (
	"fmt"
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

// outcomeWords are the words of the connect flow's outcomes that are not
// a success: a heading, and what to do next. An outcome not listed gets
// its message and "Start again".
var outcomeWords = map[string]struct{ heading, next string }{
	"declined": {"This device is not connected",
		"You declined the regulation on data provisioning, so your account's data was not provided to this device. To connect it, start again and choose Accept and connect."},
	"cancelled": {"This device is not connected",
		"You cancelled before the device was connected. Start again whenever you are ready."},
	"locked": {"Too many attempts to sign in",
		"For your account's safety, signing in is paused for a while. Wait a quarter of an hour, then start again. If you have forgotten your password, reset it on the account portal first."},
	"code_blocked": {"Too many wrong codes",
		"The code sent to your phone can no longer be used. Start again to sign in and get a new code."},
	"no_subscription": {"No subscription is active on this device",
		"Start again to choose one of your subscriptions."},
	"connect_failed": {"The account portal did not connect this device",
		"Try again in a few minutes. If it keeps failing, contact support and say when it happened."},
	"error": {"Something went wrong",
		"The sign-in could not go on because of a fault on our side. Start again; if it keeps happening, contact support and say when it happened."},
}

// resultView describes how a session of country cc ended.
func (p *Pages) resultView(w http.ResponseWriter, r *http.Request, res *ui.Result, cc string) (*resultView, error) {
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
			rv.Heading = "Done"
			rv.Lines = []string{sentence(message)}
			return rv, nil
		}
		rv.Heading = fmt.Sprintf("Connected to %s — %s", account, plan)
		line := fmt.Sprintf("This device is connected to %s with the %s plan", account, plan)
		if licence != "" {
			line += " (licence " + licence + ")"
		}
		rv.Lines = []string{line + "."}
		rv.Next = []string{"You can close this page and use the application."}
		return rv, nil
	}
	words, ok := outcomeWords[res.Outcome]
	if !ok {
		words.heading, words.next = "This device is not connected", "Start again to connect it."
	}
	rv.Heading, rv.Next = words.heading, []string{words.next}
	if res.Outcome != "error" && message != "" {
		rv.Lines = []string{sentence(message)}
	}
	again, err := p.startView(w, r, cc)
	if err != nil {
		return nil, err
	}
	again.Hidden, again.Button = true, "Start again"
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

// startView returns the start form with the country cc preselected.
func (p *Pages) startView(w http.ResponseWriter, r *http.Request, cc string) (*startView, error) {
	nonce, err := p.formNonce(w, r)
	if err != nil {
		return nil, err
	}
	sv := &startView{CSRF: startToken(nonce), Selected: cc, Button: "Continue"}
	sv.Countries = append(sv.Countries, countryOption{Code: "", Name: "Not in the list: the standard rules", Selected: cc == ""})
	for _, c := range p.countries {
		sv.Countries = append(sv.Countries, countryOption{Code: c.code, Name: c.name, Selected: c.code == cc})
	}
	return sv, nil
}

// startPage renders the start page, with the country asked for (by
// ?country=) preselected, or the deployment's default, and the flash f.
func (p *Pages) startPage(w http.ResponseWriter, r *http.Request, asked string, f flash) {
	sc := &screen{Key: "start", Title: "Connect this device to your account"}
	cc := p.cfg.Country
	if asked != "" {
		if err := country.Check(asked); err != nil {
			msg := "That is not a country code: choose your country or region from the list."
			if len(asked) <= 8 {
				msg = sentence(strings.TrimPrefix(err.Error(), country.ErrCountry.Error()+": ")) + " Choose your country or region from the list."
			}
			sc.Errors = append(sc.Errors, errorLine{Target: "field-country", Text: msg})
		} else {
			cc = asked
		}
	}
	if f.Kind == flashEnded {
		sc.Notes = append(sc.Notes, block{Text: "Your last sign-in here has ended, or expired after a while with nothing done. Start again to connect this device."})
	}
	sv, err := p.startView(w, r, cc)
	if err != nil {
		p.internal(w, r, "form nonce", err)
		return
	}
	sc.Start = sv
	p.render(w, http.StatusOK, sc)
}

// problemView is a page that says why a request could not be answered.
type problemView struct {
	Text string
}

// fail answers status with a page that says what happened and what to
// do: go back to the start.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	p.render(w, status, &screen{Key: "problem", Title: title, Problem: &problemView{Text: text}})
}
