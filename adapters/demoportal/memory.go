package demoportal

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"time"
)

// MemoryState is a State in memory: the in-process portal's, which lives
// for one run. It is safe for concurrent use. Every Update copies the
// tables, calls kept under idempotency keys included: cheap for a run,
// whose calls carry no keys, but growing with every keyed call a
// long-lived server would keep — which is why tether portal serve keeps
// its state in demoportal/sqlite.
type MemoryState struct {
	mu sync.Mutex
	m  memTables
}

type memTables struct {
	accounts map[string]AccountRecord
	guards   map[string]Guard
	tickets  map[string]TicketRecord
	records  map[string]memRecord
	sms      map[string][]time.Time
	captchas map[string]time.Time
	consents []ConsentRecord
	keys     map[string]IdempotentRecord
}

// NewMemoryState returns an empty state.
func NewMemoryState() *MemoryState {
	return &MemoryState{m: memTables{
		accounts: map[string]AccountRecord{}, guards: map[string]Guard{},
		tickets: map[string]TicketRecord{}, records: map[string]memRecord{},
		sms: map[string][]time.Time{}, captchas: map[string]time.Time{},
		keys: map[string]IdempotentRecord{},
	}}
}

// Update runs fn on a copy of the tables and keeps the copy when fn
// succeeds. Copying is cheap at a demo's size.
func (s *MemoryState) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &memTx{memTables{
		accounts: maps.Clone(s.m.accounts), guards: maps.Clone(s.m.guards),
		tickets: maps.Clone(s.m.tickets), records: maps.Clone(s.m.records),
		sms: maps.Clone(s.m.sms), captchas: maps.Clone(s.m.captchas),
		keys:     maps.Clone(s.m.keys),
		consents: s.m.consents[:len(s.m.consents):len(s.m.consents)],
	}}
	if err := fn(tx); err != nil {
		return err
	}
	s.m = tx.memTables
	return nil
}

// Consents returns the acceptances recorded, oldest first.
func (s *MemoryState) Consents() []ConsentRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ConsentRecord(nil), s.m.consents...)
}

type memTx struct{ memTables }

func (t *memTx) Account(email string) (AccountRecord, bool, error) {
	a, ok := t.accounts[email]
	return a, ok, nil
}

func (t *memTx) PutAccount(a AccountRecord) error { t.accounts[a.Email] = a; return nil }

func (t *memTx) Guard(email string) (Guard, bool, error) {
	g, ok := t.guards[email]
	return g, ok, nil
}

func (t *memTx) PutGuard(email string, g Guard) error { t.guards[email] = g; return nil }

func (t *memTx) Ticket(hash string) (TicketRecord, bool, error) {
	r, ok := t.tickets[hash]
	return r, ok, nil
}

func (t *memTx) PutTicket(r TicketRecord) error { t.tickets[r.Hash] = r; return nil }

// memRecord is a record of the authorization server, as JSON.
type memRecord struct {
	Value   json.RawMessage `json:"value"`
	Expires time.Time       `json:"expires"`
}

func (t *memTx) Record(kind, key string, now time.Time, v any) (bool, error) {
	r, ok := t.records[kind+"\x00"+key]
	if !ok || !now.Before(r.Expires) {
		return false, nil
	}
	return true, json.Unmarshal(r.Value, v)
}

func (t *memTx) PutRecord(kind, key string, v any, expires time.Time) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t.records[kind+"\x00"+key] = memRecord{Value: data, Expires: expires}
	return nil
}

func (t *memTx) ForgetRecords(before time.Time) error {
	maps.DeleteFunc(t.records, func(_ string, r memRecord) bool { return r.Expires.Before(before) })
	return nil
}

func (t *memTx) SMSSent(key string, since time.Time) ([]time.Time, error) {
	var out []time.Time
	for _, at := range t.sms[key] {
		if !at.Before(since) {
			out = append(out, at)
		}
	}
	return out, nil
}

func (t *memTx) AddSMS(keys []string, at time.Time) error {
	for _, k := range keys {
		// A new slice: the committed tables may share the old one's array.
		t.sms[k] = append(t.sms[k][:len(t.sms[k]):len(t.sms[k])], at)
	}
	return nil
}

func (t *memTx) AddConsent(c ConsentRecord) (int, error) {
	t.consents = append(t.consents, c)
	return len(t.consents), nil
}

func (t *memTx) UseCaptcha(id string, at time.Time) (bool, error) {
	if _, used := t.captchas[id]; used {
		return false, nil
	}
	t.captchas[id] = at
	return true, nil
}

func (t *memTx) Idempotent(keyHash string) (IdempotentRecord, bool, error) {
	r, ok := t.keys[keyHash]
	return r, ok, nil
}

func (t *memTx) PutIdempotent(r IdempotentRecord) error { t.keys[r.KeyHash] = r; return nil }

func (t *memTx) ForgetIdempotent(before time.Time) error {
	maps.DeleteFunc(t.keys, func(_ string, r IdempotentRecord) bool { return r.At.Before(before) })
	return nil
}
