// Package memory is a session store in the process's memory: the store of
// one `tether run`, and of tests. Nothing survives the process.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tetherflow/tether/host"
)

// Store is a host.ServerStore held in memory. The zero value is not ready;
// use New. It is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	sessions map[string]*session
}

type session struct {
	rec      host.Record
	log      []host.LogEntry
	effects  []host.Effect
	requests map[string][]byte
	claimed  time.Time // the end of the current claim's lease
}

var _ host.ServerStore = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{sessions: map[string]*session{}} }

// Load returns a copy of the session's record.
func (s *Store) Load(ctx context.Context, id string) (*host.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	rec := ss.rec
	rec.Data = slices.Clone(rec.Data)
	return &rec, nil
}

// Save writes c when the stored version is c.Prev.
func (s *Store) Save(ctx context.Context, c *host.Commit) error {
	id := c.Record.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save session %s: %w", id, err)
	}
	if c.Record.Version <= c.Prev {
		return fmt.Errorf("save session %s: version %d does not follow %d", id, c.Record.Version, c.Prev)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	switch {
	case ss == nil && c.Prev != 0:
		return fmt.Errorf("session %s: %w (it no longer exists)", id, host.ErrConflict)
	case ss != nil && c.Prev == 0:
		return fmt.Errorf("session %s: %w (it exists already)", id, host.ErrConflict)
	case ss != nil && ss.rec.Version != c.Prev:
		return fmt.Errorf("session %s: %w (saved at version %d, not %d)", id, host.ErrConflict, ss.rec.Version, c.Prev)
	case ss == nil:
		ss = &session{requests: map[string][]byte{}}
	}
	if c.Request != nil {
		if _, dup := ss.requests[c.Request.Key]; dup {
			return fmt.Errorf("session %s: request %s: %w (already answered)", id, c.Request.Key, host.ErrConflict)
		}
		ss.requests[c.Request.Key] = slices.Clone(c.Request.Response)
	}
	s.sessions[id] = ss
	ss.rec = c.Record
	for _, t := range []*time.Time{&ss.rec.Due, &ss.rec.Expires, &ss.rec.Updated} {
		*t = t.UTC()
	}
	ss.rec.Data = slices.Clone(c.Record.Data)
	for _, e := range c.Entries {
		ss.log = append(ss.log, host.LogEntry{Seq: e.Seq, Data: slices.Clone(e.Data)})
	}
	for _, e := range c.Effects {
		ss.effects = append(ss.effects, host.Effect{Key: e.Key, Kind: e.Kind, Data: slices.Clone(e.Data)})
	}
	ss.claimed = time.Time{}
	return nil
}

// Log returns the session's entries after seq after.
func (s *Store) Log(ctx context.Context, id string, after int) ([]host.LogEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("log of session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	var out []host.LogEntry
	for _, e := range ss.log {
		if e.Seq > after {
			out = append(out, host.LogEntry{Seq: e.Seq, Data: slices.Clone(e.Data)})
		}
	}
	return out, nil
}

// Effects returns the effects the session's commits recorded, in the
// order they were saved. It returns an error wrapping host.ErrNotFound
// for an unknown session.
func (s *Store) Effects(ctx context.Context, id string) ([]host.Effect, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("effects of session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	out := make([]host.Effect, len(ss.effects))
	for i, e := range ss.effects {
		out[i] = host.Effect{Key: e.Key, Kind: e.Kind, Data: slices.Clone(e.Data)}
	}
	return out, nil
}

// Response returns the response remembered under key.
func (s *Store) Response(ctx context.Context, id, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("request %s of session %s: %w", key, id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return nil, false, nil
	}
	r, ok := ss.requests[key]
	return slices.Clone(r), ok, nil
}

// ClaimDue claims sessions whose timers are due.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []string
	for id, ss := range s.sessions {
		r := ss.rec
		if !r.Done && !r.Due.IsZero() && !r.Due.After(now) && !ss.claimed.After(now) {
			due = append(due, id)
		}
	}
	s.earliest(due, func(r *host.Record) time.Time { return r.Due })
	due = due[:min(len(due), max(limit, 0))]
	for _, id := range due {
		s.sessions[id].claimed = now.Add(lease)
	}
	return due, nil
}

// Reap deletes expired sessions.
func (s *Store) Reap(ctx context.Context, now time.Time, limit int) ([]host.Reaped, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired []string
	for id, ss := range s.sessions {
		if e := ss.rec.Expires; !e.IsZero() && !e.After(now) {
			expired = append(expired, id)
		}
	}
	s.earliest(expired, func(r *host.Record) time.Time { return r.Expires })
	expired = expired[:min(len(expired), max(limit, 0))]
	var gone []host.Reaped
	for _, id := range expired {
		gone = append(gone, host.Reaped{ID: id, Hash: s.sessions[id].rec.Hash})
		delete(s.sessions, id)
	}
	return gone, nil
}

// Hashes returns the hashes of the sessions not ended, sorted.
func (s *Store) Hashes(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("session hashes: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ss := range s.sessions {
		if !ss.rec.Done {
			out = append(out, ss.rec.Hash)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// earliest sorts ids by the time at of their records, then by id, as the
// databases' indexes order them.
func (s *Store) earliest(ids []string, at func(*host.Record) time.Time) {
	slices.SortFunc(ids, func(a, b string) int {
		if c := at(&s.sessions[a].rec).Compare(at(&s.sessions[b].rec)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// Close does nothing: memory needs no releasing.
func (s *Store) Close() error { return nil }
