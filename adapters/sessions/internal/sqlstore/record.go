// Package sqlstore is what the SQLite and PostgreSQL session stores share:
// the session record as columns, the checks a commit passes before it is
// written, and schema migrations with goose.
package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tetherflow/tether/host"
)

// Columns are a session row's columns in the order ScanRecord reads them.
const Columns = "id, version, flow, region, hash, done, due, expires, updated, data"

// RecallColumns are Columns of a session row s joined to a request row r,
// then the request's key, digest and response: what Recall selects and
// ScanRecord reads, given three more destinations.
const RecallColumns = "s.id, s.version, s.flow, s.region, s.hash, s.done, s.due, s.expires, s.updated, s.data, r.request_key, r.digest, r.response"

// Nanos is t as the stores keep it: nanoseconds since the Unix epoch, nil
// (NULL) for the zero time. Times are integers rather than the databases'
// timestamps so that they round-trip exactly (PostgreSQL's timestamptz
// keeps microseconds) and compare cheaply. It returns an error for a time
// int64 nanoseconds cannot hold (before 1678 or after 2262).
func Nanos(t time.Time) (*int64, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return nil, fmt.Errorf("time %v is out of the range a store keeps (1678 to 2262)", t)
	}
	n := t.UnixNano()
	return &n, nil
}

// Time is the time n nanoseconds after the Unix epoch, in UTC; the zero
// time for nil.
func Time(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// RecordArgs are the values of r's Columns, in order, for an insert or
// an update.
func RecordArgs(r *host.Record) ([]any, error) {
	var times [3]*int64
	for i, t := range []time.Time{r.Due, r.Expires, r.Updated} {
		n, err := Nanos(t)
		if err != nil {
			return nil, fmt.Errorf("session %s: %w", r.ID, err)
		}
		times[i] = n
	}
	return []any{r.ID, r.Version, r.Flow, r.Region, r.Hash, r.Done, times[0], times[1], times[2], Bytes(r.Data)}, nil
}

// Bytes is b, or an empty slice for nil: the drivers write nil as NULL,
// and read an empty value back as nil.
func Bytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ScanRecord reads a row of Columns, then into more, with scan (a Row's
// or Rows' Scan).
func ScanRecord(scan func(dest ...any) error, more ...any) (*host.Record, error) {
	var (
		r                     host.Record
		due, expires, updated *int64
	)
	dest := append([]any{&r.ID, &r.Version, &r.Flow, &r.Region, &r.Hash, &r.Done, &due, &expires, &updated, &r.Data}, more...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	r.Due, r.Expires, r.Updated = Time(due), Time(expires), Time(updated)
	return &r, nil
}

// CheckCommit returns an error when c cannot be saved whatever is stored:
// its version does not move forward.
func CheckCommit(c *host.Commit) error {
	if c.Record.Version <= c.Prev {
		return fmt.Errorf("save session %s: version %d does not follow %d", c.Record.ID, c.Record.Version, c.Prev)
	}
	return nil
}

// Conflict is the error for a commit refused because the session was not
// at c.Prev.
func Conflict(c *host.Commit) error {
	if c.Prev == 0 {
		return fmt.Errorf("session %s: %w (it exists already)", c.Record.ID, host.ErrConflict)
	}
	return fmt.Errorf("session %s: %w (not at version %d)", c.Record.ID, host.ErrConflict, c.Prev)
}

// DuplicateRequest is the error for a commit refused because its request
// key was used before.
func DuplicateRequest(c *host.Commit) error {
	return fmt.Errorf("session %s: request %s: %w (already answered)", c.Record.ID, c.Request.Key, host.ErrConflict)
}

// ClaimArgs are ClaimDue's now and now+lease as Nanos. It returns an
// error wrapping ctx.Err() when ctx is done, as a claim of limit < 1,
// which needs no database, must too.
func ClaimArgs(ctx context.Context, now time.Time, lease time.Duration, limit int) (at, until *int64, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("claim due sessions: %w", err)
	}
	if at, err = Nanos(now); err == nil {
		until, err = Nanos(now.Add(lease))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("claim due sessions: %w", err)
	}
	return at, until, nil
}

// ReapArgs is Reap's now as Nanos, or an error wrapping ctx.Err() when
// ctx is done.
func ReapArgs(ctx context.Context, now time.Time, limit int) (*int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	at, err := Nanos(now)
	if err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	return at, nil
}

// Reaped is a session Reap deleted, with its Expires as Nanos.
type Reaped struct {
	ID, Hash string
	Expires  int64
}

// ReapedInOrder returns rows as host.Reaped, the earliest expired first,
// then by id: the order Reap promises, which DELETE ... RETURNING does not
// keep.
func ReapedInOrder(rows []Reaped) []host.Reaped {
	slices.SortFunc(rows, func(a, b Reaped) int {
		return cmp.Or(cmp.Compare(a.Expires, b.Expires), cmp.Compare(a.ID, b.ID))
	})
	out := make([]host.Reaped, len(rows))
	for i, r := range rows {
		out[i] = host.Reaped{ID: r.ID, Hash: r.Hash}
	}
	return out
}

// Claim is a session ClaimDue claimed, with its Due as Nanos.
type Claim struct {
	ID  string
	Due int64
}

// ClaimedIDs are the ids of claims, earliest due first, then by id: the
// order ClaimDue promises, which UPDATE ... RETURNING does not keep.
func ClaimedIDs(claims []Claim) []string {
	slices.SortFunc(claims, func(a, b Claim) int {
		return cmp.Or(cmp.Compare(a.Due, b.Due), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]string, len(claims))
	for i, c := range claims {
		ids[i] = c.ID
	}
	return ids
}
