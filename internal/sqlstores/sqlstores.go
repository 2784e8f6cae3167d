// Package sqlstores opens the stores tether serve and tether portal serve
// keep in SQLite or PostgreSQL, for package servecmd, which runs them.
//
// It is a package of its own so that cmd/tether, which links no SQLite or
// PostgreSQL driver, does not import it. It knows no command line.
package sqlstores

import (
	"context"
	"io"
	"strings"

	"github.com/tetherflow/tether/adapters/demoportal"
	portalsqlite "github.com/tetherflow/tether/adapters/demoportal/sqlite"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/host"
)

// SessionStore opens the session store a sqlite: or postgres:// URL names.
func SessionStore(ctx context.Context, url string) (host.ServerStore, error) {
	if strings.HasPrefix(url, "sqlite:") {
		return sqlite.Open(ctx, url)
	}
	return postgres.Open(ctx, url)
}

// PortalState opens the SQLite file the demo portal keeps its state in.
func PortalState(ctx context.Context, path string) (interface {
	demoportal.State
	io.Closer
}, error) {
	st, err := portalsqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return st, nil
}
