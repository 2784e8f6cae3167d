package portaltest

import (
	"context"
	"slices"
	"sync"

	"github.com/tetherflow/tether/actions"
)

// MemoryStore is a device credential store in memory: a device of a test.
// It is safe for concurrent use.
type MemoryStore struct {
	mu      sync.Mutex
	entries []actions.Credential
	key     string
}

var _ actions.CredentialStore = (*MemoryStore)(nil)

// Credentials returns the entries saved.
func (s *MemoryStore) Credentials(context.Context) ([]actions.Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries), nil
}

// Save saves c as app c.App's entry.
func (s *MemoryStore) Save(_ context.Context, c actions.Credential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.entries, func(e actions.Credential) bool { return e.App == c.App }); i >= 0 {
		s.entries[i] = c
		return nil
	}
	s.entries = append(s.entries, c)
	return nil
}

// DeviceKey returns the device's key, made by create at the first call.
func (s *MemoryStore) DeviceKey(_ context.Context, create func() (string, error)) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == "" {
		k, err := create()
		if err != nil {
			return "", err
		}
		s.key = k
	}
	return s.key, nil
}
