package host

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/tetherflow/tether/internal/jsonappend"
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

// secretMatches reports, in constant time, whether secret's hash is
// hash (hashSecret's), hashing it on the stack.
func secretMatches(secret, hash string) bool {
	var in [64]byte // a secret is 43 bytes
	sum := sha256.Sum256(append(in[:0], secret...))
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	return subtle.ConstantTimeCompare(hexSum[:], []byte(hash)) == 1
}

// Authorize returns where session id stands, as Get does, when secret is
// the one Start issued it (Config.Secrets). It returns an error wrapping
// ErrSecret when it is not, ErrNotFound for an unknown session and
// ErrExpired for an expired one (only to the holder of its secret). A
// host without Config.Secrets authorizes every call.
func (h *Host) Authorize(ctx context.Context, id, secret string) (*View, error) {
	rec, d, _, err := h.admit(ctx, id, secret, "")
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
// does not restore the session; it returns the session's version, which
// is all a conditional read (If-None-Match) needs.
func (h *Host) Admit(ctx context.Context, id, secret string) (version int, err error) {
	rec, _, _, err := h.admit(ctx, id, secret, "")
	if err != nil {
		return 0, err
	}
	return rec.Version, nil
}

// admitAnswer is admit for answer a: from the record this host saved
// last for the session (cached) when recent is set and a answers its
// version, else from the store.
func (h *Host) admitAnswer(ctx context.Context, id string, a Answer, recent bool) (rec *Record, d *data, old *Request, cached bool, err error) {
	if rec := h.recent.get(id); recent && rec != nil && a.Version != 0 && a.Version == rec.Version {
		d, err := h.check(rec, a.Secret)
		if err != nil {
			return nil, nil, nil, false, err
		}
		return rec, d, nil, true, nil
	}
	rec, d, old, err = h.admit(ctx, id, a.Secret, a.Key)
	return rec, d, old, false, err
}

// admit reads session id's record, with the request remembered under key
// when key is not empty, in one read, decodes its data and checks secret
// and expiry.
func (h *Host) admit(ctx context.Context, id, secret, key string) (*Record, *data, *Request, error) {
	var (
		rec *Record
		req *Request
		err error
	)
	if ss, ok := h.cfg.Store.(ServerStore); ok && key != "" {
		rec, req, err = ss.Recall(ctx, id, key)
	} else {
		rec, err = h.cfg.Store.Load(ctx, id)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := h.check(rec, secret)
	if err != nil {
		return nil, nil, nil, err
	}
	return rec, d, req, nil
}

// check decodes rec's data and checks secret and expiry.
func (h *Host) check(rec *Record, secret string) (*data, error) {
	d, err := decodeData(rec, h.cfg.Seal)
	if err != nil {
		return nil, err
	}
	if h.cfg.Secrets && (d.Secret == "" || !secretMatches(secret, d.Secret)) {
		return nil, fmt.Errorf("session %s: %w", rec.ID, ErrSecret)
	}
	if err := h.expired(rec); err != nil {
		return nil, err
	}
	return d, nil
}

// answerDigest is what identifies an answer under its idempotency key:
// an HMAC of its version, choice and input keyed with the session's
// secret, so that the store, which keeps it, cannot be searched for a
// password that was typed.
//
// What it hashes is the version, the choice and the input as
// encoding/json writes them (map keys sorted: one encoding per input),
// since digests are kept across releases.
func answerDigest(a Answer) ([]byte, error) {
	msg := strconv.AppendInt(make([]byte, 0, 64), int64(a.Version), 10)
	msg = append(msg, 0)
	msg = append(msg, a.Choice...)
	msg = append(msg, 0)
	msg, err := jsonappend.Any(msg, a.Input)
	if err != nil {
		return nil, fmt.Errorf("answer input: %w", err)
	}
	m := hmac.New(sha256.New, []byte(a.Secret))
	m.Write(msg)
	return m.Sum(nil), nil
}
