package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tetherflow/tether/adapters/demoportal"
)

// FixtureFile returns where a flows directory keeps the demo portal's
// fixture: demo/portal.yaml in it.
func FixtureFile(flowsDir string) string {
	return filepath.Join(flowsDir, "demo", "portal.yaml")
}

// ErrNoFixture is wrapped by LoadFixture's error for a fixture file that
// is not there.
var ErrNoFixture = errors.New("no demo portal fixture")

// LoadFixture reads and checks the demo portal's fixture at path, as
// demoportal.LoadFixture does: its problems are an yamlfile.ErrorList, each
// at its line and column. A file that is not there gives an error wrapping
// ErrNoFixture that names path.
func LoadFixture(path string) (demoportal.Fixture, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return demoportal.Fixture{}, fmt.Errorf("%w at %s", ErrNoFixture, path)
	}
	return demoportal.LoadFixture(path)
}
