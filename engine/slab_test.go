package engine

import "testing"

// Slices from a slab do not overlap: appending to one, or writing all of
// it, leaves the next one as it was.
func TestSlab(t *testing.T) {
	var a slab[int]
	x := a.make(3)
	y := a.make(2)
	for i := range x {
		x[i] = 7
	}
	x = append(x, 9)
	if y[0] != 0 || y[1] != 0 {
		t.Fatalf("y = %v after writing x, want zeros", y)
	}
	if cap(y) != 2 || len(a.make(20)) != 20 {
		t.Fatalf("cap(y) = %d, want 2", cap(y))
	}
	// A block runs out: the next slice comes from a new one.
	z := a.make(4)
	z[0] = 1
	if y[1] != 0 || x[3] != 9 {
		t.Fatalf("a new block wrote over an old slice")
	}
}
