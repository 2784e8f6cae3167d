package engine

// slab hands out small slices of T cut from shared blocks: a session makes
// a few such slices at most steps and its log keeps them all, so one block
// allocation stands for several. Each slice is capped at its length, so an
// append to it copies instead of writing over its neighbour.
type slab[T any] struct {
	free []T
}

// slabBlock is how many elements a block holds.
const slabBlock = 8

// make returns a slice of n zero elements.
func (a *slab[T]) make(n int) []T {
	if n > slabBlock {
		return make([]T, n)
	}
	if len(a.free) < n {
		a.free = make([]T, slabBlock)
	}
	out := a.free[:n:n]
	a.free = a.free[n:]
	return out
}
