package devices_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/seal"
)

// The first session of a device is given its key; every later one must
// present it: none, a wrong one, another device's, or the key with a
// byte changed is refused, on any Access over the same records (another
// instance). The records hold not the key, only its hash.
func TestAccess(t *testing.T) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			recs := memory.New()
			var k *seal.Keys
			if sealed {
				k = keys(t, "k1")
			}
			a, b := devices.NewAccess(recs, k, rand.Reader), devices.NewAccess(recs, k, rand.Reader)
			first, err := a.Open(ctx, "laptop-7f3a", "")
			if err != nil || len(first.Key) < 22 || first.Adopted {
				t.Fatalf("Open(a new device) = %+v, %v; want a key of 128 bits or more, not adopted", first, err)
			}
			other, err := a.Open(ctx, "phone-1", "")
			if err != nil || other.Key == "" || other.Key == first.Key {
				t.Fatalf("Open(another new device) = %+v, %v; want a key of its own", other, err)
			}
			changed := []byte(first.Key)
			changed[3] ^= 1
			for name, key := range map[string]string{"none": "", "wrong": "not-the-key", "another device's": other.Key, "changed": string(changed)} {
				if c, err := b.Open(ctx, "laptop-7f3a", key); !errors.Is(err, host.ErrDeviceKey) || c.Key != "" {
					t.Errorf("Open(%s key) = %+v, %v; want ErrDeviceKey and no key", name, c, err)
				}
			}
			if c, err := b.Open(ctx, "laptop-7f3a", first.Key); err != nil || c.Key != "" {
				t.Errorf("Open(the key) = %+v, %v; want admitted, no new key", c, err)
			}
			m, err := recs.DeviceRecords(ctx, devices.Key("laptop-7f3a"))
			if err != nil || len(m) != 1 {
				t.Fatalf("records = %q, %v; want the access record only", m, err)
			}
			raw, err := base64.RawURLEncoding.DecodeString(first.Key)
			if err != nil {
				t.Fatal(err)
			}
			for _, data := range m {
				if bytes.Contains(data, []byte(first.Key)) || bytes.Contains(data, raw) {
					t.Errorf("the record holds the key in clear: %q", data)
				}
				// Every new device holds one: it is kept small.
				if len(data) != 33 {
					t.Errorf("the record has %d bytes, want 33 (a version and a SHA-256)", len(data))
				}
			}
			if m, _ := recs.DeviceRecords(ctx, "laptop-7f3a"); len(m) != 0 {
				t.Errorf("records are kept under the device's id, not its hash: %q", m)
			}
		})
	}
}

// Many first sessions of a device at once: one is given the key, the
// others (presenting none) are refused.
func TestAccessRace(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		keys    []string
		refused int
	)
	for range 16 {
		wg.Go(func() {
			c, err := devices.NewAccess(recs, nil, rand.Reader).Open(ctx, "d", "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, host.ErrDeviceKey):
				refused++
			case err != nil:
				t.Errorf("Open = %v", err)
			default:
				keys = append(keys, c.Key)
			}
		})
	}
	wg.Wait()
	if len(keys) != 1 || refused != 15 {
		t.Errorf("%d sessions given a key (%d refused), want 1 (15)", len(keys), refused)
	}
}

// A device saved before devices had keys (a saved connection, its DPoP
// key) is adopted by its next session, which is given a key; the one
// after must present it.
func TestAccessAdopts(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	if err := devices.Stores(recs, nil)("old").Save(ctx, connection("tether", "tok", time.Now())); err != nil {
		t.Fatal(err)
	}
	a := devices.NewAccess(recs, nil, rand.Reader)
	c, err := a.Open(ctx, "old", "")
	if err != nil || c.Key == "" || !c.Adopted {
		t.Fatalf("Open(a device without a key) = %+v, %v; want a key, adopted", c, err)
	}
	if _, err := a.Open(ctx, "old", ""); !errors.Is(err, host.ErrDeviceKey) {
		t.Errorf("Open after the adoption, without the key = %v, want ErrDeviceKey", err)
	}
	if got, err := devices.Stores(recs, nil)("old").Credentials(ctx); err != nil || len(got) != 1 {
		t.Errorf("Credentials after the adoption = %v, %v; want the saved connection, not the access record", got, err)
	}
}

// Release withdraws a key the device still has, so that the next session
// claims the device again; a key that is not the device's any more
// releases nothing.
func TestAccessRelease(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	a := devices.NewAccess(recs, keys(t, "k1"), rand.Reader)
	c, err := a.Open(ctx, "d", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, "d", "not-its-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(ctx, "d", c.Key); err != nil {
		t.Fatalf("the key after releasing another = %v, want still the device's", err)
	}
	if err := a.Release(ctx, "d", c.Key); err != nil {
		t.Fatal(err)
	}
	again, err := a.Open(ctx, "d", "")
	if err != nil || again.Key == "" || again.Key == c.Key {
		t.Fatalf("Open after the release = %+v, %v; want a new key", again, err)
	}
	if _, err := a.Open(ctx, "d", c.Key); !errors.Is(err, host.ErrDeviceKey) {
		t.Errorf("the released key = %v, want ErrDeviceKey", err)
	}
}

// Access records written before they were 33 bytes, as JSON in clear or
// sealed, still open with their key and with no other.
func TestAccessOlderRecords(t *testing.T) {
	ctx := context.Background()
	const key = "f3JYvh0bOq1tVKvPR9hWmlP5oQgxZ2cJ0hKqf5zMtvI"
	sum := sha256.Sum256([]byte(key))
	plain := []byte(`{"sha256":"` + hex.EncodeToString(sum[:]) + `"}`)
	k := keys(t, "k1")
	sealed, err := k.Seal(plain, []byte("tether device record "+devices.Key("d")+" #access"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"in clear": plain, "sealed": sealed} {
		t.Run(name, func(t *testing.T) {
			recs := memory.New()
			if err := recs.PutDeviceRecord(ctx, devices.Key("d"), "#access", data); err != nil {
				t.Fatal(err)
			}
			a := devices.NewAccess(recs, k, rand.Reader)
			if c, err := a.Open(ctx, "d", key); err != nil || c.Key != "" {
				t.Errorf("Open(the key) = %+v, %v; want admitted, no new key", c, err)
			}
			if _, err := a.Open(ctx, "d", key[:len(key)-1]+"J"); !errors.Is(err, host.ErrDeviceKey) {
				t.Errorf("Open(another key) = %v, want ErrDeviceKey", err)
			}
			if err := a.Release(ctx, "d", key); err != nil {
				t.Fatal(err)
			}
			if m, _ := recs.DeviceRecords(ctx, devices.Key("d")); len(m) != 0 {
				t.Errorf("records after Release = %q, want none", m)
			}
		})
	}
}

// An access record that does not open (sealed under another key, bytes
// changed or cut) is corrupt, never taken for a wrong key nor for a
// device without one; the error does not show the key.
func TestAccessCorrupt(t *testing.T) {
	ctx := context.Background()
	recs := memory.New()
	c, err := devices.NewAccess(recs, keys(t, "k1"), rand.Reader).Open(ctx, "d", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := recs.DeviceRecords(ctx, devices.Key("d"))
	if err != nil {
		t.Fatal(err)
	}
	good := m["#access"]
	sum := sha256.Sum256([]byte(c.Key))
	sealed, err := keys(t, "k2").Seal([]byte(`{"sha256":"`+hex.EncodeToString(sum[:])+`"}`),
		[]byte("tether device record "+devices.Key("d")+" #access"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"cut":             good[:32],
		"a byte more":     append(slices.Clone(good), 0),
		"another version": append([]byte{3}, good[1:]...),
		"sealed under k2": sealed,
		"not a SHA-256":   []byte(`{"sha256":"00"}`),
		"not hex":         []byte(`{"sha256":"` + strings.Repeat("zz", 32) + `"}`),
		"not JSON":        []byte(`{"sha256`),
	} {
		if err := recs.PutDeviceRecord(ctx, devices.Key("d"), "#access", data); err != nil {
			t.Fatal(err)
		}
		_, err = devices.NewAccess(recs, keys(t, "k1"), rand.Reader).Open(ctx, "d", c.Key)
		if !errors.Is(err, devices.ErrCorrupt) || strings.Contains(err.Error(), c.Key) {
			t.Errorf("Open of a record %s = %v, want ErrCorrupt, without the key", name, err)
		}
	}
}
