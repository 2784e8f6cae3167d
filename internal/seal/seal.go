// Package seal seals small secrets at rest (tickets, tokens, keys) with
// AES-256-GCM under keys kept outside the store that holds them.
//
// A sealed value names the key that sealed it, so keys rotate: the newest
// key of a [Keys] seals, and every key it holds still opens. Additional
// data binds a sealed value to its place (a session and a variable, a
// device and a record), so that a value copied elsewhere does not open.
//
// It knows no store, flow or portal: callers decide what to seal.
package seal

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KeySize is the length of a key's secret in bytes (AES-256).
const KeySize = 32

// EnvVar is the environment variable that may hold a key file's text
// instead of a file: the same lines, newlines included.
const EnvVar = "TETHER_SEAL_KEYS"

// version is the first byte of every sealed value.
const version = 1

// maxKeyID bounds a key id, which is stored in every sealed value.
const maxKeyID = 64

// ErrUnknownKey is returned by Open for a value sealed under a key that
// the Keys do not hold.
var ErrUnknownKey = errors.New("seal: sealed under a key not given")

// ErrOpen is returned by Open for a value that is not a sealed value, was
// altered, or was sealed with other additional data.
var ErrOpen = errors.New("seal: cannot open: not sealed, altered or moved")

type key struct {
	id   string
	aead cipher.AEAD
}

// Keys seal and open values. The zero value holds no key; use
// [ParseKeys], [ReadKeyFile] or [New].
type Keys struct {
	keys []key // the last one seals
	rand io.Reader
}

// New returns Keys that seal with secret, named id.
func New(id string, secret []byte) (*Keys, error) {
	k := &Keys{}
	if err := k.add(id, secret); err != nil {
		return nil, err
	}
	return k, nil
}

// ParseKeys reads a key file's text: one key a line, "ID BASE64", where
// BASE64 is 32 bytes in standard or URL base64; blank lines and lines
// starting with # are skipped. The last key seals; all of them open. Errors
// name the line and never echo a secret.
func ParseKeys(name string, data []byte) (*Keys, error) {
	k := &Keys{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		id, enc, ok := strings.Cut(text, " ")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want \"ID BASE64-KEY\"", name, line)
		}
		secret, err := decodeSecret(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: key %q: %v", name, line, id, err)
		}
		if err := k.add(id, secret); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("%s: no key", name)
	}
	return k, nil
}

// ReadKeyFile reads a key file (see [ParseKeys]). It refuses a file that
// other users can read or write, as ssh refuses a private key.
func ReadKeyFile(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o lets other users read it: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 64<<10 {
		return nil, fmt.Errorf("%s: larger than 64 KiB: not a key file", path)
	}
	return ParseKeys(path, data)
}

// GenerateLine returns a key file line for a new random key named id.
func GenerateLine(id string, random io.Reader) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	secret := make([]byte, KeySize)
	if _, err := io.ReadFull(random, secret); err != nil {
		return "", err
	}
	return id + " " + base64.StdEncoding.EncodeToString(secret) + "\n", nil
}

// WithRand returns Keys that draw nonces from r rather than crypto/rand,
// for reproducible tests. A reader that repeats itself reuses nonces,
// which breaks AES-GCM: never use it for real data.
func (k *Keys) WithRand(r io.Reader) *Keys {
	c := *k
	c.rand = r
	return &c
}

// SealingKeyID returns the id of the key that seals.
func (k *Keys) SealingKeyID() string { return k.keys[len(k.keys)-1].id }

// Seal seals plaintext bound to additional data ad. The result names the
// sealing key: version, key id length, key id, nonce, ciphertext and tag.
func (k *Keys) Seal(plaintext, ad []byte) ([]byte, error) {
	if k == nil || len(k.keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	sk := k.keys[len(k.keys)-1]
	r := k.rand
	if r == nil {
		r = rand.Reader
	}
	ns := sk.aead.NonceSize()
	out := make([]byte, 0, 2+len(sk.id)+ns+len(plaintext)+sk.aead.Overhead())
	out = append(out, version, byte(len(sk.id)))
	out = append(out, sk.id...)
	nonce := out[len(out) : len(out)+ns]
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	out = out[:len(out)+ns]
	header := out
	return sk.aead.Seal(out, nonce, plaintext, additional(header[:2+len(sk.id)], ad)), nil
}

// Open opens a value Seal returned with the same additional data. It
// returns ErrUnknownKey when the sealing key is not among k, and ErrOpen
// when the value is not sealed, was altered or belongs elsewhere.
func (k *Keys) Open(sealed, ad []byte) ([]byte, error) {
	id, rest, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	var aead cipher.AEAD
	for _, c := range k.keys {
		if c.id == id {
			aead = c.aead
		}
	}
	if aead == nil {
		return nil, fmt.Errorf("%w (key %q)", ErrUnknownKey, id)
	}
	ns := aead.NonceSize()
	if len(rest) < ns+aead.Overhead() {
		return nil, ErrOpen
	}
	header := sealed[:2+len(id)]
	plain, err := aead.Open(nil, rest[:ns], rest[ns:], additional(header, ad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyID returns the id of the key that sealed a value, and what follows
// it, so that a store can find the values an old key still seals.
func KeyID(sealed []byte) (id string, rest []byte, err error) {
	if len(sealed) < 2 || sealed[0] != version {
		return "", nil, ErrOpen
	}
	n := int(sealed[1])
	if n == 0 || n > maxKeyID || len(sealed) < 2+n {
		return "", nil, ErrOpen
	}
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}

// SealString seals plaintext and returns it as URL-safe base64 without
// padding, for text formats (JSON, a database's text column).
func (k *Keys) SealString(plaintext, ad []byte) (string, error) {
	b, err := k.Seal(plaintext, ad)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// OpenString opens a value SealString returned.
func (k *Keys) OpenString(sealed string, ad []byte) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return k.Open(b, ad)
}

func (k *Keys) add(id string, secret []byte) error {
	if err := checkID(id); err != nil {
		return err
	}
	if len(secret) != KeySize {
		return fmt.Errorf("key %q: %d bytes, want %d", id, len(secret), KeySize)
	}
	for _, c := range k.keys {
		if c.id == id {
			return fmt.Errorf("key %q given twice", id)
		}
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	k.keys = append(k.keys, key{id: id, aead: aead})
	return nil
}

// checkID holds a key id to printable, unambiguous characters.
func checkID(id string) error {
	if id == "" || len(id) > maxKeyID {
		return fmt.Errorf("key id %q: want 1 to %d characters", id, maxKeyID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("key id %q: only letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

func decodeSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("%d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// additional binds the header (version and key id) into the tag with the
// caller's data, so that neither can be swapped. The header's length is
// fixed by its own second byte, so the two cannot be shifted into each
// other.
func additional(header, ad []byte) []byte {
	out := make([]byte, 0, len(header)+len(ad))
	out = append(out, header...)
	return append(out, ad...)
}
