package demoportal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// fingerprint identifies a call by its operation and arguments without
// keeping them: the arguments hold passwords, codes and tokens.
func (p *Portal) fingerprint(op string, req []string) string {
	m := hmac.New(sha256.New, p.subKey("request fingerprint"))
	for _, s := range append([]string{op}, req...) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// sealAnswer encrypts a call's answer for keeping under its idempotency key:
// answers hold tickets and device tokens, which the portal otherwise keeps
// only as hashes.
func (p *Portal) sealAnswer(out any) ([]byte, error) {
	plain, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("seal the answer: %w", err)
	}
	aead, err := p.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	// Not the portal's seeded source: sealing must not change the codes
	// and tokens a seeded portal hands out.
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal the answer: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

// openAnswer decrypts an answer sealAnswer made into out.
func (p *Portal) openAnswer(sealed []byte, out any) error {
	aead, err := p.aead()
	if err != nil {
		return err
	}
	if len(sealed) < aead.NonceSize() {
		return errors.New("open a kept answer: too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return fmt.Errorf("open a kept answer (were the portal's keys changed?): %w", err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(plain, out)
}

func (p *Portal) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(p.subKey("sealed answers"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
