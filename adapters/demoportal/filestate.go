package demoportal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tetherflow/tether/internal/atomicfile"
)

// FileState is a State kept in one JSON file, for an in-process portal
// that outlives its process (tether serve's default): every Update that
// succeeds is written to a temporary file, synced and renamed over the
// state before it counts, so that a process killed at any moment leaves
// the state as the last committed Update left it. It is a demo's state:
// each Update writes the whole file.
//
// Its SMS outbox (SMS) is part of the state: a text is committed with the
// Update that sent it — the code it carries with it — or not at all, and
// delivered once committed. It is safe for concurrent use.
type FileState struct {
	path    string
	now     func() time.Time
	deliver func(Message)

	mu  sync.Mutex // held through an Update
	mem *MemoryState
	box []Message // the committed outbox

	omu    sync.Mutex // guards staged and open
	open   bool       // an Update is running
	staged []Message  // texts the running Update sent
}

// Message is a text the demo SMS gateway sent: the demo phone's inbox.
type Message struct {
	At    time.Time `json:"at"`
	Phone string    `json:"phone"`
	Text  string    `json:"text"`
}

// fileDoc is the file's content.
type fileDoc struct {
	Version  int                         `json:"version"`
	Accounts map[string]AccountRecord    `json:"accounts"`
	Guards   map[string]Guard            `json:"guards"`
	Tickets  map[string]TicketRecord     `json:"tickets"`
	Records  map[string]memRecord        `json:"records"`
	SMS      map[string][]time.Time      `json:"sms"`
	Captchas map[string]time.Time        `json:"captchas"`
	Consents []ConsentRecord             `json:"consents"`
	Keys     map[string]IdempotentRecord `json:"keys"`
	Outbox   []Message                   `json:"outbox"`
}

const fileStateVersion = 3 // 2: calls kept as idempotency records; 3: the authorization server's records

// OpenFileState opens the state kept in the file at path, creating it
// (and its directory) at the first Update when it does not exist. now
// dates the texts the outbox sends; deliver, when not nil, is given each
// of them once the Update that sent it is committed.
func OpenFileState(path string, now func() time.Time, deliver func(Message)) (*FileState, error) {
	st := &FileState{path: path, now: now, deliver: deliver, mem: NewMemoryState()}
	doc, err := readFileDoc(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, nil
	case err != nil:
		return nil, err
	}
	m := &st.mem.m
	m.accounts, m.guards, m.tickets, m.records = orEmpty(doc.Accounts), orEmpty(doc.Guards), orEmpty(doc.Tickets), orEmpty(doc.Records)
	m.sms, m.captchas, m.keys, m.consents = orEmpty(doc.SMS), orEmpty(doc.Captchas), orEmpty(doc.Keys), doc.Consents
	st.box = doc.Outbox
	return st, nil
}

// ReadOutbox returns the texts committed to the outbox of the state in the
// file at path, oldest first: what the demo phones received.
func ReadOutbox(path string) ([]Message, error) {
	doc, err := readFileDoc(path)
	if err != nil {
		return nil, err
	}
	return doc.Outbox, nil
}

// ReadConsents returns the acceptances recorded in the state in the file
// at path, oldest first.
func ReadConsents(path string) ([]ConsentRecord, error) {
	doc, err := readFileDoc(path)
	if err != nil {
		return nil, err
	}
	return doc.Consents, nil
}

func readFileDoc(path string) (*fileDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("demo portal state: %w", err)
	}
	var doc fileDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("demo portal state %s: %w", path, err)
	}
	if doc.Version != fileStateVersion {
		return nil, fmt.Errorf("demo portal state %s: version %d, want %d", path, doc.Version, fileStateVersion)
	}
	return &doc, nil
}

func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

// Update runs fn and writes the state with its changes, and the texts it
// sent, before they count; then it delivers the texts.
func (s *FileState) Update(ctx context.Context, fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omu.Lock()
	s.open, s.staged = true, nil
	s.omu.Unlock()
	var sent []Message
	err := s.mem.Update(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		s.omu.Lock()
		sent = s.staged
		s.omu.Unlock()
		return s.write(tx.(*memTx), sent)
	})
	s.omu.Lock()
	s.open, s.staged = false, nil
	s.omu.Unlock()
	if err != nil {
		return err
	}
	s.box = append(s.box[:len(s.box):len(s.box)], sent...)
	if s.deliver != nil {
		for _, m := range sent {
			s.deliver(m)
		}
	}
	return nil
}

// write writes the tables of tx, with the outbox and sent, to the file.
func (s *FileState) write(tx *memTx, sent []Message) error {
	doc := fileDoc{
		Version: fileStateVersion, Accounts: tx.accounts, Guards: tx.guards, Tickets: tx.tickets,
		Records: tx.records, SMS: tx.sms, Captchas: tx.captchas, Consents: tx.consents, Keys: tx.keys,
		Outbox: append(slices.Clip(s.box), sent...),
	}
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("demo portal state: %w", err)
	}
	if err := writeState(s.path, data); err != nil {
		return fmt.Errorf("demo portal state: %w", err)
	}
	return nil
}

// SMS returns the state's SMS gateway: a text sent during an Update is
// committed with it and delivered after; sent outside an Update, it is
// refused.
func (s *FileState) SMS() SMSSender { return outbox{s} }

type outbox struct{ s *FileState }

// Send stages the text in the running Update.
func (o outbox) Send(ctx context.Context, phone, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.s.omu.Lock()
	defer o.s.omu.Unlock()
	if !o.s.open {
		return errors.New("demo SMS: the outbox sends only within a portal update")
	}
	o.s.staged = append(o.s.staged, Message{At: o.s.now().UTC(), Phone: phone, Text: text})
	return nil
}

// writeState replaces the state file with data, making its directory
// first.
func writeState(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o600)
}
