package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A browser that names another browser's device in its device cookie,
// without that device's key, does not get its connection: it starts as a
// new device, at the sign-in, and its cookie is replaced. The device's
// own browser, with its key, is signed in by the saved connection.
func TestDeviceCookieHijack(t *testing.T) {
	fx := newFixture(t)
	victim := fx.browser()
	page := victim.start("")
	page = victim.signIn(page, "free@example.com", "Free-pass-2024")
	if !strings.Contains(page.text(), "connected") {
		t.Fatalf("the victim's device did not connect: %s", page.text())
	}
	u, _ := url.Parse(fx.http.URL)
	var device, key string
	for _, c := range victim.client.Jar.Cookies(u) {
		switch c.Name {
		case "tether_device":
			device = c.Value
		case "tether_device_key":
			key = c.Value
		}
	}
	if device == "" || len(key) < 22 {
		t.Fatalf("the victim's cookies: device %q, key %q", device, key)
	}
	for name, stolen := range map[string][]*http.Cookie{
		"the device id":                   {{Name: "tether_device", Value: device}},
		"the device id and a made-up key": {{Name: "tether_device", Value: device}, {Name: "tether_device_key", Value: "guess"}},
	} {
		attacker := fx.browser()
		attacker.client.Jar.SetCookies(u, stolen)
		if got := attacker.start("").screen(); !strings.HasPrefix(got, "sign_in/") {
			t.Errorf("a browser with %s of another: at %q, want the sign-in of a new device", name, got)
		}
		for _, c := range attacker.client.Jar.Cookies(u) {
			if c.Name == "tether_device" && c.Value == device {
				t.Errorf("a browser with %s of another still names that device", name)
			}
		}
	}
	// The victim starts again (its ended session forgotten).
	victim.client.Jar.SetCookies(u, []*http.Cookie{{Name: "tether_session", MaxAge: -1}})
	if got := victim.start("").screen(); strings.HasPrefix(got, "sign_in/") {
		t.Errorf("the device's own browser, with its key, is at %q: its saved connection was not used", got)
	}
	for _, line := range strings.Split(fx.log.String(), "\n") {
		if strings.Contains(line, key) {
			t.Errorf("the log holds the device key: %s", line)
		}
	}
}
