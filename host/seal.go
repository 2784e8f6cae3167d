package host

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/internal/seal"
)

// Sealer seals the sensitive values of the records a host saves, and
// opens them again: *seal.Keys, with the keys given outside the store.
// Open returns an error wrapping seal.ErrUnknownKey for a value sealed
// under a key it does not hold, and seal.ErrOpen for one altered or
// moved; neither quotes the value.
type Sealer interface {
	Seal(plaintext, additional []byte) ([]byte, error)
	Open(sealed, additional []byte) ([]byte, error)
}

var _ Sealer = (*seal.Keys)(nil)

// ephemeralKeyID names the key a host without Config.Seal makes for
// itself: a record it sealed, read by another process, says so.
const ephemeralKeyID = "ephemeral"

// ephemeralSealer returns the keys of hosts without Config.Seal: one key
// made at random once per process, so that the hosts of a process (a
// host restarted in a test, say) open each other's records, and that
// dies with it: enough for a store that dies with the process. It is
// set once and never changes.
var ephemeralSealer = sync.OnceValues(func() (Sealer, error) {
	secret := make([]byte, seal.KeySize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	return seal.New(ephemeralKeyID, secret)
})

// sealAD binds a sealed value to its place: the session, the flow and
// the variable. A sealed value copied to another session or variable
// does not open.
func sealAD(id, flow, name string) []byte {
	ad := make([]byte, 0, len("tether session")+len(id)+len(flow)+len(name)+3)
	ad = append(ad, "tether session"...)
	ad = append(ad, 0)
	ad = append(ad, id...)
	ad = append(ad, 0)
	ad = append(ad, flow...)
	ad = append(ad, 0)
	return append(ad, name...)
}

// vars writes frame f's variables of session id: as mapValue does, but
// each variable f names sensitive sealed with sealer.
func (w *writer) vars(f *engine.FrameSnapshot, id string, sealer Sealer) error {
	if len(f.Sensitive) == 0 || f.Vars == nil {
		return w.mapValue(f.Vars, 0)
	}
	if sealer == nil {
		return fmt.Errorf("%d sensitive variables and no seal keys", len(f.Sensitive))
	}
	w.b = append(w.b, tagMap)
	w.uvarint(uint64(len(f.Vars)))
	keys := make([]string, 0, len(f.Vars))
	for k := range f.Vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var inner writer
	for _, k := range keys {
		w.str(k)
		if _, sensitive := slices.BinarySearch(f.Sensitive, k); !sensitive {
			if err := w.value(f.Vars[k], 1); err != nil {
				return err
			}
			continue
		}
		inner.b = inner.b[:0]
		if err := inner.value(f.Vars[k], 1); err != nil {
			return fmt.Errorf("variable %s: %w", k, err)
		}
		sealed, err := sealer.Seal(inner.b, sealAD(id, f.Flow, k))
		if err != nil {
			return fmt.Errorf("variable %s: %w", k, err)
		}
		w.b = append(w.b, tagSealed)
		w.bytes(sealed)
	}
	return nil
}

// vars reads a frame's variables, as mapValue does, opening the sealed
// ones; it returns the names of those, sorted, as the frame's Sensitive.
func (r *reader) vars(flow string) (map[string]any, []string) {
	if len(r.b) == 0 || r.b[0] != tagMap {
		return r.mapValue(), nil
	}
	r.byte()
	n := r.count()
	m := make(map[string]any, n)
	var sensitive []string
	for range n {
		k := r.str()
		if len(r.b) == 0 || r.b[0] != tagSealed {
			m[k] = r.value(1)
			continue
		}
		r.byte()
		m[k] = r.open(flow, k, r.bytes())
		sensitive = append(sensitive, k)
	}
	return m, sensitive
}

// open opens the sealed value of variable name of flow.
func (r *reader) open(flow, name string, sealed []byte) any {
	if r.err != nil {
		return nil
	}
	if r.sealer == nil {
		r.err, r.b = fmt.Errorf("variable %s of flow %s is sealed, and no seal keys were given", name, flow), nil
		return nil
	}
	plain, err := r.sealer.Open(sealed, sealAD(r.id, flow, name))
	if err != nil {
		r.err, r.b = fmt.Errorf("variable %s of flow %s: %w", name, flow, err), nil
		return nil
	}
	in := &reader{b: plain}
	v := in.value(1)
	if in.err == nil && len(in.b) != 0 {
		in.err = fmt.Errorf("%d bytes past the end", len(in.b))
	}
	if in.err != nil {
		r.err, r.b = fmt.Errorf("variable %s of flow %s: sealed value: %w", name, flow, in.err), nil
		return nil
	}
	return v
}
