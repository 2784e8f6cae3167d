package devices_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/internal/seal"
)

func keys(t *testing.T, id string) *seal.Keys {
	t.Helper()
	k, err := seal.New(id, bytes.Repeat([]byte(id[:1]), seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func connection(app, token string, saved time.Time) actions.Credential {
	return actions.Credential{App: app, Account: "family@example.com", Plan: "Family", Licence: "LIC-FAM-F",
		Region: "eu-de", Country: "DE", SavedAt: saved,
		Tokens: actions.Tokens{Issuer: "https://portal.example", AccessToken: token + "-access", RefreshToken: token + "-refresh",
			IDToken: token + "-id", DeviceSecret: token + "-device", Expires: saved.Add(time.Hour), JWKS: `{"keys":[]}`}}
}

// Entries are kept per device and application, whole (every token), and
// another Store of the device (another instance) reads them; sealed, no
// token is in the store in clear.
func TestStore(t *testing.T) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			recs := memory.New()
			var k *seal.Keys
			if sealed {
				k = keys(t, "k1")
			}
			stores := devices.Stores(recs, k)
			saved := time.Date(2026, 1, 5, 9, 0, 0, 123, time.UTC)
			tether, mail := connection("tether", "tok-secret-1", saved), connection("vendor-mail", "tok-mail", saved)
			a := stores("laptop-7f3a")
			if got, err := a.Credentials(ctx); err != nil || len(got) != 0 {
				t.Fatalf("Credentials of a new device = %v, %v; want none", got, err)
			}
			for _, c := range []actions.Credential{mail, connection("tether", "old", saved), tether} {
				if err := a.Save(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			got, err := stores("laptop-7f3a").Credentials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != tether || got[1] != mail {
				t.Errorf("Credentials = %+v, want [%+v %+v]", got, tether, mail)
			}
			if got, _ := stores("laptop-7f3b").Credentials(ctx); len(got) != 0 {
				t.Errorf("another device sees %+v", got)
			}
			raw, _ := recs.DeviceRecords(ctx, devices.Key("laptop-7f3a"))
			if len(raw) != 2 {
				t.Errorf("records under the device's key = %d, want 2", len(raw))
			}
			for name, data := range raw {
				if clear := bytes.Contains(data, []byte("tok-")); clear == sealed {
					t.Errorf("record %s holds a token in clear: %v, sealed: %v", name, clear, sealed)
				}
			}
			if m, _ := recs.DeviceRecords(ctx, "laptop-7f3a"); len(m) != 0 {
				t.Errorf("records are kept under the raw device id")
			}
			for _, bad := range []actions.Credential{{Tokens: actions.Tokens{AccessToken: "t"}}, {App: "tether"}, {App: "#device-key", Tokens: actions.Tokens{AccessToken: "t"}}} {
				if err := a.Save(ctx, bad); err == nil {
					t.Errorf("Save(%+v) = nil, want an error", bad)
				}
			}
		})
	}
}

// Sealed records open with the keys that sealed them, and with keys that
// still hold that one (rotation), not with others, nor without keys, nor
// moved to another device; a record in clear, from before keys were
// given, reads as it is.
func TestSealed(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	k1 := keys(t, "k1")
	saved := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if err := devices.Stores(recs, nil)("old").Save(ctx, connection("tether", "tok-clear", saved)); err != nil {
		t.Fatal(err)
	}
	if err := devices.Stores(recs, k1)("d").Save(ctx, connection("tether", "tok-sealed", saved)); err != nil {
		t.Fatal(err)
	}
	rotated, err := seal.ParseKeys("keys", []byte("k1 "+b64(bytes.Repeat([]byte("k"), 32))+"\nk2 "+b64(bytes.Repeat([]byte("n"), 32))+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*seal.Keys{"the same key": k1, "rotated": rotated} {
		if got, err := devices.Stores(recs, k)("d").Credentials(ctx); err != nil || len(got) != 1 || got[0].AccessToken != "tok-sealed-access" {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
	for name, k := range map[string]*seal.Keys{"another key": keys(t, "zz"), "no key": nil} {
		if _, err := devices.Stores(recs, k)("d").Credentials(ctx); !errors.Is(err, devices.ErrCorrupt) || strings.Contains(err.Error(), "tok-") {
			t.Errorf("%s: %v, want ErrCorrupt without the token", name, err)
		}
	}
	raw, _ := recs.DeviceRecords(ctx, devices.Key("d"))
	recs.PutDeviceRecord(ctx, devices.Key("e"), "tether", raw["tether"])
	if _, err := devices.Stores(recs, k1)("e").Credentials(ctx); !errors.Is(err, devices.ErrCorrupt) {
		t.Errorf("a record moved to another device: %v, want ErrCorrupt", err)
	}
	if got, err := devices.Stores(recs, k1)("old").Credentials(ctx); err != nil || len(got) != 1 {
		t.Errorf("a record in clear with keys given: %+v, %v", got, err)
	}
}

func b64(b []byte) string { return strings.TrimRight(base64Std(b), "=") }

// The device's key is made once: many at once get the same, sealed in the
// store, and it is not an entry.
func TestDeviceKey(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	s := devices.Stores(recs, keys(t, "k1"))("d")
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			k, err := s.DeviceKey(ctx, func() (string, error) { return fmt.Sprintf(`{"kty":"OKP","d":"secret-%d"}`, i), nil })
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		})
	}
	wg.Wait()
	for _, k := range got[1:] {
		if k != got[0] || !strings.HasPrefix(k, `{"kty":"OKP"`) {
			t.Errorf("DeviceKey gave %q and %q", got[0], k)
		}
	}
	again, err := s.DeviceKey(ctx, func() (string, error) { return "", errors.New("made again") })
	if err != nil || again != got[0] {
		t.Errorf("DeviceKey once made = %q, %v", again, err)
	}
	raw, _ := recs.DeviceRecords(ctx, devices.Key("d"))
	for _, data := range raw {
		if bytes.Contains(data, []byte("secret-")) {
			t.Errorf("the device key is in the store in clear")
		}
	}
	if cs, err := s.Credentials(ctx); err != nil || len(cs) != 0 {
		t.Errorf("Credentials = %+v, %v: the key is no entry", cs, err)
	}
}

// A record that does not decode, or holds another application's entry,
// is reported as corrupt without its content.
func TestCorrupt(t *testing.T) {
	ctx := context.Background()
	for name, data := range map[string]string{
		"tether":      `{"App":"tether","AccessToken":"tok-secret-2"`,
		"vendor-mail": `{"App":"tether","AccessToken":"tok-secret-2"}`,
	} {
		recs := memory.New()
		recs.PutDeviceRecord(ctx, devices.Key("d"), name, []byte(data))
		_, err := devices.Stores(recs, nil)("d").Credentials(ctx)
		if !errors.Is(err, devices.ErrCorrupt) || strings.Contains(err.Error(), "tok-secret") {
			t.Errorf("record %s = %q: Credentials = %v, want ErrCorrupt without the token", name, data, err)
		}
	}
}

type deviceKey struct{}

// A PerStep store serves the device of the step it is called from, and
// refuses a call from outside a step.
func TestPerStep(t *testing.T) {
	recs := memory.New()
	deviceOf := func(ctx context.Context) (string, bool) {
		d, ok := ctx.Value(deviceKey{}).(string)
		return d, ok
	}
	s := devices.PerStep(recs, deviceOf, nil)
	in := func(device string) context.Context {
		return context.WithValue(context.Background(), deviceKey{}, device)
	}
	saved := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, d := range []string{"a", "b"} {
		if err := s.Save(in(d), connection("tether", "tok-"+d, saved)); err != nil {
			t.Fatal(err)
		}
	}
	for device, want := range map[string]string{"a": "tok-a-access", "b": "tok-b-access"} {
		got, err := s.Credentials(in(device))
		if err != nil || len(got) != 1 || got[0].AccessToken != want {
			t.Errorf("device %s: %+v, %v; want its own token", device, got, err)
		}
		if mine, _ := devices.Stores(recs, nil)(device).Credentials(context.Background()); len(mine) != 1 || mine[0].AccessToken != want {
			t.Errorf("device %s's own store reads %+v", device, mine)
		}
	}
	ka, _ := s.DeviceKey(in("a"), func() (string, error) { return `{"k":"a"}`, nil })
	kb, _ := s.DeviceKey(in("b"), func() (string, error) { return `{"k":"b"}`, nil })
	if ka == kb {
		t.Errorf("two devices share a key")
	}
	if _, err := s.Credentials(context.Background()); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("Credentials outside a step = %v, want ErrNoDevice", err)
	}
	if err := s.Save(context.Background(), connection("tether", "t", saved)); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("Save outside a step = %v, want ErrNoDevice", err)
	}
	if _, err := s.DeviceKey(context.Background(), func() (string, error) { return "{}", nil }); !errors.Is(err, devices.ErrNoDevice) {
		t.Errorf("DeviceKey outside a step = %v, want ErrNoDevice", err)
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
