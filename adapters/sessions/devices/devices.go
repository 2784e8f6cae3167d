// Package devices keeps the saved connections of the devices a server
// hosts sessions for (each device's credential store, the port
// actions.CredentialStore) in the session store, so that every instance
// sharing the store sees what a session on another saved. It knows no
// portal, no flow and no particular store.
//
//	creds := devices.PerStep(store, host.Device, keys) // a session store with device records
//	reg, err := actions.Registry(actions.Ports{Credentials: creds, ...}) // once, for every device
//
// A device's records are kept under a hash of its id, not the id itself:
// the id is what a client presents to start sessions for the device. Each
// saved entry (one per application) is one record, encoded whole, so that
// what a portal saves with a connection is kept without a change here;
// the device's key (DPoP) is a record of its own, and so is the hash of
// the key a session of the device presents (Access). With seal keys every
// record but that hash is sealed (AES-256-GCM, internal/seal), bound to
// its device and name: the store holds no token or key in clear. encode and decode are
// the one place a record turns into bytes and back.
package devices

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/internal/seal"
)

// Records is where a device's records are kept: a session store
// (adapters/sessions/memory, sqlite, postgres).
type Records interface {
	// DeviceRecords returns the records kept for device, by name; none
	// for a device that has none.
	DeviceRecords(ctx context.Context, device string) (map[string][]byte, error)
	// PutDeviceRecord keeps data as device's record name, replacing the
	// record of that name; it is durable once it returns nil.
	PutDeviceRecord(ctx context.Context, device, name string, data []byte) error
	// AddDeviceRecord keeps data as device's record name unless it has
	// one of that name, and returns the record kept: data, or the one
	// that was there. Two callers at once get the same record.
	AddDeviceRecord(ctx context.Context, device, name string, data []byte) ([]byte, error)
	// DropDeviceRecord removes device's record name if it holds data,
	// and reports whether it did.
	DropDeviceRecord(ctx context.Context, device, name string, data []byte) (bool, error)
}

// keyRecord names the record of the device's key. No application is
// named so: Save refuses names that start with '#'.
const keyRecord = "#device-key"

// ErrCorrupt is wrapped by the error for a record that does not decode,
// or does not open with the seal keys given.
var ErrCorrupt = errors.New("a saved device record is corrupt")

// ErrNoDevice is wrapped by the errors of a PerStep store used outside a
// step: it cannot tell whose records to read.
var ErrNoDevice = errors.New("no device: not called from a session's step")

// Store is a device's credential store, kept in Records: one device's
// (Stores, Keyed), or that of the device each step is for (PerStep). It is
// safe for concurrent use; two saves of one application race, the last
// one kept.
type Store struct {
	recs     Records
	keys     *seal.Keys // nil: records in clear
	key      string
	deviceOf func(context.Context) (string, bool)
}

var _ actions.CredentialStore = (*Store)(nil)

// Stores returns the credential store of each device, kept in recs and
// sealed with keys (nil: in clear).
func Stores(recs Records, keys *seal.Keys) func(device string) *Store {
	return func(device string) *Store { return Keyed(recs, Key(device), keys) }
}

// Keyed returns the credential store of the device whose records are kept
// under key (Key of its id): what an import from the files named that way
// writes to.
func Keyed(recs Records, key string, keys *seal.Keys) *Store {
	return &Store{recs: recs, keys: keys, key: key}
}

// PerStep returns the credential store of whichever device the step
// running under ctx is for, as deviceOf (host.Device) tells: one store,
// and so one action registry, serves every device.
func PerStep(recs Records, deviceOf func(ctx context.Context) (string, bool), keys *seal.Keys) *Store {
	return &Store{recs: recs, keys: keys, deviceOf: deviceOf}
}

// Key is what a device's records are kept under: a hash of its id, as the
// files of a --data/devices directory are named.
func Key(device string) string {
	h := sha256.Sum256([]byte(device))
	return hex.EncodeToString(h[:16])
}

// keyOf returns whose records a call under ctx is about.
func (s *Store) keyOf(ctx context.Context) (string, error) {
	if s.deviceOf == nil {
		return s.key, nil
	}
	device, ok := s.deviceOf(ctx)
	if !ok {
		return "", ErrNoDevice
	}
	return Key(device), nil
}

// Credentials returns every saved entry, sorted by application. It returns
// an error wrapping ErrCorrupt for a record that does not decode, naming
// the application, never the record's content.
func (s *Store) Credentials(ctx context.Context) ([]actions.Credential, error) {
	key, err := s.keyOf(ctx)
	if err != nil {
		return nil, fmt.Errorf("read saved connections: %w", err)
	}
	recs, err := s.recs.DeviceRecords(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read saved connections: %w", err)
	}
	out := make([]actions.Credential, 0, len(recs))
	for name, data := range recs {
		if strings.HasPrefix(name, "#") {
			continue
		}
		plain, err := s.decode(key, name, data)
		var c actions.Credential
		if err == nil {
			err = json.Unmarshal(plain, &c)
		}
		if err != nil || c.App != name {
			return nil, fmt.Errorf("saved connection of %q: %w", name, ErrCorrupt)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b actions.Credential) int { return cmp.Compare(a.App, b.App) })
	return out, nil
}

// Save stores c as application c.App's entry, replacing any previous one.
// It fails when c has no App (or one starting with '#') or no access
// token.
func (s *Store) Save(ctx context.Context, c actions.Credential) error {
	if c.App == "" || strings.HasPrefix(c.App, "#") {
		return fmt.Errorf("save a connection: %q is not an application's name", c.App)
	}
	if c.AccessToken == "" {
		return fmt.Errorf("save the connection of %s: the entry has no access token", c.App)
	}
	key, err := s.keyOf(ctx)
	if err != nil {
		return fmt.Errorf("save the connection of %s: %w", c.App, err)
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save the connection of %s: %w", c.App, err)
	}
	data, err := s.encode(key, c.App, plain)
	if err != nil {
		return fmt.Errorf("save the connection of %s: %w", c.App, err)
	}
	if err := s.recs.PutDeviceRecord(ctx, key, c.App, data); err != nil {
		return fmt.Errorf("save the connection of %s: %w", c.App, err)
	}
	return nil
}

// DeviceKey returns the device's private key, saving the one create
// returns when there is none yet: two callers at once, on any instance
// sharing the store, get the same key.
func (s *Store) DeviceKey(ctx context.Context, create func() (string, error)) (string, error) {
	key, err := s.keyOf(ctx)
	if err != nil {
		return "", fmt.Errorf("the device key: %w", err)
	}
	recs, err := s.recs.DeviceRecords(ctx, key)
	if err != nil {
		return "", fmt.Errorf("the device key: %w", err)
	}
	data, ok := recs[keyRecord]
	if !ok {
		jwk, err := create()
		if err != nil {
			return "", fmt.Errorf("the device key: %w", err)
		}
		if data, err = s.encode(key, keyRecord, []byte(jwk)); err != nil {
			return "", fmt.Errorf("the device key: %w", err)
		}
		if data, err = s.recs.AddDeviceRecord(ctx, key, keyRecord, data); err != nil {
			return "", fmt.Errorf("the device key: %w", err)
		}
	}
	plain, err := s.decode(key, keyRecord, data)
	if err != nil {
		return "", fmt.Errorf("the device key: %w", ErrCorrupt)
	}
	return string(plain), nil
}

// encode turns a record's plain bytes into what the store keeps: sealed,
// bound to the device and the name, when the store has seal keys.
func (s *Store) encode(key, name string, plain []byte) ([]byte, error) {
	if s.keys == nil {
		return plain, nil
	}
	return s.keys.Seal(plain, sealedFor(key, name))
}

// decode reads a record back. A record in clear (written without seal
// keys: a connection saved as JSON, a key as a JWK) reads as it is.
func (s *Store) decode(key, name string, data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte("{")) {
		return data, nil
	}
	if s.keys == nil {
		return nil, fmt.Errorf("the record is sealed, and no seal key is given (%s)", seal.EnvVar)
	}
	return s.keys.Open(data, sealedFor(key, name))
}

// sealedFor is a record's additional data: a record copied to another
// device or name does not open.
func sealedFor(key, name string) []byte {
	return []byte("tether device record " + key + " " + name)
}
