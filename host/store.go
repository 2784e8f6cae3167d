package host

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Store.Load for a session the store does not
// hold (never created, or reaped).
var ErrNotFound = errors.New("no such session")

// ErrConflict is returned by Store.Save when the stored session is no
// longer at the version the save started from: another step was saved
// first. Nothing is written.
var ErrConflict = errors.New("the session was changed by another step")

// Record is a session as a store keeps it: the fields a store queries on,
// and the session itself as opaque bytes (the snapshot in engine's codec,
// with the host's own metadata), which stores never interpret. Stores keep
// its times to the nanosecond (a zero time stays zero) but not their
// location: a loaded time is equal to the saved one (time.Time.Equal), in
// UTC.
type Record struct {
	ID string
	// Version is the session's sequence number: the Seq of its last log
	// entry. Every saved step increases it.
	Version int
	// Flow and Region name the flow and the region the session runs, Hash
	// the compiled version it started on.
	Flow, Region, Hash string
	// Done is set once the session has ended (an outcome, an error, a
	// cancellation); a done session has no timers.
	Done bool
	// Due is when the session's next timer fires; zero when none is armed.
	Due time.Time
	// Expires is when the session is abandoned for inactivity; zero never.
	Expires time.Time
	// Updated is when the record was last saved, on the host's clock.
	Updated time.Time
	// Data is the session: engine's snapshot and the host's metadata.
	Data []byte
}

// LogEntry is one event log entry as a store keeps it: its sequence
// number and its encoding (engine's codec, JSON).
type LogEntry struct {
	Seq  int
	Data []byte
}

// Effect is the record of a side effect a step had outside the session
// (a portal call), kept with the step that made it. Key is the idempotency
// key the call carried.
type Effect struct {
	Key  string
	Kind string
	Data []byte
}

// Commit is everything one step writes, in one transaction.
type Commit struct {
	// Record is the session as the step left it.
	Record Record
	// Prev is the version the step started from; 0 creates the session,
	// which must not exist yet.
	Prev int
	// Entries are the log entries the step appended, in order.
	Entries []LogEntry
	// Effects are the side effects the step made.
	Effects []Effect
	// Request, when set, is the client request the step answered, kept so
	// that the same request repeated (same idempotency key) gets the same
	// response instead of a second step.
	Request *Request
}

// Request is a client's request remembered under its idempotency key,
// with the response it got.
type Request struct {
	Key string
	// Digest identifies what the request asked (Answer's version, choice
	// and input, keyed with the session's secret): the same Key with
	// another Digest is another request, which is refused.
	Digest   []byte
	Response []byte
}

// Store keeps sessions between steps. Implementations must be safe for
// concurrent use.
type Store interface {
	// Load returns the session's record. It returns an error wrapping
	// ErrNotFound when the store does not hold it.
	Load(ctx context.Context, id string) (*Record, error)
	// Save writes c atomically when the stored version of the session is
	// c.Prev (when no session of that id exists, for Prev 0), and ends any
	// claim ClaimDue holds on the session. Otherwise it returns an error
	// wrapping ErrConflict and writes nothing; so it does when c.Request's
	// key was already used by an earlier commit of the session. It
	// returns another error, and writes nothing, when c.Record.Version is
	// not above c.Prev: a save that left the version where it was would
	// let two steps both save from it. When Save returns nil the commit is
	// durable: it survives the process's death.
	Save(ctx context.Context, c *Commit) error
}

// LogStore is a Store that keeps each session's event log.
type LogStore interface {
	Store
	// Log returns the session's log entries with Seq > after, in order.
	// It returns an error wrapping ErrNotFound for an unknown session.
	Log(ctx context.Context, id string, after int) ([]LogEntry, error)
}

// Reaped is a session Reap deleted: its id and the hash of the flow
// version it ran on (Record.Hash), which the host lets go of.
type Reaped struct {
	ID, Hash string
}

// ServerStore is what a server needs of a store beyond Load and Save:
// logs, remembered requests, due timers shared between instances and the
// reaping of abandoned sessions.
//
// Every method that takes a context returns an error wrapping ctx.Err()
// when ctx is done before the method starts, and stops waiting (for a
// lock, a connection, the database) when ctx is done. A Save that fails
// that way, like any Save whose answer from the database was lost, may
// or may not have been committed: the next Save from the same Prev, or a
// Load, tells.
type ServerStore interface {
	LogStore
	// Recall returns the session's record and the request remembered
	// under key, nil when there is none, read together: what a step that
	// carries an idempotency key reads before it runs. It returns an error
	// wrapping ErrNotFound for an unknown session.
	Recall(ctx context.Context, id, key string) (*Record, *Request, error)
	// ClaimDue returns up to limit sessions, earliest Due first, not done,
	// whose Due is at or before now and that are not claimed, and claims
	// them until now+lease. A claim ends at that time or when the session
	// is saved. Two callers never get the same session within one lease
	// (PostgreSQL: FOR UPDATE SKIP LOCKED). A limit below 1 claims
	// nothing.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]string, error)
	// Reap deletes up to limit sessions whose Expires is set and at or
	// before now, earliest first, with their logs, effects and requests,
	// and returns the ones it deleted, in that order. A limit below 1
	// deletes nothing.
	Reap(ctx context.Context, now time.Time, limit int) ([]Reaped, error)
	// Hashes returns the distinct hashes (Record.Hash) of the sessions
	// that have not ended, sorted: the flow versions the store still
	// needs.
	Hashes(ctx context.Context) ([]string, error)
	// Close releases the store's resources.
	Close() error
}
