// Package memory is a session store in the process's memory: the store of
// one `tether run`, and of tests. Nothing survives the process.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
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
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.Record.ID
	ss := s.sessions[id]
	switch {
	case ss == nil && c.Prev != 0:
		return fmt.Errorf("session %s: %w (it no longer exists)", id, host.ErrConflict)
	case ss != nil && ss.rec.Version != c.Prev:
		return fmt.Errorf("session %s: %w (saved at version %d, not %d)", id, host.ErrConflict, ss.rec.Version, c.Prev)
	case ss == nil:
		ss = &session{requests: map[string][]byte{}}
		s.sessions[id] = ss
	}
	if c.Request != nil {
		if _, dup := ss.requests[c.Request.Key]; dup {
			return fmt.Errorf("session %s: request %s: %w (already answered)", id, c.Request.Key, host.ErrConflict)
		}
		ss.requests[c.Request.Key] = slices.Clone(c.Request.Response)
	}
	ss.rec = c.Record
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
	s.mu.Lock()
	defer s.mu.Unlock()
	type due struct {
		id string
		at time.Time
	}
	var all []due
	for id, ss := range s.sessions {
		r := ss.rec
		if !r.Done && !r.Due.IsZero() && !r.Due.After(now) && !ss.claimed.After(now) {
			all = append(all, due{id, r.Due})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].id < all[j].id
	})
	var out []string
	for _, d := range all {
		if len(out) == limit {
			break
		}
		s.sessions[d.id].claimed = now.Add(lease)
		out = append(out, d.id)
	}
	return out, nil
}

// Reap deletes expired sessions.
func (s *Store) Reap(ctx context.Context, now time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, ss := range s.sessions {
		if e := ss.rec.Expires; !e.IsZero() && !e.After(now) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	for _, id := range ids {
		delete(s.sessions, id)
	}
	return len(ids), nil
}

// Close does nothing: memory needs no releasing.
func (s *Store) Close() error { return nil }
