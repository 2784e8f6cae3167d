package credstore

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/internal/seal"
)

func sealKeys(t *testing.T, id string) *seal.Keys { return keysOf(t, newLine(t, id)) }

func newLine(t *testing.T, id string) string {
	t.Helper()
	line, err := seal.GenerateLine(id, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func keysOf(t *testing.T, text string) *seal.Keys {
	t.Helper()
	k, err := seal.ParseKeys("keys", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// With seal keys, no secret is in the file in clear; they read back as
// they were saved; without the keys, or with others, the store does not
// open; a sealed value moved to another entry does not open either.
func TestSealedStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "creds.json")
	k1 := newLine(t, "k1")
	keys := keysOf(t, k1)
	s := New(path, WithSeal(keys))
	c := actions.Credential{App: "tether", Account: "a@example.com", SavedAt: time.Unix(0, 0).UTC(),
		Tokens: actions.Tokens{Issuer: "https://portal.example.com", AccessToken: "at-SECRET-1", RefreshToken: "rt-SECRET-2", IDToken: "id-SECRET-3", DeviceSecret: "ds-SECRET-4"}}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	key, err := s.DeviceKey(ctx, func() (string, error) { return "key-SECRET-5", nil })
	if err != nil || key != "key-SECRET-5" {
		t.Fatalf("DeviceKey = %q, %v", key, err)
	}
	data, _ := os.ReadFile(path)
	for _, secret := range append(c.Secrets(), key) {
		if strings.Contains(string(data), secret) {
			t.Errorf("the file holds %q in clear:\n%s", secret, data)
		}
	}
	if !strings.Contains(string(data), "a@example.com") || !strings.Contains(string(data), "https://portal.example.com") {
		t.Errorf("the account and issuer are sealed too; want them readable:\n%s", data)
	}
	got, ok, err := s.Load(ctx, "tether")
	if err != nil || !ok || !reflect.DeepEqual(got, c) {
		t.Errorf("Load = %+v, %v, %v, want %+v", got, ok, err, c)
	}
	if k, _ := New(path, WithSeal(keys)).DeviceKey(ctx, func() (string, error) { return "other", nil }); k != key {
		t.Errorf("DeviceKey read again = %q, want the saved key", k)
	}
	for name, other := range map[string]*Store{"no keys": New(path), "other keys": New(path, WithSeal(sealKeys(t, "k1")))} {
		if _, err := other.Credentials(ctx); !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: Credentials error = %v, want ErrCorrupt without a secret", name, err)
		}
	}
	// A sealed access token moved into the refresh token's place.
	at := between(string(data), `"access_token": "`, `"`)
	rt := between(string(data), `"refresh_token": "`, `"`)
	moved := strings.Replace(string(data), rt, at, 1)
	if err := os.WriteFile(path, []byte(moved), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a sealed value moved to another field: error = %v, want ErrCorrupt", err)
	}
	// Rotation: a new key seals, the old one still opens.
	os.WriteFile(path, data, 0o600)
	rotated := New(path, WithSeal(keysOf(t, k1+newLine(t, "k2"))))
	if got, _, err := rotated.Load(ctx, "tether"); err != nil || got.AccessToken != c.AccessToken {
		t.Fatalf("Load with the old key and a new one = %+v, %v", got, err)
	}
	if err := rotated.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("the old key alone after the new one sealed: error = %v, want ErrCorrupt", err)
	}
}

// A store written in clear is read as it is, and sealed at its next write.
func TestClearStoreSealedAtNextWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "creds.json")
	c := actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "at-CLEAR-1"}}
	if err := New(path).Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	s := New(path, WithSeal(sealKeys(t, "k1")))
	if got, ok, err := s.Load(ctx, "tether"); err != nil || !ok || got.AccessToken != "at-CLEAR-1" {
		t.Fatalf("Load of a clear store with keys = %+v, %v, %v", got, ok, err)
	}
	if err := s.Save(ctx, actions.Credential{App: "vendor-mail", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "at-CLEAR-2"}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "at-CLEAR-") {
		t.Errorf("after a write with keys the file still holds a token in clear:\n%s", data)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}
