// Package apicount is what TestExportedAPIIsSmall's count is checked on:
// go doc -all shows 5 lines starting "func " or "type " for it.
package apicount

// Counted: a type, its constructor and its two exported methods.
type T struct{ n int }

func NewT() *T             { return &T{} }
func (t *T) Get() int      { return t.n }
func (t T) String() string { return "" }
func (t *T) set(n int)     { t.n = n }
func Free()                {}
func helper()              {}

type hidden struct{}

func (hidden) Exported() {}

// Not counted: constants and variables.
const C = 1

var V = 2
