package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/internal/hexid"
)

// Versions: every compiled flow the catalog hands out is remembered by its
// hash, so that a session finishes on the version it started on even after
// Reload serves another. A session holds its version while it runs (Hold)
// and lets go when it ends (Release); a version that is no longer the
// current one of its flow and region is dropped when its last session
// lets go. With an Archive, a version is made durable when a session first
// holds it, and LoadVersion finds it there after a restart, when the files
// it was compiled from are gone. docs/flow-evolution.md tells the whole
// story.

// version is one compiled flow a session may run on.
type version struct {
	flow     *engine.Flow
	archived bool
	// sessions are the sessions in flight on it, as far as this process
	// knows: a set, so that a session held twice counts once. An idle
	// server holds many; hexid keeps no copy of their ids.
	sessions hexid.Map[struct{}]
}

// ErrNoVersion is wrapped by the errors for a hash the catalog does not
// hold: never handed out, dropped, and not in the archive.
var ErrNoVersion = errors.New("no such version")

// handedOut remembers a compiled flow by its hash.
func (c *Catalog) handedOut(cp *Compiled) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v := c.versions[cp.Hash()]; v != nil {
		v.flow = cp.Flow // the same version: the last one handed out
		return
	}
	c.versions[cp.Hash()] = &version{flow: cp.Flow}
}

// Version returns the compiled flow with the given hash, if the catalog
// holds it in memory: one it handed out (Compiled), or loaded from its
// archive (LoadVersion), and has not dropped.
func (c *Catalog) Version(hash string) (*engine.Flow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.versions[hash]
	if v == nil {
		return nil, false
	}
	return v.flow, true
}

// LoadVersion returns the compiled flow with the given hash: from memory
// (Version), or else compiled again from the catalog's archive, byte for
// byte the version a session started on, even when the files it came from
// have changed since. It returns an error wrapping ErrNoVersion when
// neither holds it, and the archive's errors.
func (c *Catalog) LoadVersion(ctx context.Context, hash string) (*engine.Flow, error) {
	if fl, ok := c.Version(hash); ok {
		return fl, nil
	}
	if c.opts.Archive == nil {
		return nil, fmt.Errorf("version %s: %w (and the catalog has no archive)", hash, ErrNoVersion)
	}
	b, err := c.opts.Archive.Get(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("version %s: %w", hash, err)
	}
	fl, err := b.compile(c.opts.Registry)
	if err != nil {
		return nil, fmt.Errorf("version %s from the archive: %w", hash, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v := c.versions[hash]; v != nil {
		return v.flow, nil // another goroutine got there first
	}
	c.versions[hash] = &version{flow: fl, archived: true}
	return fl, nil
}

// Hold records that session id runs on fl, a version the catalog handed
// out (Compiled, Version, LoadVersion), so that the version stays
// available while the session does — even when a Reload came between
// handing it out and Hold. With an archive, the version is first made
// durable (once per version and process): a host calls Hold before it
// first saves a session, so that no session is saved on a version a
// restart could lose. It returns the archive's errors.
func (c *Catalog) Hold(ctx context.Context, fl *engine.Flow, id string) error {
	hash := fl.Hash()
	c.mu.Lock()
	v := c.versions[hash]
	if v == nil {
		v = &version{flow: fl}
		c.versions[hash] = v
	}
	archive := !v.archived && c.opts.Archive != nil
	c.mu.Unlock()
	if archive {
		b, err := newBundle(fl)
		if err != nil {
			return fmt.Errorf("archive version %s: %w", hash, err)
		}
		if err := c.opts.Archive.Put(ctx, b); err != nil {
			return fmt.Errorf("archive version %s: %w", hash, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A Release may have dropped the version while it was archived.
	if cur := c.versions[hash]; cur != nil {
		v = cur
	} else {
		c.versions[hash] = v
	}
	v.archived = v.archived || archive
	v.sessions.Set(id, struct{}{})
	return nil
}

// Release records that session id no longer runs on the version with the
// given hash: it ended, was cancelled, moved to another version or was
// reaped. A version that is not the current one of its flow and region is
// dropped from memory once no session holds it (the archive keeps it;
// PruneArchive removes it there).
func (c *Catalog) Release(hash, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.versions[hash]
	if v == nil {
		return
	}
	v.sessions.Delete(id)
	if v.sessions.Len() == 0 && !c.cur.Load().isCurrent(hash) {
		delete(c.versions, hash)
	}
}

// Held returns the hashes of the versions the catalog holds in memory,
// with how many sessions in flight each has, as far as this process
// knows.
func (c *Catalog) Held() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.versions))
	for h, v := range c.versions {
		out[h] = v.sessions.Len()
	}
	return out
}

// dropIdle drops the versions no session holds that are not current: what
// Reload leaves behind.
func (c *Catalog) dropIdle() (dropped []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.cur.Load()
	for h, v := range c.versions {
		if v.sessions.Len() == 0 && !s.isCurrent(h) {
			delete(c.versions, h)
			dropped = append(dropped, h)
		}
	}
	return dropped
}

// isCurrent reports whether the set has handed out (compiled) the version
// with the given hash.
func (c *set) isCurrent(hash string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cp := range c.compiled {
		if cp.Hash() == hash {
			return true
		}
	}
	return false
}

// PruneArchive deletes from the archive every version that is neither
// current, nor held by a session of this process, nor among inUse: the
// hashes of the sessions that have not ended, which only the session store
// knows (a server asks it, then calls PruneArchive). It returns the hashes
// it deleted.
func (c *Catalog) PruneArchive(ctx context.Context, inUse []string) ([]string, error) {
	if c.opts.Archive == nil {
		return nil, nil
	}
	hashes, err := c.opts.Archive.List(ctx)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, h := range inUse {
		keep[h] = true
	}
	s := c.cur.Load()
	c.mu.Lock()
	for h, v := range c.versions {
		if v.sessions.Len() > 0 {
			keep[h] = true // a session may hold it before its first save
		}
	}
	c.mu.Unlock()
	var deleted []string
	for _, h := range hashes {
		if keep[h] || s.isCurrent(h) {
			continue
		}
		if err := c.opts.Archive.Delete(ctx, h); err != nil {
			return deleted, err
		}
		deleted = append(deleted, h)
		c.mu.Lock()
		if v := c.versions[h]; v != nil {
			v.archived = false
		}
		c.mu.Unlock()
	}
	return deleted, nil
}
