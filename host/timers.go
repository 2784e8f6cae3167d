package host

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNoServerStore is returned by FireDue and Reap when the host's store
// is not a ServerStore: it cannot find due timers or expired sessions.
var ErrNoServerStore = errors.New("the session store cannot claim timers or reap sessions")

// FireDue fires the timers that are due with no client calling: it claims
// up to limit sessions whose next timer is due (ServerStore.ClaimDue; an
// instance that claims a session has it for lease, so that several
// instances sharing a store fire each timer once) and ticks each. A
// session a client moved meanwhile, or that expired, is skipped: its claim
// ends with its next save or its lease. It returns how many sessions took
// a step. Every Tick runs to its end even when ctx is cancelled, so that
// no step is left half taken; ctx stops the claiming.
func (h *Host) FireDue(ctx context.Context, lease time.Duration, limit int) (int, error) {
	ss, ok := h.cfg.Store.(ServerStore)
	if !ok {
		return 0, ErrNoServerStore
	}
	ids, err := ss.ClaimDue(ctx, h.cfg.Now(), lease, limit)
	if err != nil {
		return 0, fmt.Errorf("claim due timers: %w", err)
	}
	step := context.WithoutCancel(ctx)
	fired := 0
	var errs []error
	for _, id := range ids {
		v, err := h.Tick(step, id)
		switch {
		case err == nil:
			if v.Entries != nil {
				fired++
			}
		case errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired):
		default:
			errs = append(errs, err)
		}
	}
	return fired, errors.Join(errs...)
}

// Reap deletes up to limit sessions whose expiry has passed, with their
// logs, effects and remembered requests, lets go of the flow versions they
// held in the catalog, and returns how many it deleted.
func (h *Host) Reap(ctx context.Context, limit int) (int, error) {
	ss, ok := h.cfg.Store.(ServerStore)
	if !ok {
		return 0, ErrNoServerStore
	}
	gone, err := ss.Reap(ctx, h.cfg.Now(), limit)
	for _, r := range gone {
		h.cfg.Catalog.Release(r.Hash, r.ID)
	}
	return len(gone), err
}

// PruneVersions deletes from the catalog's archive the flow versions no
// session needs any more: neither current, nor held in this process, nor
// the version of a session in the store that has not ended
// (catalog.Catalog.PruneArchive). It returns the hashes it deleted.
//
// Prune only an archive of this process's own: with one that several
// processes share, another may have archived a version it is about to
// save a session on, and will not archive it again.
func (h *Host) PruneVersions(ctx context.Context) ([]string, error) {
	ss, ok := h.cfg.Store.(ServerStore)
	if !ok {
		return nil, ErrNoServerStore
	}
	inUse, err := ss.Hashes(ctx)
	if err != nil {
		return nil, err
	}
	return h.cfg.Catalog.PruneArchive(ctx, inUse)
}

// SweepOptions configures Sweep. The zero value works.
type SweepOptions struct {
	// Every is how often due timers are looked for; zero means a second.
	Every time.Duration
	// Lease is how long a claimed timer is an instance's to fire; zero
	// means a minute.
	Lease time.Duration
	// Batch is how many sessions one claim takes; zero means 100.
	Batch int
	// ReapEvery is how often expired sessions are deleted; zero means a
	// minute.
	ReapEvery time.Duration
	// OnError is told of what a round could not do; nil drops it.
	OnError func(error)
}

// Sweep fires due timers and reaps expired sessions until ctx is done,
// then returns once the step in progress, if any, is saved. A round that
// claims a full batch is followed at once by another.
func (h *Host) Sweep(ctx context.Context, opts SweepOptions) {
	if opts.Every <= 0 {
		opts.Every = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.ReapEvery <= 0 {
		opts.ReapEvery = time.Minute
	}
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	fire := time.NewTicker(opts.Every)
	defer fire.Stop()
	reap := time.NewTicker(opts.ReapEvery)
	defer reap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-fire.C:
			for ctx.Err() == nil {
				n, err := h.FireDue(ctx, opts.Lease, opts.Batch)
				if err != nil {
					opts.OnError(err)
				}
				if n < opts.Batch || err != nil {
					break
				}
			}
		case <-reap.C:
			for ctx.Err() == nil {
				n, err := h.Reap(ctx, opts.Batch)
				if err != nil {
					opts.OnError(fmt.Errorf("reap: %w", err))
				}
				if n < opts.Batch || err != nil {
					break
				}
			}
		}
	}
}
