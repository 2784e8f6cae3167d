package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	modernc "modernc.org/sqlite" // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/dbfile"
)

//go:embed migrations/*.sql
var migrations embed.FS

// readers is how many connections serve Load, Log, Response and Effects
// beside the one writer.
const readers = 4

// walCheckpoint is how many WAL frames (pages) the writer lets the WAL
// hold before it copies them into the database file, four times SQLite's
// default: a page a step rewrites (the session's row, the indexes' last
// pages) is copied once for more steps, and the checkpoint's syncs come
// less often. The WAL file grows to some 16 MB.
const walCheckpoint = 4000

// Store is a host.ServerStore in an SQLite database. It is safe for
// concurrent use, and several processes may open the same database.
type Store struct {
	// w is the one connection that writes. SQLite allows one writer at a
	// time anyway; queueing writers in Go rather than in SQLite's busy
	// handler (which sleeps and polls) keeps them in order and cheap.
	w *sql.DB
	// r are the readers: in WAL mode they read the last commit without
	// waiting for a writer.
	r     *sql.DB
	stmts saveStmts
	// groups writes the Saves, a group at a time, on the writer.
	groups *sqlstore.Groups
}

var _ host.ServerStore = (*Store)(nil)

// options are the settings a store URL can carry.
type options struct {
	path        string
	synchronous string
	busyTimeout time.Duration
}

// parseURL reads a store URL: sqlite:PATH or sqlite://PATH, then
// optionally ?synchronous=full|normal&busy_timeout=DURATION.
func parseURL(u string) (options, error) {
	o := options{synchronous: "FULL", busyTimeout: 5 * time.Second}
	rest, ok := strings.CutPrefix(u, "sqlite:")
	if !ok {
		return o, fmt.Errorf("store URL %q: not sqlite:PATH", u)
	}
	rest = strings.TrimPrefix(rest, "//")
	path, query, _ := strings.Cut(rest, "?")
	switch path {
	case "":
		return o, fmt.Errorf("store URL %q: no database file", u)
	case ":memory:":
		return o, fmt.Errorf("store URL %q: an in-memory database is one per connection; use the memory store", u)
	}
	o.path = path
	q, err := url.ParseQuery(query)
	if err != nil {
		return o, fmt.Errorf("store URL %q: %w", u, err)
	}
	for k, v := range q {
		switch k {
		case "synchronous":
			switch s := strings.ToUpper(v[len(v)-1]); s {
			case "FULL", "NORMAL":
				o.synchronous = s
			default:
				return o, fmt.Errorf("store URL %q: synchronous=%s: want full or normal", u, v[len(v)-1])
			}
		case "busy_timeout":
			d, err := time.ParseDuration(v[len(v)-1])
			if err != nil || d < 0 {
				return o, fmt.Errorf("store URL %q: busy_timeout=%s: want a duration such as 5s", u, v[len(v)-1])
			}
			o.busyTimeout = d
		default:
			return o, fmt.Errorf("store URL %q: unknown option %s (known: synchronous, busy_timeout)", u, k)
		}
	}
	return o, nil
}

// dsn is the driver's name for the database with o's settings. The path
// goes in a file: URI so that no character in it is taken for an option.
func (o options) dsn(write bool) string {
	path := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(o.path)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+o.synchronous+")")
	if write {
		// A write transaction takes the write lock when it begins, not at
		// its first write: a transaction that read first and then found
		// another process had written would fail instead of waiting.
		q.Set("_txlock", "immediate")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpoint))
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database a store URL names, sqlite:PATH (sqlite:tether.db,
// sqlite:///var/lib/tether/sessions.db), creating it if need be, and
// brings its schema up to date. The URL may carry options after a '?':
// synchronous=full (the default) or normal, busy_timeout (how long to
// wait for another process's write; 5s by default).
func Open(ctx context.Context, storeURL string) (*Store, error) {
	o, err := parseURL(storeURL)
	if err != nil {
		return nil, err
	}
	// Made for its owner alone before SQLite makes it 0644: SQLite gives
	// the -wal and -shm files the database file's mode.
	if err := dbfile.Private(o.path); err != nil {
		return nil, fmt.Errorf("open %s: %w", o.path, err)
	}
	// Several processes opening a new database at once race to turn on
	// WAL, and SQLite answers the losers SQLITE_BUSY at once, without its
	// busy handler: try again until the busy timeout, as a write would.
	deadline := time.Now().Add(o.busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		s, err := open(ctx, o)
		if err == nil || !busy(err) || time.Now().Add(wait).After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// busy says whether err is SQLite's SQLITE_BUSY, extended codes included.
func busy(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// open opens the database and brings its schema up to date, once.
func open(ctx context.Context, o options) (*Store, error) {
	w, err := sql.Open("sqlite", o.dsn(true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{w: w}
	// The writer connects first: it creates the file and turns on WAL,
	// which the query-only readers could not.
	if err := w.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", o.path, err), s.Close())
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := sqlstore.Migrate(ctx, w, goose.DialectSQLite3, fsys, nil); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", o.path, err), s.Close())
	}
	s.r, err = sql.Open("sqlite", o.dsn(false))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", o.path, err), s.Close())
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	if err := s.stmts.prepare(ctx, w, s.r); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", o.path, err), s.Close())
	}
	s.groups = sqlstore.NewGroups(s.writeGroup)
	return s, nil
}

// Close closes the database, once the group being written, if any, is.
func (s *Store) Close() error {
	if s.groups != nil {
		s.groups.Close()
	}
	var errs []error
	for _, db := range []*sql.DB{s.r, s.w} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}
