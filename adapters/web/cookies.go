package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// The pages keep their state in cookies, all HttpOnly, SameSite=Strict,
// Path=/, Secure (and named __Host-...) on TLS or with
// Config.SecureCookies:
//
//   - session: the session's id and secret ("ID.SECRET"), for the
//     browser's life. The secret opens the session (host.Authorize); the
//     server keeps only its hash. It never appears in a URL or a page.
//   - device: the device id the browser's sessions connect, kept for a
//     year, so that a second connect finds the connection the first saved.
//     Set when a session starts, never on a GET: a link from another site
//     (which SameSite=Strict sends without cookies) must not replace it.
//   - device key: the key of that device (host.DeviceKeys), which the
//     session that created the device was given, kept as long: a later
//     session of the device presents it. A browser whose device cookie
//     names a device it holds no key of starts a new device.
//   - form: a random nonce the start form's CSRF token is made from.
//   - flash: what the page after a post-redirect-get says about the
//     answer (why it was refused), for a minute.
//
// CSRF tokens are HMACs: the answer form's keyed by the session's secret,
// the start form's by the form nonce. Neither needs state on the server,
// so any instance of a scaled-out server checks them.
const (
	sessionCookie   = "tether_session"
	deviceCookie    = "tether_device"
	deviceKeyCookie = "tether_device_key"
	formCookie      = "tether_form"
	flashCookie     = "tether_flash"
)

// secure reports whether r's cookies are Secure.
func (p *Pages) secure(r *http.Request) bool { return p.cfg.SecureCookies || r.TLS != nil }

// cookieName is name as r's cookies are named: with the __Host- prefix
// when they are Secure, which keeps a sibling domain from setting them.
func (p *Pages) cookieName(r *http.Request, name string) string {
	if p.secure(r) {
		return "__Host-" + name
	}
	return name
}

// cookie returns the value of r's cookie name, or "".
func (p *Pages) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(p.cookieName(r, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// setCookie sets cookie name; maxAge 0 is a cookie for the browser's
// life, negative deletes it.
func (p *Pages) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name: p.cookieName(r, name), Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: p.secure(r),
	}
	switch {
	case maxAge < 0:
		c.MaxAge, c.Value = -1, ""
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// sessionRef is the session a browser's cookie names.
type sessionRef struct {
	ID, Secret string
}

// session returns the session r's cookie names.
func (p *Pages) session(r *http.Request) (sessionRef, bool) {
	id, secret, ok := strings.Cut(p.cookie(r, sessionCookie), ".")
	if !ok || !token(id, 64) || !token(secret, 128) {
		return sessionRef{}, false
	}
	return sessionRef{ID: id, Secret: secret}, true
}

// token reports whether s is 1 to n characters of base64url (which hex
// ids are too).
func token(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// random returns n random bytes in hex.
func (p *Pages) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.cfg.Rand, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// mac returns the HMAC-SHA256 of the message parts under key, base64url.
func mac(key string, parts ...string) string {
	h := hmac.New(sha256.New, []byte(key))
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// validMAC reports whether got is mac(key, parts...), in constant time.
func validMAC(got, key string, parts ...string) bool {
	return got != "" && key != "" && hmac.Equal([]byte(got), []byte(mac(key, parts...)))
}

// answerToken is the CSRF token of session s's answer forms.
func answerToken(s sessionRef) string { return mac(s.Secret, "tether web answer", s.ID) }

// startToken is the CSRF token of the start forms of a browser whose
// form nonce is nonce.
func startToken(nonce string) string { return mac(nonce, "tether web start") }

// formNonce returns the browser's form nonce, setting a new one when it
// has none (or a malformed one).
func (p *Pages) formNonce(w http.ResponseWriter, r *http.Request) (string, error) {
	if n := p.cookie(r, formCookie); token(n, 64) {
		return n, nil
	}
	n, err := p.random(16)
	if err != nil {
		return "", err
	}
	p.setCookie(w, r, formCookie, n, 0)
	return n, nil
}

// flash is what a page says about the post that redirected to it.
type flash struct {
	// Version is the session version the flash is about: it is shown
	// only while the session is at it.
	Version int `json:"v,omitempty"`
	// Kind is one of the flash kinds below.
	Kind string `json:"k"`
	// Field and Text say why an answer was refused (kind refused); ID
	// and Params name its message, for the page's locale.
	Field  string         `json:"f,omitempty"`
	Text   string         `json:"t,omitempty"`
	ID     string         `json:"i,omitempty"`
	Params map[string]any `json:"p,omitempty"`
}

// The kinds of flash. Only refused carries text of its own; the others'
// words are the pages'.
const (
	flashRefused = "refused" // the answer did not fit the prompt
	flashStale   = "stale"   // the page was out of date
	flashGone    = "gone"    // a timer moved the session before the answer
	flashEnded   = "ended"   // the session has ended, or expired
)

// setFlash sets f for the next page. It is signed with the session's
// secret when there is a session, so that a flash's text cannot be
// forged; without one only a flash with no text of its own is set.
func (p *Pages) setFlash(w http.ResponseWriter, r *http.Request, s *sessionRef, f flash) {
	if s == nil {
		f.Field, f.Text = "", ""
	}
	data, _ := json.Marshal(f)
	v := base64.RawURLEncoding.EncodeToString(data)
	if s != nil {
		v += "." + mac(s.Secret, "tether web flash", v)
	}
	p.setCookie(w, r, flashCookie, v, time.Minute)
}

// takeFlash returns the flash r carries (the zero flash when none), and
// deletes it. A flash whose signature does not hold under session s keeps
// its kind only, and a refusal without its reason is dropped.
func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request, s *sessionRef) flash {
	raw := p.cookie(r, flashCookie)
	if raw == "" {
		return flash{}
	}
	p.setCookie(w, r, flashCookie, "", -1)
	v, sig, signed := strings.Cut(raw, ".")
	data, err := base64.RawURLEncoding.DecodeString(v)
	var f flash
	if err != nil || len(data) > 2048 || json.Unmarshal(data, &f) != nil {
		return flash{}
	}
	if !signed || s == nil || !validMAC(sig, s.Secret, "tether web flash", v) {
		f.Field, f.Text = "", ""
		if f.Kind == flashRefused {
			return flash{}
		}
	}
	return f
}
