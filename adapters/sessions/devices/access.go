package devices

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/seal"
)

// accessRecord names the record of the hash of the device's key, which a
// session of the device presents (host.DeviceKeys). Save refuses names
// that start with '#'.
const accessRecord = "#access"

// deviceKeyBytes is the size of a device key: 256 random bits, as a
// session secret.
const deviceKeyBytes = 32

// accessSHA256 is the first byte of an access record that holds the raw
// SHA-256 of the key after it. Older records are JSON, {"sha256":"<hex>"},
// in clear or sealed: neither starts with it.
const accessSHA256 = 2

// Access keeps the keys that open devices (host.DeviceKeys): each
// device's key is made by the first session of the device, which alone
// is told it; its SHA-256 is a record of the device, so that every
// instance sharing the store checks it.
//
// The record is not sealed: the hash of 256 random bits tells a reader
// of the store nothing it could present, and one that can write to the
// store can drop the record and have the device adopted anyway. So it
// is 33 bytes, not the 109 of a sealed JSON record, which every new
// device of a server holds.
type Access struct {
	st   *Store
	rand io.Reader
}

var _ host.DeviceKeys = (*Access)(nil)

// NewAccess returns the device keys kept in recs; keys open the older
// access records, which were sealed (nil: none was). New keys come from
// rand.
func NewAccess(recs Records, keys *seal.Keys, rand io.Reader) *Access {
	return &Access{st: &Store{recs: recs, keys: keys}, rand: rand}
}

// accessHash is what an older access record holds, as JSON.
type accessHash struct {
	SHA256 string `json:"sha256"`
}

// Open admits a session of device presenting key: see host.DeviceKeys.
// A record that does not open gives an error wrapping ErrCorrupt.
func (a *Access) Open(ctx context.Context, device, key string) (host.DeviceClaim, error) {
	k := Key(device)
	recs, err := a.st.recs.DeviceRecords(ctx, k)
	if err != nil {
		return host.DeviceClaim{}, fmt.Errorf("the device's key: %w", err)
	}
	if data, ok := recs[accessRecord]; ok {
		return host.DeviceClaim{}, a.check(k, data, key)
	}
	b := make([]byte, deviceKeyBytes)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		return host.DeviceClaim{}, fmt.Errorf("a device key: %w", err)
	}
	fresh := base64.RawURLEncoding.EncodeToString(b)
	data := record(fresh)
	kept, err := a.st.recs.AddDeviceRecord(ctx, k, accessRecord, data)
	if err != nil {
		return host.DeviceClaim{}, fmt.Errorf("the device's key: %w", err)
	}
	if !bytes.Equal(kept, data) {
		// Another session claimed the device first.
		return host.DeviceClaim{}, a.check(k, kept, key)
	}
	return host.DeviceClaim{Key: fresh, Adopted: len(recs) > 0}, nil
}

// Release withdraws key, which Open made for device, while it is still
// the device's.
func (a *Access) Release(ctx context.Context, device, key string) error {
	k := Key(device)
	recs, err := a.st.recs.DeviceRecords(ctx, k)
	if err != nil {
		return fmt.Errorf("the device's key: %w", err)
	}
	data, ok := recs[accessRecord]
	if !ok || a.check(k, data, key) != nil {
		return nil
	}
	if _, err := a.st.recs.DropDeviceRecord(ctx, k, accessRecord, data); err != nil {
		return fmt.Errorf("the device's key: %w", err)
	}
	return nil
}

// record is the access record of a device whose key is key. The key has
// 256 random bits, so one SHA-256 suffices: there is nothing to guess.
func record(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return append([]byte{accessSHA256}, h[:]...)
}

// check compares key, in constant time, with the one whose hash data
// (the access record of the device kept under k) holds.
func (a *Access) check(k string, data []byte, key string) error {
	want, err := a.hashOf(k, data)
	if err != nil {
		return fmt.Errorf("the device's key: %w", ErrCorrupt)
	}
	got := sha256.Sum256([]byte(key))
	if key == "" || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return host.ErrDeviceKey
	}
	return nil
}

// hashOf returns the SHA-256 an access record holds: raw after its first
// byte, or as hex in the JSON of an older record, in clear or sealed.
func (a *Access) hashOf(k string, data []byte) ([]byte, error) {
	if len(data) == 1+sha256.Size && data[0] == accessSHA256 {
		return data[1:], nil
	}
	plain, err := a.st.decode(k, accessRecord, data)
	if err != nil {
		return nil, err
	}
	var h accessHash
	if err := json.Unmarshal(plain, &h); err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(h.SHA256)
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("not a SHA-256")
	}
	return b, nil
}
