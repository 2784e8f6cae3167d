package explore_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/explore"
)

// connectRegions is one country of every shipped region, the flow's
// defaults first: what tether validate flows proves.
var connectRegions = []string{"", "BE", "DE", "BR", "IN", "SG"}

// BenchmarkProveConnect proves connect's properties in all six regions:
// "sequential" one region after the other, "parallel" as tether validate
// does, one region per core. The goal is 2s on two cores (issue 25);
// configs/op is the configurations searched, summed over the regions.
func BenchmarkProveConnect(b *testing.B) {
	flows := make([]*engine.Flow, len(connectRegions))
	for i, c := range connectRegions {
		flows[i] = shippedConnect(b, c)
	}
	prove := func(fl *engine.Flow) int {
		pr, err := explore.Prove(context.Background(), fl, explore.ProveOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range pr.Verdicts {
			if v.Status != explore.Holds {
				b.Fatalf("%s: %s", v.Name, v.Status)
			}
		}
		return pr.Configs
	}
	b.Run("sequential", func(b *testing.B) {
		configs := 0
		for b.Loop() {
			configs = 0
			for _, fl := range flows {
				configs += prove(fl)
			}
		}
		b.ReportMetric(float64(configs), "configs/op")
	})
	b.Run("parallel", func(b *testing.B) {
		for b.Loop() {
			next := make(chan *engine.Flow)
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for fl := range next {
						prove(fl)
					}
				})
			}
			for _, fl := range flows {
				next <- fl
			}
			close(next)
			wg.Wait()
		}
	})
}
