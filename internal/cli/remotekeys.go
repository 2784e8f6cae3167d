package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/internal/atomicfile"
)

// serverDevicesName is the file, next to the credential store, where
// tether run --server keeps the keys of the devices it created on
// servers, sealed with the store's keys: a later run of the device
// presents its key (docs/api.md#device-keys).
const serverDevicesName = "server-devices.json"

// serverDevices is the file's content: device keys by server and device.
type serverDevices struct {
	Version int `json:"version"`
	// Keys maps "SERVER DEVICE" to the device's key.
	Keys map[string]string `json:"keys"`
}

// serverDevicesWhat binds the sealed file to its purpose.
const serverDevicesWhat = "server device keys"

// serverDeviceRef names a device of a server in the file.
func serverDeviceRef(server, device string) string {
	return strings.TrimRight(server, "/") + " " + device
}

// serverDevicesFile is the file of the credential store credentials.
func (env *Env) serverDevicesFile(credentials string) string {
	return filepath.Join(env.deviceDir(credentials), serverDevicesName)
}

// readServerDevices reads the file at path; none is an empty one.
func (env *Env) readServerDevices(path string) (serverDevices, error) {
	out := serverDevices{Version: 1, Keys: map[string]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	keys, err := env.sealKeys(filepath.Dir(path))
	if err != nil {
		return out, fmt.Errorf("seal keys: %w", err)
	}
	if data, err = openFile(keys, data, serverDevicesWhat); err != nil {
		return out, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Keys == nil {
		return serverDevices{Version: 1, Keys: map[string]string{}}, fmt.Errorf("%s: not a file of device keys", path)
	}
	return out, nil
}

// serverDeviceKey returns the key kept for device on server; "" for
// none.
func (env *Env) serverDeviceKey(path, server, device string) (string, error) {
	f, err := env.readServerDevices(path)
	return f.Keys[serverDeviceRef(server, device)], err
}

// keepServerDeviceKey keeps key as device's on server, in the file at
// path (mode 0600, sealed).
func (env *Env) keepServerDeviceKey(path, server, device, key string) error {
	f, err := env.readServerDevices(path)
	if err != nil {
		return err
	}
	f.Keys[serverDeviceRef(server, device)] = key
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	keys, err := env.sealKeys(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("seal keys: %w", err)
	}
	if data, err = sealFile(keys, data, serverDevicesWhat); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("keep the device's key: %w", err)
	}
	return nil
}
