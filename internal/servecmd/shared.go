package servecmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
)

// sharedState is what the session store keeps for a server besides the
// sessions, so that an instance's --data holds nothing another needs.
type sharedState struct {
	// archive keeps the flow versions sessions run on; nil for the
	// memory store, whose sessions do not outlive the process.
	archive catalog.Archive
	// ownArchive is set when the archive is this server's alone (SQLite),
	// which it may prune; a PostgreSQL one is every instance's.
	ownArchive bool
	devices    devices.Records
	// keys seal the sessions' sensitive values, the devices' records
	// and the demo portal's keys (serveKeys).
	keys *seal.Keys
	// counter keeps the rate limits' counters where instances share the
	// store (PostgreSQL); nil keeps them in memory.
	counter httpapi.Counter
	// recent is how many sessions' last records the host keeps, so that
	// a session's next step reads nothing from a database (none for the
	// memory store, where a read costs nothing).
	recent int
}

// recentSessions is how many sessions' records a server on a database
// keeps: about a megabyte.
const recentSessions = 4096

// sharedState finds what store keeps, and moves into it what an older
// tether serve kept in data: the devices' saved connections and the
// archived flow versions.
func (o *serveOptions) sharedState(ctx context.Context, env *cli.Env, log *slog.Logger, store host.ServerStore, data string) (*sharedState, error) {
	st := &sharedState{}
	recs, ok := store.(devices.Records)
	if !ok {
		return nil, fmt.Errorf("the session store %T keeps no device records", store)
	}
	st.devices = recs
	fleet := o.fleet()
	keys, err := o.serveKeys(env, log, data)
	if err != nil {
		return nil, fmt.Errorf("seal keys: %w", err)
	}
	st.keys = keys
	if a, ok := store.(interface{ Archive() catalog.Archive }); ok {
		st.archive, st.ownArchive = a.Archive(), !fleet
	}
	if c, ok := store.(httpapi.Counter); ok {
		st.counter = c
	}
	if _, ok := store.(*memory.Store); !ok {
		st.recent = recentSessions
	}
	if n, err := importDevices(ctx, env, filepath.Join(data, "devices"), recs, keys); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("moved the devices' saved connections into the store", "devices", n, "from", filepath.Join(data, "devices"))
	}
	if st.archive != nil {
		if n, err := importVersions(ctx, filepath.Join(data, "versions"), st.archive); err != nil {
			return nil, err
		} else if n > 0 {
			log.Info("moved the archived flow versions into the store", "versions", n, "from", filepath.Join(data, "versions"))
		}
	}
	if fleet && o.Portal == "" {
		log.Warn("the embedded demo portal keeps its state in --data, which instances do not share: a sign-in begun on one is unknown to another; give them a portal of their own with --portal URL")
	}
	return st, nil
}

// serveKeys returns the keys that seal what the server keeps: the
// sessions' sensitive values, the devices' records, the demo portal's
// keys. They are those of --seal-key-file, or of TETHER_SEAL_KEYS, or of
// --data's key file, which a server of one instance makes at its first
// start (mode 0600) and says so. The last key of a file seals; every key
// opens.
func (o *serveOptions) serveKeys(env *cli.Env, log *slog.Logger, data string) (*seal.Keys, error) {
	var (
		keys *seal.Keys
		from string
		made bool
		err  error
	)
	switch {
	case o.SealKeyFile != "":
		from = o.SealKeyFile
		keys, err = seal.ReadKeyFile(env.Path(o.SealKeyFile))
	case getenv(env, seal.EnvVar) != "":
		from = "$" + seal.EnvVar
		keys, _, err = env.SealKeys(data)
	default:
		from = filepath.Join(data, cli.SealKeysFile)
		keys, made, err = env.SealKeys(data)
	}
	if err != nil {
		return nil, err
	}
	if made {
		log.Warn("made a seal key: it seals the tickets and tokens this server keeps in its store; back it up apart from the store, or they are lost with it (a fleet is given its keys: --seal-key-file or "+seal.EnvVar+")", "file", from)
	}
	log.Info("seal keys", "from", from, "sealing", keys.SealingKeyID())
	return keys, nil
}

// fleet reports whether the store is one that instances share.
func (o *serveOptions) fleet() bool {
	return strings.HasPrefix(o.Store, "postgres://") || strings.HasPrefix(o.Store, "postgresql://")
}

// importVersions moves the flow versions an older tether serve archived in
// dir into archive, then renames dir DIR.imported. It returns how many it
// moved.
func importVersions(ctx context.Context, dir string, archive catalog.Archive) (int, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	old, err := catalog.NewDirArchive(dir)
	if err != nil {
		return 0, err
	}
	hashes, err := old.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("import archived versions: %w", err)
	}
	for _, h := range hashes {
		b, err := old.Get(ctx, h)
		if err == nil {
			err = archive.Put(ctx, b)
		}
		if err != nil {
			return 0, fmt.Errorf("import archived versions: %w", err)
		}
	}
	if err := os.Rename(dir, dir+".imported"); err != nil {
		return 0, fmt.Errorf("import archived versions: %w", err)
	}
	return len(hashes), nil
}

// relativeErrors is reload with the problems of a refused set named
// relative to the flows directory dir: an API response names no path of
// the server's.
func relativeErrors(reload func(context.Context) (*catalog.Changes, error), dir string) func(context.Context) (*catalog.Changes, error) {
	prefix := strings.TrimSuffix(dir, string(filepath.Separator)) + string(filepath.Separator)
	return func(ctx context.Context) (*catalog.Changes, error) {
		ch, err := reload(ctx)
		if ch != nil {
			for i, e := range ch.Errors {
				ch.Errors[i] = strings.ReplaceAll(e, prefix, "")
			}
		}
		return ch, err
	}
}
