package devices

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// Access keeps the keys that open devices (host.DeviceKeys): each
// device's key is made by the first session of the device, which alone
// is told it; its SHA-256 is a record of the device, sealed like the
// others, so that every instance sharing the store checks it.
type Access struct {
	st   *Store
	rand io.Reader
}

var _ host.DeviceKeys = (*Access)(nil)

// NewAccess returns the device keys kept in recs, their records sealed
// with keys (nil: in clear); new keys come from rand.
func NewAccess(recs Records, keys *seal.Keys, rand io.Reader) *Access {
	return &Access{st: &Store{recs: recs, keys: keys}, rand: rand}
}

// accessHash is what the access record holds.
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
	data, err := a.record(k, fresh)
	if err != nil {
		return host.DeviceClaim{}, err
	}
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

// record is the access record of the device kept under k whose key is
// key.
func (a *Access) record(k, key string) ([]byte, error) {
	plain, err := json.Marshal(accessHash{SHA256: hashKey(key)})
	if err != nil {
		return nil, err
	}
	data, err := a.st.encode(k, accessRecord, plain)
	if err != nil {
		return nil, fmt.Errorf("the device's key: %w", err)
	}
	return data, nil
}

// check compares key, in constant time, with the one whose hash data
// (the access record of the device kept under k) holds.
func (a *Access) check(k string, data []byte, key string) error {
	plain, err := a.st.decode(k, accessRecord, data)
	var h accessHash
	if err == nil {
		err = json.Unmarshal(plain, &h)
	}
	if err != nil || len(h.SHA256) != 2*sha256.Size {
		return fmt.Errorf("the device's key: %w", ErrCorrupt)
	}
	if key == "" || subtle.ConstantTimeCompare([]byte(hashKey(key)), []byte(h.SHA256)) != 1 {
		return host.ErrDeviceKey
	}
	return nil
}

// hashKey is what a device's record keeps of its key. The key has 256
// random bits, so one SHA-256 suffices: there is nothing to guess.
func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}
