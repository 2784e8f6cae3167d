package host

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrSecret is wrapped by Authorize's error when the secret presented is
// not the session's (or is missing). A leaked session id alone opens
// nothing.
var ErrSecret = errors.New("the session secret is missing or wrong")

// ErrExpired is wrapped by the errors for a session that has been idle
// past its expiry (Config.IdleTimeout) and waits to be reaped.
var ErrExpired = errors.New("the session has expired")

// secretBytes is the size of a session secret: 256 random bits.
const secretBytes = 32

// newSecret returns a new session secret and the hash the session keeps
// of it.
func newSecret(r io.Reader) (secret, hash string, err error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", fmt.Errorf("session secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret), nil
}

// hashSecret is what a session keeps of its secret. The secret has 256
// random bits, so one SHA-256 suffices: there is nothing to guess.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Authorize returns where session id stands, as Get does, when secret is
// the one Start issued it (Config.Secrets). It returns an error wrapping
// ErrSecret when it is not, ErrNotFound for an unknown session and
// ErrExpired for an expired one (only to the holder of its secret). A
// host without Config.Secrets authorizes every call.
func (h *Host) Authorize(ctx context.Context, id, secret string) (*View, error) {
	rec, d, err := h.admit(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	s, m, rec, err := h.restore(ctx, rec, d)
	if err != nil {
		return nil, err
	}
	return h.view(s, m, rec.Version, rec.Expires), nil
}

// Admit is Authorize without the view: it checks that secret opens
// session id, which has not expired, and returns the same errors, but
// does not restore the session. A server calls it before a step, which
// restores the session itself.
func (h *Host) Admit(ctx context.Context, id, secret string) error {
	_, _, err := h.admit(ctx, id, secret)
	return err
}

// admit loads session id's record and checks secret and expiry.
func (h *Host) admit(ctx context.Context, id, secret string) (*Record, *data, error) {
	rec, d, err := h.record(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if h.cfg.Secrets {
		want := []byte(d.Secret)
		if d.Secret == "" || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), want) != 1 {
			return nil, nil, fmt.Errorf("session %s: %w", id, ErrSecret)
		}
	}
	if err := h.expired(rec); err != nil {
		return nil, nil, err
	}
	return rec, d, nil
}
