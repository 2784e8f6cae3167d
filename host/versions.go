package host

import (
	"context"

	"github.com/tetherflow/tether/engine"
)

// Which version of its flow a session is restored on. A session records
// the hash of the compiled flow it started on (Record.Hash) and, in its
// metadata, the version: labels of that flow and its subflows. When the
// catalog has been reloaded since, or the process restarted after the
// files changed, load looks, in order, for:
//
//  1. the current version of the session's flow and region, when the
//     session is on it;
//  2. the current version, the snapshot migrated, when it declares a
//     migration from the session's version (migrate: from its label or
//     hash): the flow's author asked for the session to move;
//  3. the version the session started on, when the catalog holds it (in
//     memory, or compiled again from its archive after a restart): the
//     session finishes on it;
//  4. the current version, the snapshot moved as it is, when the files'
//     version labels are the session's (a policy value or a comment
//     changed, not the version);
//
// and otherwise fails with an error wrapping engine.ErrNoMigration (and
// engine.ErrFlowChanged): the session is stranded. docs/flow-evolution.md
// has the whole story.

// flowFor returns the flow session rec is restored on, moving d's
// snapshot (and its labels) onto it when it must, and holds the version
// in the catalog for the session while it has not ended.
func (h *Host) flowFor(ctx context.Context, rec *Record, d *data) (*engine.Flow, error) {
	cat := h.cfg.Catalog
	var curFlow *engine.Flow
	cur, curErr := cat.Compiled(rec.Flow, d.Country)
	if curErr == nil {
		curFlow = cur.Flow
	}
	fl, err := h.pick(ctx, rec, d, curFlow)
	if err != nil {
		if curErr != nil {
			return nil, curErr
		}
		return nil, err
	}
	if rec.Done {
		return fl, nil
	}
	if err := cat.Hold(ctx, fl, rec.ID); err != nil {
		return nil, err
	}
	if fl.Hash() != rec.Hash {
		cat.Release(rec.Hash, rec.ID)
	}
	return fl, nil
}

// pick chooses as flowFor says; cur is the current version, or nil.
func (h *Host) pick(ctx context.Context, rec *Record, d *data, cur *engine.Flow) (*engine.Flow, error) {
	if cur != nil && cur.Hash() == rec.Hash {
		return cur, nil
	}
	old, oldErr := h.cfg.Catalog.LoadVersion(ctx, rec.Hash)
	origin := engine.Origin{Labels: d.Versions, Flow: old}
	if cur != nil {
		var src string
		if old != nil {
			src = old.Info().SourceHash
		}
		if _, ok := cur.Info().File.MigrationFrom(d.Versions[rec.Flow], rec.Hash, src); ok {
			if moved, err := h.move(cur, d, origin); err == nil || old == nil {
				return moved, err
			}
			// The migration does not fit this session: it finishes on
			// its own version.
		}
	}
	if old != nil {
		return old, nil
	}
	if cur == nil {
		return nil, oldErr
	}
	return h.move(cur, d, origin)
}

// move migrates d's snapshot onto fl.
func (h *Host) move(fl *engine.Flow, d *data, o engine.Origin) (*engine.Flow, error) {
	snap, err := fl.Migrate(d.Snapshot, o, h.cfg.Now())
	if err != nil {
		return nil, err
	}
	d.Snapshot, d.Versions = snap, fl.Info().Labels
	return fl, nil
}

// saved lets go of the version of a session that has ended.
func (h *Host) saved(rec *Record) {
	if rec.Done {
		h.cfg.Catalog.Release(rec.Hash, rec.ID)
	}
}
