package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/country"
)

// Form controls the pages add to a prompt's fields. A flow's field names
// have no '.', so they never collide with these.
const (
	csrfControl    = "tether.csrf"
	versionControl = "tether.version"
	choiceControl  = "tether.choice"
	countryControl = "country"
	// oldCountryControl is countryControl's name before it was
	// countryControl, still taken for one release (docs/web.md).
	oldCountryControl = "region"
)

// deviceLife is how long a browser keeps its device id.
const deviceLife = 400 * 24 * time.Hour

// page is GET /: the screen of the browser's session — its prompt or how
// it ended — or, without one, the start page.
func (p *Pages) page(w http.ResponseWriter, r *http.Request) {
	s, ok := p.session(r)
	var ref *sessionRef
	if ok {
		ref = &s
	}
	if ok && p.limited(w, r, p.answers) {
		// Reading a session costs the store a load, as the API's GET
		// does, and is limited as it is.
		return
	}
	f := p.takeFlash(w, r, ref)
	if ok {
		v, err := p.cfg.Host.Authorize(r.Context(), s.ID, s.Secret)
		switch {
		case err == nil:
			if f.Version != 0 && f.Version != v.Version {
				f = flash{} // about a screen that is gone
			}
			p.sessionPage(w, r, s, v, f)
			return
		case gone(err):
			p.setCookie(w, r, sessionCookie, "", -1)
			f = flash{Kind: flashEnded}
		default:
			p.cfg.Log.ErrorContext(r.Context(), "page", "err", err)
			p.fail(w, r, http.StatusInternalServerError, "internal_where")
			return
		}
	}
	q := r.URL.Query()
	if old, ok := q[oldCountryControl]; ok {
		// A link from before ?country=: the browser is sent to the
		// page's address now, which replaces the old one.
		if _, both := q[countryControl]; !both && len(old) > 0 {
			q.Set(countryControl, old[0])
		}
		q.Del(oldCountryControl)
		w.Header().Set("Location", "/?"+q.Encode())
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	p.startPage(w, r, q.Get(countryControl), f)
}

// gone reports whether err says the session cannot be opened any more:
// expired, reaped, or not this browser's.
func gone(err error) bool {
	return errors.Is(err, host.ErrExpired) || errors.Is(err, host.ErrNotFound) || errors.Is(err, host.ErrSecret)
}

// startSession is POST /web/start: it starts a session for the browser's
// device in the country chosen and redirects to its first screen.
func (p *Pages) startSession(w http.ResponseWriter, r *http.Request) {
	if p.limited(w, r, p.start) || !p.parseForm(w, r) {
		return
	}
	nonce := p.cookie(r, formCookie)
	if !token(nonce, 64) || !validMAC(r.PostForm.Get(csrfControl), nonce, "tether web start") {
		p.formExpired(w, r)
		return
	}
	cc := strings.TrimSpace(r.PostForm.Get(countryControl))
	if _, ok := r.PostForm[countryControl]; !ok {
		// A start page the release before rendered.
		cc = strings.TrimSpace(r.PostForm.Get(oldCountryControl))
	}
	if cc != "" && country.Check(cc) != nil {
		redirect(w, "/?"+url.Values{countryControl: {cc}}.Encode())
		return
	}
	device, key := p.cookie(r, deviceCookie), p.cookie(r, deviceKeyCookie)
	newDevice := func() bool {
		id, err := p.random(16)
		if err != nil {
			p.internal(w, r, "device id", err)
			return false
		}
		device, key = "web-"+id, ""
		return true
	}
	if !token(device, 128) && !newDevice() {
		return
	}
	ctx, cancel := p.stepContext(r.Context())
	defer cancel()
	// The session keeps the page's locale, for an API client that looks
	// at it and for the pages when the browser says none.
	locale := p.localizer(r, nil).Locale()
	start := func() (*host.View, error) {
		return p.cfg.Host.Start(ctx, host.StartRequest{Flow: p.cfg.Flow, Country: cc, Device: device, Locale: locale, DeviceKey: key})
	}
	v, err := start()
	if errors.Is(err, host.ErrDeviceKey) {
		// The browser holds no key of the device its cookie names (set
		// by someone else, or the key cookie lost): it is a new device.
		if !newDevice() {
			return
		}
		v, err = start()
	}
	if err != nil {
		p.internal(w, r, "start", err)
		return
	}
	p.setCookie(w, r, deviceCookie, device, deviceLife)
	if v.DeviceKey != "" {
		p.setCookie(w, r, deviceKeyCookie, v.DeviceKey, deviceLife)
	}
	p.setCookie(w, r, sessionCookie, v.ID+"."+v.Secret, 0)
	redirect(w, "/")
}

// answer is POST /web/answer: it answers the prompt with the button
// pressed and the fields it takes, then redirects to the next screen
// (post-redirect-get). Why an answer was refused goes to that screen in
// the flash cookie; no value typed goes anywhere but the host.
func (p *Pages) answer(w http.ResponseWriter, r *http.Request) {
	if p.limited(w, r, p.answers) || !p.parseForm(w, r) {
		return
	}
	s, ok := p.session(r)
	if !ok {
		p.setFlash(w, r, nil, flash{Kind: flashEnded})
		redirect(w, "/")
		return
	}
	if !validMAC(r.PostForm.Get(csrfControl), s.Secret, "tether web answer", s.ID) {
		p.formExpired(w, r)
		return
	}
	version, err := strconv.Atoi(r.PostForm.Get(versionControl))
	choice := r.PostForm.Get(choiceControl)
	if err != nil || version < 1 || len(choice) > 64 {
		p.fail(w, r, http.StatusBadRequest, "bad_form")
		return
	}
	cur, err := p.cfg.Host.Authorize(r.Context(), s.ID, s.Secret)
	switch {
	case gone(err):
		p.setCookie(w, r, sessionCookie, "", -1)
		p.setFlash(w, r, nil, flash{Kind: flashEnded})
		redirect(w, "/")
		return
	case err != nil:
		p.internal(w, r, "answer", err)
		return
	case cur.Done || cur.Step.Prompt == nil:
		redirect(w, "/")
		return
	}
	prompt := cur.Step.Prompt
	if choice == "" && len(prompt.Choices) == 1 {
		// Enter in the only field of a form with one button.
		choice = prompt.Choices[0].Name
	}
	input := map[string]any{}
	if ch, ok := prompt.Choice(choice); ok {
		for _, name := range ch.Fields {
			if vs := r.PostForm[name]; len(vs) > 0 {
				input[name] = vs[0]
			}
		}
	}
	ctx, cancel := p.stepContext(r.Context())
	defer cancel()
	// The version and the button name the answer: the same form sent
	// twice (a double click, a post sent again) gets the first answer's
	// result. (Not the fields: a key is kept, and a password is not.)
	key := "web-" + strconv.Itoa(version) + "-" + choice
	v, err := p.cfg.Host.Answer(ctx, s.ID, host.Answer{Version: version, Choice: choice, Input: input, Key: key, Secret: s.Secret})
	var ierr *engine.InputError
	switch {
	case err == nil, errors.Is(err, engine.ErrFinished):
	case errors.As(err, &ierr):
		f := flash{Kind: flashRefused, Field: ierr.Field, Text: ierr.Msg, ID: ierr.ID, Params: ierr.Params}
		if v != nil {
			f.Version = v.Version
		}
		p.setFlash(w, r, &s, f)
	case errors.Is(err, engine.ErrPromptGone):
		p.setFlash(w, r, &s, flash{Kind: flashGone})
	case errors.Is(err, host.ErrConflict), errors.Is(err, host.ErrKeyReused):
		// An old form sent again with other fields is stale too.
		p.setFlash(w, r, &s, flash{Kind: flashStale})
	case gone(err):
		p.setCookie(w, r, sessionCookie, "", -1)
		p.setFlash(w, r, nil, flash{Kind: flashEnded})
	default:
		p.internal(w, r, "answer", err)
		return
	}
	redirect(w, "/")
}

// parseForm reads a posted form, answering an error page when it cannot.
func (p *Pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		p.fail(w, r, http.StatusRequestEntityTooLarge, "too_big")
	} else {
		p.fail(w, r, http.StatusBadRequest, "bad_form")
	}
	return false
}

// formExpired answers a form whose CSRF token does not hold: a page of
// another site, or one kept open across a new session.
func (p *Pages) formExpired(w http.ResponseWriter, r *http.Request) {
	p.fail(w, r, http.StatusForbidden, "expired")
}

// internal logs err, which is the server's fault, and answers 500.
func (p *Pages) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	p.cfg.Log.ErrorContext(r.Context(), what, "route", route(r), "err", err)
	p.fail(w, r, http.StatusInternalServerError, "internal_do")
}

// redirect sends the browser to path with a GET (303 See Other): the
// redirect of post-redirect-get. path never holds a secret.
func redirect(w http.ResponseWriter, path string) {
	w.Header().Set("Location", path)
	w.WriteHeader(http.StatusSeeOther)
}
