package memory_test

import (
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/host"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) host.ServerStore { return memory.New() })
}
