package host_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/host"
)

// deviceHost is a host over fx's catalog and actions whose sessions are
// saved in store and whose device keys are kept in fx's store.
func deviceHost(t *testing.T, fx *fixture, store host.Store) *host.Host {
	t.Helper()
	h, err := host.New(host.Config{Catalog: fx.cat, Store: store, Actions: fx.actions, Now: fx.clock.Now, Secrets: true,
		DeviceKeys: devices.NewAccess(fx.store, nil, rand.Reader)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The first session of a device is given its key, in its view only; a
// later session without it, or with a wrong one, is refused before its
// device is bound to any action, and nothing is saved.
func TestStartDeviceKey(t *testing.T) {
	fx := newFixture(t, "")
	h := deviceHost(t, fx, fx.store)
	v, err := h.Start(ctx, host.StartRequest{Flow: "sign", Device: "laptop"})
	if err != nil || v.DeviceKey == "" || v.DeviceAdopted {
		t.Fatalf("Start(a new device) = %+v, %v; want its key", v, err)
	}
	if data, _ := json.Marshal(v); strings.Contains(string(data), v.DeviceKey) {
		t.Errorf("the view's JSON holds the device key: %s", data)
	}
	if got, err := h.Get(ctx, v.ID); err != nil || got.DeviceKey != "" {
		t.Errorf("Get = %+v, %v; want no device key", got, err)
	}
	fx.devices.Clear()
	for name, key := range map[string]string{"no": "", "a wrong": "guess", "the session secret as": v.Secret} {
		w, err := h.Start(ctx, host.StartRequest{Flow: "sign", Device: "laptop", DeviceKey: key})
		if !errors.Is(err, host.ErrDeviceKey) || w != nil {
			t.Errorf("Start with %s key = %+v, %v; want ErrDeviceKey", name, w, err)
		}
	}
	if _, ok := fx.devices.Load("laptop"); ok {
		t.Error("a refused session had the actions bound to its device")
	}
	second, err := deviceHost(t, fx, fx.store).Start(ctx, host.StartRequest{Flow: "sign", Device: "laptop", DeviceKey: v.DeviceKey})
	if err != nil || second.DeviceKey != "" || second.Device != "laptop" {
		t.Errorf("Start with the key on another host = %+v, %v; want admitted, no new key", second, err)
	}
}

// failingStore saves nothing.
type failingStore struct{ host.Store }

func (failingStore) Save(context.Context, *host.Commit) error { return errors.New("disk full") }

// A session that claims a new device and then fails to start leaves the
// device unclaimed: its key was told to no one.
func TestStartDeviceKeyReleased(t *testing.T) {
	fx := newFixture(t, "")
	if _, err := deviceHost(t, fx, failingStore{fx.store}).Start(ctx, host.StartRequest{Flow: "sign", Device: "laptop"}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Start on a store that saves nothing = %v, want its error", err)
	}
	v, err := deviceHost(t, fx, fx.store).Start(ctx, host.StartRequest{Flow: "sign", Device: "laptop"})
	if err != nil || v.DeviceKey == "" {
		t.Errorf("Start after the failed one = %+v, %v; want the device claimed, its key given", v, err)
	}
}
