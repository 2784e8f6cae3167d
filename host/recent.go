package host

import (
	"container/list"
	"sync"
)

// recent remembers the record this host last saved for each of the
// sessions it stepped lately (Config.RecentSessions): the next step of
// such a session, answering the version that record holds, need not read
// it back. A step another host took meanwhile is caught by the store's
// version check when the step is saved. Records are not changed once
// saved, so the one remembered is shared.
type recent struct {
	max int

	mu   sync.Mutex
	lru  *list.List // of *Record, the latest saved first
	byID map[string]*list.Element
}

func newRecent(max int) *recent {
	return &recent{max: max, lru: list.New(), byID: map[string]*list.Element{}}
}

// get returns the record remembered for session id, nil when none.
func (r *recent) get(id string) *Record {
	if r.max <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byID[id]; ok {
		return e.Value.(*Record)
	}
	return nil
}

// put remembers rec as session rec.ID's.
func (r *recent) put(rec *Record) {
	if r.max <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byID[rec.ID]; ok {
		e.Value = rec
		r.lru.MoveToFront(e)
		return
	}
	r.byID[rec.ID] = r.lru.PushFront(rec)
	if r.lru.Len() > r.max {
		last := r.lru.Back()
		r.lru.Remove(last)
		delete(r.byID, last.Value.(*Record).ID)
	}
}

// drop forgets session id's record: it is not the stored one.
func (r *recent) drop(id string) {
	if r.max <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byID[id]; ok {
		r.lru.Remove(e)
		delete(r.byID, id)
	}
}
