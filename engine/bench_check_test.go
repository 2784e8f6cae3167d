package engine_test

import (
	"fmt"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/internal/flowgen"
)

// BenchmarkCheck checks and compiles generated flows of 100 to 10,000
// states, chains and diamonds (engine/internal/flowgen), from files loaded
// beforehand: the work of `tether validate` after parsing. Checking is
// linear when chain-10000 takes about ten times chain-1000.
func BenchmarkCheck(b *testing.B) {
	reg := testRegistry(b, nil)
	for _, shape := range []struct {
		name string
		gen  func(int, string) []byte
	}{{"chain", flowgen.Chain}, {"diamond", flowgen.Diamond}} {
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s-%d", shape.name, n), func(b *testing.B) {
				file, err := engine.Load("gen.yaml", shape.gen(n, "svc.ping"))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := engine.Compile(file, reg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
