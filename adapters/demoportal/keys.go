package demoportal

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-jose/go-jose/v4"
)

// Keys are the portal's secret keys: the Ed25519 keys it signs tokens
// with (published, public part only, as its JWKS) and the AES-256 keys it
// seals opaque tokens with (refresh tokens, device secrets), so that a
// portal that forgot its state still recognises what it issued. The last
// key of each list is the current one; the others still verify and open
// what they signed and sealed until they are dropped. No key is public:
// a portal gets its keys from its state, a key file, or new ones.
type Keys struct {
	Signing []jose.JSONWebKey `json:"signing"`
	Sealing []jose.JSONWebKey `json:"sealing"`
}

// NewKeys returns a signing and a sealing key drawn from r. A seeded r
// gives the same keys every time: for reproducible transcripts only.
func NewKeys(r io.Reader) (Keys, error) {
	var k Keys
	return k, k.Rotate(r)
}

// Rotate adds a new current signing key and sealing key drawn from r. The
// previous ones stay, to verify and open what they made.
func (k *Keys) Rotate(r io.Reader) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return fmt.Errorf("new signing key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	sk := jose.JSONWebKey{Key: priv, Algorithm: string(jose.EdDSA), Use: "sig"}
	pub := sk.Public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return err
	}
	sk.KeyID = base64.RawURLEncoding.EncodeToString(tp[:12])
	secret := make([]byte, 32)
	if _, err := io.ReadFull(r, secret); err != nil {
		return fmt.Errorf("new sealing key: %w", err)
	}
	k.Signing = append(k.Signing, sk)
	k.Sealing = append(k.Sealing, jose.JSONWebKey{Key: secret, KeyID: fmt.Sprintf("seal-%d", len(k.Sealing)+1), Algorithm: string(jose.DIRECT)})
	return nil
}

// Retire drops all but the newest n signing and sealing keys: what the
// dropped ones made is no longer accepted.
func (k *Keys) Retire(n int) {
	if n < 1 {
		n = 1
	}
	if len(k.Signing) > n {
		k.Signing = k.Signing[len(k.Signing)-n:]
	}
	if len(k.Sealing) > n {
		k.Sealing = k.Sealing[len(k.Sealing)-n:]
	}
}

// check reports what is wrong with keys read from a store.
func (k Keys) check() error {
	if len(k.Signing) == 0 || len(k.Sealing) == 0 {
		return errors.New("the portal's keys need a signing key and a sealing key")
	}
	for _, s := range k.Signing {
		if _, ok := s.Key.(ed25519.PrivateKey); !ok || s.KeyID == "" {
			return errors.New("a signing key is not a private Ed25519 key with a key id")
		}
	}
	for _, s := range k.Sealing {
		if b, ok := s.Key.([]byte); !ok || len(b) != 32 || s.KeyID == "" {
			return errors.New("a sealing key is not a 256-bit key with a key id")
		}
	}
	return nil
}

// signer returns the current signing key.
func (k Keys) signer() jose.JSONWebKey { return k.Signing[len(k.Signing)-1] }

// sealer returns the current sealing key.
func (k Keys) sealer() jose.JSONWebKey { return k.Sealing[len(k.Sealing)-1] }

// Public returns the JWKS of the signing keys: their public parts.
func (k Keys) Public() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, s := range k.Signing {
		set.Keys = append(set.Keys, s.Public())
	}
	return set
}

// MarshalKeys returns keys as JSON: secret, to be kept like a password.
func MarshalKeys(k Keys) ([]byte, error) { return json.MarshalIndent(k, "", "  ") }

// UnmarshalKeys reads keys MarshalKeys wrote and checks them.
func UnmarshalKeys(data []byte) (Keys, error) {
	var k Keys
	if err := json.Unmarshal(data, &k); err != nil {
		return Keys{}, fmt.Errorf("the portal's keys are not readable: %w", err)
	}
	return k, k.check()
}
