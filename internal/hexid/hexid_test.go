package hexid

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

const lower = "0123456789abcdef0123456789abcdef"

// Only 32 lowercase hex digits are kept as bytes: the same digits in
// upper or mixed case, one digit fewer or more, or a letter past f are
// ids of their own, kept by name, each giving back its own string.
func TestMapKeys(t *testing.T) {
	ids := []struct {
		id    string
		asHex bool
	}{
		{lower, true},
		{"ffffffffffffffffffffffffffffffff", true},
		{"00000000000000000000000000000000", true},
		{strings.ToUpper(lower), false},
		{"0123456789ABCDEF0123456789abcdef", false},
		{lower[:31], false},
		{lower + "0", false},
		{"0123456789abcdeg0123456789abcdef", false},
		{"0123456789abcdef0123456789abcde/", false},
		{"session", false},
		{"", false},
	}
	var m Map[int]
	for i, c := range ids {
		if _, ok := m.Get(c.id); ok {
			t.Fatalf("Get(%q) before Set found a value", c.id)
		}
		m.Set(c.id, i)
		if _, ok := parse(c.id); ok != c.asHex {
			t.Errorf("parse(%q) ok = %v, want %v", c.id, ok, c.asHex)
		}
	}
	if m.Len() != len(ids) || len(m.hex) != 3 || len(m.named) != len(ids)-3 {
		t.Errorf("Len() = %d, %d by bytes, %d by name; want %d, 3, %d", m.Len(), len(m.hex), len(m.named), len(ids), len(ids)-3)
	}
	for i, c := range ids {
		if v, ok := m.Get(c.id); !ok || v != i {
			t.Errorf("Get(%q) = %d, %v; want %d, true", c.id, v, ok, i)
		}
	}
	got := map[string]int{}
	for k, v := range m.All() {
		got[k.String()] = v
	}
	want := map[string]int{}
	for i, c := range ids {
		want[c.id] = i
	}
	if !maps.Equal(got, want) {
		t.Errorf("All() = %v, want %v", got, want)
	}
	for _, c := range ids {
		m.Delete(c.id)
		if _, ok := m.Get(c.id); ok {
			t.Errorf("Get(%q) after Delete found a value", c.id)
		}
	}
	if m.Len() != 0 {
		t.Errorf("Len() = %d after every id was deleted, want 0", m.Len())
	}
}

// Setting an id again replaces its value; deleting an id the map does
// not hold changes nothing.
func TestMapSetDelete(t *testing.T) {
	var m Map[string]
	m.Delete(lower) // on the zero value
	m.Set(lower, "a")
	m.Set(lower, "b")
	m.Set("s1", "c")
	m.Delete(strings.ToUpper(lower))
	m.Delete("s2")
	if v, _ := m.Get(lower); v != "b" || m.Len() != 2 {
		t.Errorf("Get(lower) = %q with %d ids, want b with 2", v, m.Len())
	}
}

// All stops when its caller does.
func TestMapAllStops(t *testing.T) {
	var m Map[bool]
	for _, id := range []string{lower, strings.ToUpper(lower), "a", "b"} {
		m.Set(id, true)
	}
	var seen []string
	for k := range m.All() {
		seen = append(seen, k.String())
		if len(seen) == 2 {
			break
		}
	}
	if len(seen) != 2 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 2 {
		t.Errorf("All() yielded %q before its caller stopped, want 2 ids", seen)
	}
}
