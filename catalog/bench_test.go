package catalog_test

import (
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/catalog"
)

// BenchmarkLoad loads the shipped flows directory as tether replay does
// (the flow named on the command line, every flow and overlay checked) and
// takes one flow under a region: what every command pays before it runs.
func BenchmarkLoad(b *testing.B) {
	reg, err := actions.Registry(actions.Ports{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cat, err := catalog.Load("../flows", catalog.Options{Registry: reg, Files: []string{"../flows/connect.yaml"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cat.CompiledFile("../flows/connect.yaml", "DE"); err != nil {
			b.Fatal(err)
		}
	}
}
