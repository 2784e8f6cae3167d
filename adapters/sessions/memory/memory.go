// Package memory is a session store in the process's memory: the store of
// one `tether run`, and of tests. Nothing survives the process.
package memory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/hexid"
)

// Store is a host.ServerStore held in memory. The zero value is not ready;
// use New. It is safe for concurrent use.
//
// An idle server holds many sessions, each of a device of its own, so
// what each costs is kept small: a session's fields without its id (the
// map's key, 16 bytes for a hex id), the flow, region and version it
// runs kept once for all the sessions that share them, its log entries
// packed in one slice with its data, and a device's records packed in
// one string.
type Store struct {
	mu       sync.Mutex
	sessions hexid.Map[*session]
	runs     map[runs]*shared
	// claims are the ends of the leases ClaimDue gave, by session: few
	// sessions are claimed at a time.
	claims map[string]int64
	// devices are the devices' packed records (packRecords), by device.
	// Every session of a new device gives its device a record.
	devices hexid.Map[string]
}

// runs is what a session runs: its flow, its region and the compiled
// version it started on.
type runs struct {
	flow, region, hash string
}

// shared is a runs that sessions point to, and how many do.
type shared struct {
	runs
	sessions int
}

// session is a session as the store holds it, in 80 bytes.
type session struct {
	runs                  *shared
	version               int
	due, expires, updated int64 // nanoseconds since the epoch; noTime for none
	// buf is the session's log, its entries packed (appendPacked), then
	// its data, the last dataLen bytes: one allocation for both, that
	// a commit appends to in place while it has room.
	buf     []byte
	more    *more // nil until the session has any
	dataLen uint32
	done    bool
}

// log returns the session's packed log entries.
func (ss *session) log() []byte { return ss.buf[:len(ss.buf)-int(ss.dataLen)] }

// data returns the session's data, a part of buf.
func (ss *session) data() []byte { return ss.buf[len(ss.buf)-int(ss.dataLen):] }

// commit appends es to the session's log and replaces its data.
func (ss *session) commit(es []host.LogEntry, data []byte) {
	log := ss.log()
	log = slices.Grow(log, packedLen(es)+len(data))
	b := append(appendPacked(log, es), data...)
	ss.buf, ss.dataLen = b, uint32(len(data))
}

// more is what few sessions have: effects, and requests remembered, a
// short list (one a request answered) far smaller than a map, indexed by
// key once it is long enough that searching it would cost each answer
// more than the index (a long session answers hundreds).
type more struct {
	effects  []host.Effect
	requests []host.Request
	byKey    map[string]int // index in requests; nil up to indexFrom
}

// indexFrom is how many remembered requests a session has before they
// get an index.
const indexFrom = 8

// request returns the request remembered under key, or nil.
func (m *more) request(key string) *host.Request {
	if m == nil {
		return nil
	}
	if m.byKey != nil {
		if i, ok := m.byKey[key]; ok {
			return &m.requests[i]
		}
		return nil
	}
	if i := slices.IndexFunc(m.requests, func(r host.Request) bool { return r.Key == key }); i >= 0 {
		return &m.requests[i]
	}
	return nil
}

// remember appends r to the requests remembered.
func (m *more) remember(r *host.Request) {
	m.requests = append(m.requests, *r)
	switch {
	case m.byKey != nil:
		m.byKey[r.Key] = len(m.requests) - 1
	case len(m.requests) > indexFrom:
		m.byKey = make(map[string]int, len(m.requests))
		for i, r := range m.requests {
			m.byKey[r.Key] = i
		}
	}
}

// run points ss at r's runs, shared with the sessions that run the same.
// s.mu is held.
func (s *Store) run(ss *session, r runs) {
	if ss.runs != nil && ss.runs.runs == r {
		return
	}
	s.leave(ss)
	sh := s.runs[r]
	if sh == nil {
		sh = &shared{runs: r}
		s.runs[r] = sh
	}
	sh.sessions++
	ss.runs = sh
}

// leave lets go of what ss runs, when it is deleted or runs another.
// s.mu is held.
func (s *Store) leave(ss *session) {
	if ss.runs == nil {
		return
	}
	if ss.runs.sessions--; ss.runs.sessions == 0 {
		delete(s.runs, ss.runs.runs)
	}
	ss.runs = nil
}

// appendPacked appends log entries to b, packed: for each, its seq and
// its length as varints, then its data.
func appendPacked(b []byte, es []host.LogEntry) []byte {
	for _, e := range es {
		b = binary.AppendVarint(b, int64(e.Seq))
		b = binary.AppendUvarint(b, uint64(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

// packedLen returns how many bytes appendPacked appends for es.
func packedLen(es []host.LogEntry) int {
	var head [2 * binary.MaxVarintLen64]byte
	n := 0
	for _, e := range es {
		n += len(binary.AppendUvarint(binary.AppendVarint(head[:0], int64(e.Seq)), uint64(len(e.Data)))) + len(e.Data)
	}
	return n
}

// entries yields the seq and the data of each entry in log, entries
// appendPacked packed; the data is a part of log.
func entries(log []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for len(log) > 0 {
			seq, n := binary.Varint(log)
			size, m := binary.Uvarint(log[n:])
			log = log[n+m:]
			if !yield(int(seq), log[:size]) {
				return
			}
			log = log[size:]
		}
	}
}

// noTime stands for the zero time.
const noTime = math.MinInt64

// nanos is t as a session holds it. Like the databases, the store keeps
// the times int64 nanoseconds hold, 1678 to 2262.
func nanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return noTime, nil
	}
	if t.Before(time.Unix(0, math.MinInt64+1)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, fmt.Errorf("time %v is out of the range a store keeps (1678 to 2262)", t)
	}
	return t.UnixNano(), nil
}

// at is the time n stands for, in UTC.
func at(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// record returns the record of session id, its data a copy.
func (ss *session) record(id string) *host.Record {
	return &host.Record{ID: id, Version: ss.version, Flow: ss.runs.flow, Region: ss.runs.region, Hash: ss.runs.hash, Done: ss.done,
		Due: at(ss.due), Expires: at(ss.expires), Updated: at(ss.updated), Data: slices.Clone(ss.data())}
}

var _ host.ServerStore = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{runs: map[runs]*shared{}, claims: map[string]int64{}}
}

// Load returns a copy of the session's record.
func (s *Store) Load(ctx context.Context, id string) (*host.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, _ := s.sessions.Get(id)
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	return ss.record(id), nil
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
	if len(c.Record.Data) > math.MaxUint32 {
		return fmt.Errorf("save session %s: %d bytes of data, more than the memory store keeps (4 GiB)", id, len(c.Record.Data))
	}
	var times [3]int64
	for i, t := range []time.Time{c.Record.Due, c.Record.Expires, c.Record.Updated} {
		n, err := nanos(t)
		if err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		times[i] = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, _ := s.sessions.Get(id)
	switch {
	case ss == nil && c.Prev != 0:
		return fmt.Errorf("session %s: %w (it no longer exists)", id, host.ErrConflict)
	case ss != nil && c.Prev == 0:
		return fmt.Errorf("session %s: %w (it exists already)", id, host.ErrConflict)
	case ss != nil && ss.version != c.Prev:
		return fmt.Errorf("session %s: %w (saved at version %d, not %d)", id, host.ErrConflict, ss.version, c.Prev)
	}
	if r := c.Request; r != nil && ss != nil && ss.more.request(r.Key) != nil {
		return fmt.Errorf("session %s: request %s: %w (already answered)", id, r.Key, host.ErrConflict)
	}
	if ss == nil {
		// The map keeps the id, as its bytes when it is hex (hexid):
		// set once, so that a later commit's id (part of a request's
		// path, say) does not replace it.
		ss = &session{}
		s.sessions.Set(id, ss)
	}
	if r := c.Request; r != nil {
		ss.extra().remember(cloneRequest(r))
	}
	r := &c.Record
	s.run(ss, runs{r.Flow, r.Region, r.Hash})
	ss.version, ss.done = r.Version, r.Done
	ss.due, ss.expires, ss.updated = times[0], times[1], times[2]
	ss.commit(c.Entries, r.Data)
	if len(c.Effects) > 0 {
		m := ss.extra()
		for _, e := range c.Effects {
			m.effects = append(m.effects, host.Effect{Key: e.Key, Kind: e.Kind, Data: slices.Clone(e.Data)})
		}
	}
	delete(s.claims, id)
	return nil
}

// extra returns ss.more, made when ss has none.
func (ss *session) extra() *more {
	if ss.more == nil {
		ss.more = &more{}
	}
	return ss.more
}

// Log returns the session's entries after seq after.
func (s *Store) Log(ctx context.Context, id string, after int) ([]host.LogEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("log of session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, _ := s.sessions.Get(id)
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	var out []host.LogEntry
	for seq, data := range entries(ss.log()) {
		if seq > after {
			out = append(out, host.LogEntry{Seq: seq, Data: slices.Clone(data)})
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
	ss, _ := s.sessions.Get(id)
	if ss == nil {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	if ss.more == nil {
		return []host.Effect{}, nil
	}
	out := make([]host.Effect, len(ss.more.effects))
	for i, e := range ss.more.effects {
		out[i] = host.Effect{Key: e.Key, Kind: e.Kind, Data: slices.Clone(e.Data)}
	}
	return out, nil
}

// Recall returns a copy of the session's record and of the request
// remembered under key.
func (s *Store) Recall(ctx context.Context, id, key string) (*host.Record, *host.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("load session %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, _ := s.sessions.Get(id)
	if ss == nil {
		return nil, nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	var req *host.Request
	if r := ss.more.request(key); r != nil {
		req = cloneRequest(r)
	}
	return ss.record(id), req, nil
}

// cloneRequest returns a copy of r that shares no bytes with it.
func cloneRequest(r *host.Request) *host.Request {
	return &host.Request{Key: r.Key, Digest: slices.Clone(r.Digest), Response: slices.Clone(r.Response)}
}

// ClaimDue claims sessions whose timers are due.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", err)
	}
	n, err := nanos(now)
	if err == nil {
		_, err = nanos(now.Add(lease))
	}
	if err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A lapsed lease claims nothing more.
	maps.DeleteFunc(s.claims, func(_ string, end int64) bool { return end <= n })
	var due []timed
	for k, ss := range s.sessions.All() {
		if ss.done || ss.due == noTime || ss.due > n {
			continue
		}
		id := k.String()
		if _, claimed := s.claims[id]; !claimed {
			due = append(due, timed{id, ss.due, ss})
		}
	}
	var ids []string
	for _, d := range earliest(due, limit) {
		ids = append(ids, d.id)
		s.claims[d.id] = now.Add(lease).UnixNano()
	}
	return ids, nil
}

// Reap deletes expired sessions.
func (s *Store) Reap(ctx context.Context, now time.Time, limit int) ([]host.Reaped, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	n, err := nanos(now)
	if err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired []timed
	for k, ss := range s.sessions.All() {
		if ss.expires != noTime && ss.expires <= n {
			expired = append(expired, timed{k.String(), ss.expires, ss})
		}
	}
	var gone []host.Reaped
	for _, e := range earliest(expired, limit) {
		gone = append(gone, host.Reaped{ID: e.id, Hash: e.ss.runs.hash})
		s.leave(e.ss)
		s.sessions.Delete(e.id)
		delete(s.claims, e.id)
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
	for _, ss := range s.sessions.All() {
		if !ss.done {
			out = append(out, ss.runs.hash)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// timed is a session ClaimDue or Reap found, by the time it found it by.
type timed struct {
	id string
	at int64
	ss *session
}

// earliest returns the first limit of ts by time, then by id, as the
// databases' indexes order them.
func earliest(ts []timed, limit int) []timed {
	slices.SortFunc(ts, func(a, b timed) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	return ts[:min(len(ts), max(limit, 0))]
}

// packRecords packs a device's records in one string: for each, its
// name's length as a uvarint, its name, its data's length, its data. A
// device has a handful; a new device of a server, one.
func packRecords(recs map[string][]byte) string {
	var b []byte
	for name, data := range recs {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(len(data)))
		b = append(b, data...)
	}
	return string(b)
}

// unpackRecords returns copies of the records packRecords packed.
func unpackRecords(packed string) map[string][]byte {
	recs := map[string][]byte{}
	for len(packed) > 0 {
		name := field(&packed)
		recs[name] = []byte(field(&packed))
	}
	return recs
}

// field reads a length and as many bytes from the front of packed.
func field(packed *string) string {
	n, m := binary.Uvarint([]byte((*packed)[:min(len(*packed), binary.MaxVarintLen64)]))
	f := (*packed)[m : m+int(n)]
	*packed = (*packed)[m+int(n):]
	return f
}

// DeviceRecords returns copies of the records kept for device, by name.
func (s *Store) DeviceRecords(ctx context.Context, device string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("records of device %s: %w", device, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return unpackRecords(s.packed(device)), nil
}

// PutDeviceRecord keeps a copy of data as device's record name.
func (s *Store) PutDeviceRecord(ctx context.Context, device, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := unpackRecords(s.packed(device))
	recs[name] = data
	s.keep(device, recs)
	return nil
}

// AddDeviceRecord keeps a copy of data as device's record name unless it
// has one, and returns the record kept.
func (s *Store) AddDeviceRecord(ctx context.Context, device, name string, data []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := unpackRecords(s.packed(device))
	if kept, ok := recs[name]; ok {
		return kept, nil
	}
	recs[name] = data
	s.keep(device, recs)
	return slices.Clone(data), nil
}

// DropDeviceRecord removes device's record name if it holds data, and
// reports whether it did.
func (s *Store) DropDeviceRecord(ctx context.Context, device, name string, data []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := unpackRecords(s.packed(device))
	if kept, ok := recs[name]; !ok || !bytes.Equal(kept, data) {
		return false, nil
	}
	delete(recs, name)
	s.keep(device, recs)
	return true, nil
}

// keep keeps recs as device's records; a device with none is forgotten.
// s.mu is held.
func (s *Store) keep(device string, recs map[string][]byte) {
	if len(recs) == 0 {
		s.devices.Delete(device)
	} else {
		s.devices.Set(device, packRecords(recs))
	}
}

// packed returns device's packed records. s.mu is held.
func (s *Store) packed(device string) string {
	p, _ := s.devices.Get(device)
	return p
}

// Close does nothing: memory needs no releasing.
func (s *Store) Close() error { return nil }
