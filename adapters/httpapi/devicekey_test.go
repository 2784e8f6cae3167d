package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
)

// A device's id alone opens nothing: the session that created the device
// was given its key, once; a session for the device without it, or with
// a wrong one, is refused (403 device_key_required) before anything runs,
// so none of the device's saved connection is used. The key is in no
// other response and in no log line.
func TestDeviceHijack(t *testing.T) {
	fx := newFixture(t)
	create := func(key string) *response {
		t.Helper()
		h := []string{}
		if key != "" {
			h = []string{"Tether-Device-Key", key}
		}
		return fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "country": "US", "device": "victim-7f3a"}, h...)
	}
	r := create("")
	if r.status != http.StatusCreated {
		t.Fatalf("create a new device: %d %s", r.status, r.body)
	}
	s := r.session(t)
	key, secret := s.DeviceKey, s.Secret
	if len(key) < 22 || key == secret || len(s.Warnings) != 0 {
		t.Fatalf("the new device's key = %q (secret %q), warnings %q; want 128 bits or more, of its own", key, secret, s.Warnings)
	}
	done := fx.step(s, secret, "continue", map[string]any{"email": "free@example.com", "password": "Free-pass-2024"})
	if done.Status != "ended" || !done.Result.Success || done.DeviceKey != "" {
		t.Fatalf("connect: %+v %+v (device_key %q)", done.State, done.Result, done.DeviceKey)
	}
	get := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
	changed := []byte(key)
	changed[0] ^= 1
	for name, k := range map[string]string{"no key": "", "a wrong key": "0123456789abcdef0123456789abcdef", "the key changed": string(changed), "the session secret": secret} {
		r := create(k)
		if r.status != http.StatusForbidden {
			t.Errorf("a session of the connected device with %s: %d %s, want 403", name, r.status, r.body)
			continue
		}
		if p := r.problem(t); p.Code != httpapi.CodeDeviceKey || p.Session != nil || strings.Contains(string(r.body), key) {
			t.Errorf("with %s: problem %+v", name, p)
		}
	}
	// The device's own next session, with its key: admitted, and told no
	// key again.
	r = create(key)
	if r.status != http.StatusCreated || r.session(t).DeviceKey != "" {
		t.Errorf("a session with the key: %d %s, want 201 without device_key", r.status, r.body)
	}
	for _, body := range [][]byte{get.body, r.body} {
		if strings.Contains(string(body), key) {
			t.Errorf("a response other than the creating one holds the device key: %s", body)
		}
	}
	fx.noSecrets(t, key)
}

// A device a server saved before devices had keys is claimed by its next
// session, which is given a key and a warning; the server logs it.
func TestDeviceAdopted(t *testing.T) {
	fx := newFixture(t)
	if err := fx.store.PutDeviceRecord(context.Background(), devices.Key("old-device"), "tether", []byte(`{"app":"tether"}`)); err != nil {
		t.Fatal(err)
	}
	r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "device": "old-device"})
	s := r.session(t)
	if r.status != http.StatusCreated || s.DeviceKey == "" || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "claimed") {
		t.Fatalf("the first session of a device without a key: %d, key %q, warnings %q", r.status, s.DeviceKey, s.Warnings)
	}
	if !strings.Contains(fx.logs(), "a device without a key was claimed") {
		t.Errorf("the log does not say a device was claimed: %s", fx.logs())
	}
	if r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "connect", "device": "old-device"}); r.status != http.StatusForbidden {
		t.Errorf("a second session without the key: %d, want 403", r.status)
	}
	fx.noSecrets(t, s.DeviceKey)
}
