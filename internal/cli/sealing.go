package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/internal/seal"
)

// sealKeysFile is the key file, in the directory of what it seals, that
// seals the secrets tether keeps at rest there unless TETHER_SEAL_KEYS
// gives the keys.
const sealKeysFile = "seal.keys"

// sealKeys returns the keys that seal what tether keeps at rest in dir
// (device credentials, the demo portal's keys): those TETHER_SEAL_KEYS
// holds, or those of the key file seal.keys in dir, made with one new
// key (mode 0600) when there is none.
func (env *Env) sealKeys(dir string) (*seal.Keys, error) {
	keys, _, err := env.sealKeysMade(dir)
	return keys, err
}

// sealKeysMade is sealKeys, and reports whether it made the key file.
func (env *Env) sealKeysMade(dir string) (*seal.Keys, bool, error) {
	if text := env.getenv(seal.EnvVar); text != "" {
		keys, err := seal.ParseKeys("$"+seal.EnvVar, []byte(text))
		return keys, false, err
	}
	path := filepath.Join(dir, sealKeysFile)
	keys, err := seal.ReadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return keys, false, err
	}
	line, err := seal.GenerateLine("k1", rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		keys, err := seal.ReadKeyFile(path) // made meanwhile by another process
		return keys, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("make the seal key file: %w", err)
	}
	_, werr := f.WriteString("# The key that seals the secrets tether keeps in this directory. Keep it apart from backups of them.\n" + line)
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return nil, false, fmt.Errorf("make the seal key file: %w", werr)
	}
	keys, err = seal.ReadKeyFile(path)
	return keys, true, err
}

// getenv reads the environment the command runs in.
func (env *Env) getenv(name string) string {
	if env.Getenv == nil {
		return ""
	}
	return env.Getenv(name)
}

// deviceStore is a device's credential store as the commands use it: a
// file (credstore.Store) or the OS keyring (credstore.Keyring).
type deviceStore interface {
	actions.CredentialStore
	Load(ctx context.Context, app string) (actions.Credential, bool, error)
	Status(ctx context.Context, app string) (credstore.Status, bool, error)
	Delete(ctx context.Context, app string) (bool, error)
}

// keyringPrefix names the OS keyring as the credential store:
// --credentials keyring: (profile "default") or keyring:PROFILE.
const keyringPrefix = "keyring:"

// deviceDir is the directory of what goes with a device's store: its
// seal key file, the embedded demo portal's keys. A keyring device's is
// .tether.
func (env *Env) deviceDir(device string) string {
	if strings.HasPrefix(device, keyringPrefix) {
		return env.path(".tether")
	}
	return filepath.Dir(device)
}

// stores returns how to open the credential stores of devices whose
// files are in dir, their secrets sealed with dir's keys; a device named
// keyring:PROFILE is the OS keyring's store.
func (env *Env) stores(dir string) (func(device string) actions.CredentialStore, error) {
	open, err := env.fileStores(dir)
	if err != nil {
		return nil, err
	}
	return func(device string) actions.CredentialStore { return open(device) }, nil
}

// fileStores is stores, with the stores' own type.
func (env *Env) fileStores(dir string) (func(device string) deviceStore, error) {
	keys, err := env.sealKeys(dir)
	if err != nil {
		return nil, fmt.Errorf("seal keys: %w", err)
	}
	return func(device string) deviceStore {
		if profile, ok := strings.CutPrefix(device, keyringPrefix); ok {
			return credstore.NewKeyring(profile)
		}
		return credstore.New(device, credstore.WithSeal(keys))
	}, nil
}

// store returns the device credential store device names: the file at
// that path, or the OS keyring for keyring:PROFILE.
func (env *Env) store(device string) (deviceStore, error) {
	open, err := env.fileStores(env.deviceDir(device))
	if err != nil {
		return nil, err
	}
	return open(device), nil
}

// sealedPrefix marks a file sealed whole.
const sealedPrefix = "sealed:"

// sealFile returns data sealed with keys, bound to what.
func sealFile(keys *seal.Keys, data []byte, what string) ([]byte, error) {
	s, err := keys.SealString(data, []byte("tether "+what))
	if err != nil {
		return nil, err
	}
	return []byte(sealedPrefix + s + "\n"), nil
}

// openFile opens data sealFile made; data in clear is returned as it is.
func openFile(keys *seal.Keys, data []byte, what string) ([]byte, error) {
	s, ok := strings.CutPrefix(strings.TrimSpace(string(data)), sealedPrefix)
	if !ok {
		return data, nil
	}
	plain, err := keys.OpenString(s, []byte("tether "+what))
	if err != nil {
		return nil, fmt.Errorf("it does not open with the seal keys (%s or %s): %w", seal.EnvVar, sealKeysFile, err)
	}
	return plain, nil
}
