// Package hexid keeps maps by id small when the ids are what Tether
// makes for sessions and devices, 32 lowercase hex digits: such an id is
// a key of 16 bytes, not a string of 32 and its header. It knows nothing
// of sessions or devices.
package hexid

import (
	"encoding/hex"
	"iter"
)

// Map is a map by id. An id of 32 lowercase hex digits is kept as its
// 16 bytes, any other (upper case, shorter, not hex) as a string, so
// that every id is its own key and gives back the very string it was.
// The zero value is an empty map, ready to use. A Map is not safe for
// concurrent use.
type Map[V any] struct {
	hex   map[[16]byte]V
	named map[string]V
}

// parse returns the 16 bytes id stands for when it is 32 lowercase hex
// digits; ok is false for any other id.
func parse(id string) (k [16]byte, ok bool) {
	if len(id) != 2*len(k) {
		return k, false
	}
	for i := range k {
		hi, ok1 := nibble(id[2*i])
		lo, ok2 := nibble(id[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

// nibble is the value of the lowercase hex digit c.
func nibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Get returns the value kept for id, and whether there is one.
func (m *Map[V]) Get(id string) (V, bool) {
	var v V
	var ok bool
	if k, isHex := parse(id); isHex {
		v, ok = m.hex[k]
	} else {
		v, ok = m.named[id]
	}
	return v, ok
}

// Set keeps v for id.
func (m *Map[V]) Set(id string, v V) {
	if k, ok := parse(id); ok {
		if m.hex == nil {
			m.hex = map[[16]byte]V{}
		}
		m.hex[k] = v
		return
	}
	if m.named == nil {
		m.named = map[string]V{}
	}
	m.named[id] = v
}

// Delete forgets id; an id the map does not hold is no error.
func (m *Map[V]) Delete(id string) {
	if k, ok := parse(id); ok {
		delete(m.hex, k)
	} else {
		delete(m.named, id)
	}
}

// Len returns how many ids the map holds.
func (m *Map[V]) Len() int { return len(m.hex) + len(m.named) }

// All yields every id the map holds, as a Key, with its value, in no
// particular order. The map must not change while All runs.
func (m *Map[V]) All() iter.Seq2[Key, V] {
	return func(yield func(Key, V) bool) {
		for k, v := range m.hex {
			if !yield(Key{hex: k, isHex: true}, v) {
				return
			}
		}
		for id, v := range m.named {
			if !yield(Key{named: id}, v) {
				return
			}
		}
	}
}

// Key is an id as a Map holds it. Its String is made only when asked
// for, so that a walk over many keys makes no string for each.
type Key struct {
	hex   [16]byte
	named string
	isHex bool
}

// String returns the id.
func (k Key) String() string {
	if k.isHex {
		return hex.EncodeToString(k.hex[:])
	}
	return k.named
}
