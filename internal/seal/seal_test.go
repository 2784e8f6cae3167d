package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKeys(t *testing.T, text string) *Keys {
	t.Helper()
	k, err := ParseKeys("keys", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func line(t *testing.T, id string) string {
	t.Helper()
	l, err := GenerateLine(id, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSealOpen(t *testing.T) {
	k := mustKeys(t, line(t, "k1"))
	secret := []byte("ticket-0123456789")
	ad := []byte("session s1/ticket")
	sealed, err := k.Seal(secret, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatalf("sealed value holds the plaintext: %q", sealed)
	}
	got, err := k.Open(sealed, ad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, secret) {
		t.Errorf("Open = %q, want %q", got, secret)
	}
	again, _ := k.Seal(secret, ad)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: nonce reused")
	}
	if id, _, err := KeyID(sealed); err != nil || id != "k1" {
		t.Errorf("KeyID = %q, %v; want k1", id, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	k := mustKeys(t, line(t, "k1"))
	ad := []byte("session s1/ticket")
	sealed, err := k.Seal([]byte("secret"), ad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	cases := map[string]struct {
		sealed, ad []byte
		want       error
	}{
		"other additional data": {sealed, []byte("session s2/ticket"), ErrOpen},
		"no additional data":    {sealed, nil, ErrOpen},
		"altered ciphertext":    {flip(len(sealed) - 20), ad, ErrOpen},
		"altered tag":           {flip(len(sealed) - 1), ad, ErrOpen},
		"altered nonce":         {flip(4 + 1), ad, ErrOpen},
		"altered version":       {flip(0), ad, ErrOpen},
		"key id renamed":        {append([]byte{1, 2, 'k', '2'}, sealed[4:]...), ad, ErrUnknownKey},
		"truncated":             {sealed[:10], ad, ErrOpen},
		"empty":                 {nil, ad, ErrOpen},
		"plain text":            {[]byte("secret"), ad, ErrOpen},
	}
	for name, c := range cases {
		if _, err := k.Open(c.sealed, c.ad); !errors.Is(err, c.want) {
			t.Errorf("%s: Open error = %v, want %v", name, err, c.want)
		}
	}
}

func TestRotation(t *testing.T) {
	oldLine, newLine := line(t, "2026-01"), line(t, "2026-06")
	old := mustKeys(t, oldLine)
	sealedOld, _ := old.Seal([]byte("old secret"), nil)

	both := mustKeys(t, "# rotated in June\n"+oldLine+"\n"+newLine)
	if got := both.SealingKeyID(); got != "2026-06" {
		t.Errorf("SealingKeyID = %q, want the last key, 2026-06", got)
	}
	if got, err := both.Open(sealedOld, nil); err != nil || string(got) != "old secret" {
		t.Errorf("old value with both keys: %q, %v", got, err)
	}
	sealedNew, _ := both.Seal([]byte("new secret"), nil)
	if id, _, _ := KeyID(sealedNew); id != "2026-06" {
		t.Errorf("new value sealed with %q, want 2026-06", id)
	}
	if _, err := old.Open(sealedNew, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("new value with the old key only: %v, want ErrUnknownKey", err)
	}
	// A key of the same id but another secret does not open the old value.
	impostor := mustKeys(t, line(t, "2026-01"))
	if _, err := impostor.Open(sealedOld, nil); !errors.Is(err, ErrOpen) {
		t.Errorf("old value with another secret of the same id: %v, want ErrOpen", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	good := line(t, "k1")
	cases := map[string]string{
		"":                            "no key",
		"# only a comment\n":          "no key",
		"k1\n":                        `keys:1: want "ID BASE64-KEY"`,
		"k1 not-base64!\n":            `keys:1: key "k1": not base64`,
		"k1 c2hvcnQ=\n":               `keys:1: key "k1": 5 bytes, want 32`,
		good + good:                   `keys:2: key "k1" given twice`,
		"bad/id " + good[3:]:          `keys:1: key id "bad/id"`,
		strings.Repeat("x", 65) + " ": `keys:1:`,
	}
	for text, want := range cases {
		_, err := ParseKeys("keys", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q) error = %v, want it to contain %q", text, err, want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(strings.TrimPrefix(good, "k1 "))) {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seal.keys")
	if err := os.WriteFile(path, []byte(line(t, "k1")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("ReadKeyFile of a 0644 file: %v, want a refusal naming chmod 600", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.SealingKeyID() != "k1" {
		t.Errorf("SealingKeyID = %q", k.SealingKeyID())
	}
	if _, err := ReadKeyFile(dir); err == nil {
		t.Error("ReadKeyFile of a directory: no error")
	}
}

func TestStrings(t *testing.T) {
	k := mustKeys(t, line(t, "k1"))
	s, err := k.SealString([]byte("token"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(s, "+/=\n") {
		t.Errorf("SealString = %q: not URL-safe unpadded base64", s)
	}
	if got, err := k.OpenString(s, []byte("ad")); err != nil || string(got) != "token" {
		t.Errorf("OpenString = %q, %v", got, err)
	}
	if _, err := k.OpenString("!!", []byte("ad")); !errors.Is(err, ErrOpen) {
		t.Errorf("OpenString of junk: %v, want ErrOpen", err)
	}
}

func TestWithRandIsReproducible(t *testing.T) {
	k := mustKeys(t, line(t, "k1"))
	a, _ := k.WithRand(bytes.NewReader(make([]byte, 64))).Seal([]byte("x"), nil)
	b, _ := k.WithRand(bytes.NewReader(make([]byte, 64))).Seal([]byte("x"), nil)
	if !bytes.Equal(a, b) {
		t.Error("same rand, different sealed values")
	}
	if _, err := k.WithRand(bytes.NewReader(nil)).Seal([]byte("x"), nil); err == nil {
		t.Error("Seal with an exhausted rand: no error")
	}
}

func FuzzOpen(f *testing.F) {
	// Every fuzz worker runs this anew: the seed must seal the same way in
	// each, so its nonce comes from a fixed reader.
	k, _ := New("k1", make([]byte, KeySize))
	s, _ := k.WithRand(bytes.NewReader(make([]byte, 12))).Seal([]byte("seed"), nil)
	f.Add(s)
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, err := k.Open(b, nil); err == nil && !bytes.Equal(b, s) {
			// Only a value sealed under k opens; a forged one would mean
			// the tag is not checked.
			t.Fatalf("Open accepted a forged value %x -> %q", b, got)
		}
	})
}
