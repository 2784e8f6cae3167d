package cli

import (
	"fmt"
	"io"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/seal"
	"github.com/tetherflow/tether/ui"
)

// What the commands run outside this package (Backends: package servecmd)
// use of it, so that they say and keep things as the others do.

// Exit codes a command returns with Exit.
const (
	ExitFail  = exitFail
	ExitUsage = exitUsage
)

// Exit makes Main exit with code, printing err first when it is not nil.
func Exit(code int, err error) error { return &exitError{code: code, err: err} }

// Usagef is a usage error: Main prints it, and the command's usage line,
// and exits 2.
func Usagef(format string, args ...any) error { return usagef(format, args...) }

// Path resolves a path given on the command line.
func (env *Env) Path(p string) string { return env.path(p) }

// PrintErrors writes errs sorted, one `file:line:col: message` each.
func PrintErrors(w io.Writer, errs yamlfile.ErrorList) { printErrors(w, errs) }

// LoadFlows loads the flows directory dir as serve does: every problem is
// printed, and makes the command fail. archive, when not nil, keeps the
// versions sessions run on across restarts (docs/flow-evolution.md).
func LoadFlows(env *Env, dir string, archive catalog.Archive) (*catalog.Catalog, error) {
	reg, err := flowRegistry()
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Archive: archive})
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--flows: %w", err)}
	}
	if err := cat.Err(); err != nil {
		printErrors(env.Stderr, listOf(dir, err))
		return nil, &exitError{code: exitFail}
	}
	return cat, nil
}

// Catalogs loads the locale catalogs of the flows directory cat was loaded
// from; problems are printed and make a usage error.
func Catalogs(env *Env, cat *catalog.Catalog) (*ui.Catalogs, error) { return catalogsFor(env, cat) }

// ReloadCatalogs loads them again, after cat reloaded its flows, whose
// texts are the source locale.
func ReloadCatalogs(cat *catalog.Catalog) (*ui.Catalogs, error) { return loadCatalogs(cat) }

// SealKeysFile is the key file, in the directory of what it seals, that
// SealKeys reads or makes.
const SealKeysFile = sealKeysFile

// SealKeys returns the keys that seal what tether keeps at rest in dir:
// those of TETHER_SEAL_KEYS, or of dir's SealKeysFile, made with one new
// key when there is none; made reports that.
func (env *Env) SealKeys(dir string) (keys *seal.Keys, made bool, err error) {
	return env.sealKeysMade(dir)
}

// CredentialStores returns how to open the credential stores of devices
// whose files are in dir, as tether run keeps them.
func (env *Env) CredentialStores(dir string) (func(device string) actions.CredentialStore, error) {
	return env.stores(dir)
}

// DemoKeys returns the demo portal's keys from the file at path, sealed
// with the keys of its directory, making them (from seed) and the file
// when there is none; with rotate, new ones are added and all but the
// KeptKeys newest retired.
func (env *Env) DemoKeys(path string, seed uint64, rotate bool) (*demoportal.Keys, error) {
	if rotate {
		return env.rotateDemoKeys(path, seed)
	}
	return env.demoKeysAt(path, seed)
}

// KeptKeys is how many signing and sealing keys a rotation keeps.
const KeptKeys = keptKeys
