package credstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/tetherflow/tether/actions"
)

// memKeyring is a keyring in memory, which refuses items over 2,560
// bytes as the Windows Credential Manager does.
type memKeyring struct {
	mu    sync.Mutex
	items map[string]string
}

func (m *memKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (m *memKeyring) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(secret) > 2560 {
		return keyring.ErrSetDataTooBig
	}
	m.items[service+"/"+user] = secret
	return nil
}

func (m *memKeyring) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, service+"/"+user)
	return nil
}

// exercise holds a keyring store to what a credential store must do.
func exercise(t *testing.T, k *Keyring) {
	t.Helper()
	ctx := context.Background()
	if got, err := k.Credentials(ctx); err != nil || len(got) != 0 {
		t.Fatalf("a new profile's Credentials = %+v, %v, want none", got, err)
	}
	big := strings.Repeat("x", 2000) // each token alone fits an item
	tether := actions.Credential{App: "tether", Account: "a@example.com", Plan: "Family", Licence: "L", Region: "eu-de", Country: "DE",
		SavedAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Tokens: actions.Tokens{Issuer: "https://portal.example.com",
			AccessToken: "at-" + big, RefreshToken: "rt-" + big, IDToken: "id-" + big, DeviceSecret: "ds-" + big,
			Expires: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), JWKS: `{"keys":[]}`}}
	mail := actions.Credential{App: "vendor-mail", Account: "a@example.com", SavedAt: tether.SavedAt.Add(-time.Hour),
		Tokens: actions.Tokens{IDToken: "id-mail", DeviceSecret: "ds-mail"}}
	for _, c := range []actions.Credential{tether, mail} {
		if err := k.Save(ctx, c); err != nil {
			t.Fatalf("Save(%s) = %v", c.App, err)
		}
	}
	got, err := k.Credentials(ctx)
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], tether) || !reflect.DeepEqual(got[1], mail) {
		t.Fatalf("Credentials = %+v, %v, want tether's and vendor-mail's as saved", got, err)
	}
	if st, ok, err := k.Status(ctx, "tether"); err != nil || !ok || st.Plan != "Family" || st.Account != "a@example.com" {
		t.Errorf("Status = %+v, %v, %v", st, ok, err)
	}
	if c, ok, _ := k.Load(ctx, ""); !ok || c.App != "tether" {
		t.Errorf("Load(most recent) = %s, want tether", c.App)
	}
	tether.Plan, tether.RefreshToken = "Personal", "rt-new"
	if err := k.Save(ctx, tether); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := k.Load(ctx, "tether"); c.Plan != "Personal" || c.RefreshToken != "rt-new" {
		t.Errorf("after a second Save: %+v", c)
	}
	key, err := k.DeviceKey(ctx, func() (string, error) { return "key-1", nil })
	if err != nil || key != "key-1" {
		t.Fatalf("DeviceKey = %q, %v", key, err)
	}
	if key, _ := k.DeviceKey(ctx, func() (string, error) { return "key-2", nil }); key != "key-1" {
		t.Errorf("DeviceKey again = %q, want the first key kept", key)
	}
	if removed, err := k.Delete(ctx, "tether"); err != nil || !removed {
		t.Errorf("Delete(tether) = %v, %v", removed, err)
	}
	if removed, _ := k.Delete(ctx, "tether"); removed {
		t.Error("Delete(tether) twice removed something")
	}
	if got, _ := k.Credentials(ctx); len(got) != 1 || got[0].App != "vendor-mail" {
		t.Errorf("after Delete(tether): %+v, want vendor-mail's alone", got)
	}
	if err := k.Save(ctx, actions.Credential{App: "x"}); err == nil {
		t.Error("an entry without a token was saved")
	}
}

func TestKeyringStore(t *testing.T) {
	mem := &memKeyring{items: map[string]string{}}
	k := &Keyring{profile: "p1", os: mem}
	exercise(t, k)
	for item := range mem.items {
		if !strings.HasPrefix(item, KeyringService+"/p1:") {
			t.Errorf("item %q is not the profile's", item)
		}
	}
	// Another profile shares nothing.
	if got, _ := (&Keyring{profile: "p2", os: mem}).Credentials(context.Background()); len(got) != 0 {
		t.Errorf("another profile sees %+v", got)
	}
	mem.items[KeyringService+"/p3:apps"] = "not a list"
	if _, err := (&Keyring{profile: "p3", os: mem}).Credentials(context.Background()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a broken index: error = %v, want ErrCorrupt", err)
	}
}

// TestKeyringSecretService runs the same exercise against the OS keyring:
// on Linux the Secret Service (gnome-keyring in CI, under dbus-run-session
// with an unlocked keyring). Where none can be reached it skips and says
// so, unless TETHER_REQUIRE_KEYRING is set (.ci/run sets it).
func TestKeyringSecretService(t *testing.T) {
	id := make([]byte, 6)
	rand.Read(id)
	k := NewKeyring("tether-test-" + hex.EncodeToString(id))
	var err error
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		// Without a session bus go-keyring would launch one (dbus-launch)
		// and leave it running.
		err = errors.New("DBUS_SESSION_BUS_ADDRESS is not set")
	} else {
		_, err = k.Credentials(context.Background())
	}
	if err != nil {
		if os.Getenv("TETHER_REQUIRE_KEYRING") != "" {
			t.Fatalf("TETHER_REQUIRE_KEYRING is set, and the OS keyring cannot be reached: %v", err)
		}
		t.Skipf("no OS keyring to test against (on Linux: a Secret Service on the session bus, e.g. gnome-keyring under dbus-run-session; .ci/run starts one): %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, app := range []string{"tether", "vendor-mail"} {
			k.Delete(ctx, app)
		}
		k.set(k.user("device_key"), "")
		k.set(k.user("apps"), "")
	})
	exercise(t, k)
}
