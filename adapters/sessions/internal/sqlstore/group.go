package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetherflow/tether/host"
)

// MaxGroup bounds how many commits one group writes.
const MaxGroup = 64

// Pending is a Save waiting for the group it is written in.
type Pending struct {
	Ctx    context.Context
	Commit *host.Commit
	// Query and Args are the store's statement for the commit, as the
	// store made them.
	Query string
	Args  []any
	// Done takes the commit's outcome; it is buffered.
	Done chan error
	// state is queued, taken (the writer is writing it) or given up (its
	// Save returned before the writer took it, which then skips it).
	state atomic.Int32
}

// The states of a Pending.
const (
	queued int32 = iota
	taken
	givenUp
)

// NewPending returns the Pending of a Save of c under ctx.
func NewPending(ctx context.Context, c *host.Commit, query string, args []any) *Pending {
	return &Pending{Ctx: ctx, Commit: c, Query: query, Args: args, Done: make(chan error, 1)}
}

// Groups writes the Saves that arrive while a group is being written
// together in the next group (group commit), with write, on a goroutine of
// its own: write tells each Pending its outcome.
type Groups struct {
	write   func(ctx context.Context, batch []*Pending)
	queue   chan *Pending
	quit    chan struct{}
	stopped chan struct{}
	life    context.Context
	endLife context.CancelFunc
	once    sync.Once
}

// NewGroups starts the writer; Close stops it. write gets a context that
// ends at Close, for what the group as a whole waits for.
func NewGroups(write func(ctx context.Context, batch []*Pending)) *Groups {
	g := &Groups{write: write, queue: make(chan *Pending), quit: make(chan struct{}), stopped: make(chan struct{})}
	g.life, g.endLife = context.WithCancel(context.Background())
	go g.run()
	return g
}

// Save queues p and waits for its outcome. When p.Ctx ends before the
// writer takes p, Save returns at once and p is never written; once taken,
// Save waits for p's statements (which the store may run to their end
// even when p.Ctx ends meanwhile) and returns how they went: a Save that
// gave up has not been written behind its back.
func (g *Groups) Save(p *Pending) error {
	id := p.Commit.Record.ID
	select {
	case g.queue <- p:
	case <-g.quit:
		return fmt.Errorf("save session %s: the store is closed", id)
	case <-p.Ctx.Done():
		return fmt.Errorf("save session %s: %w", id, p.Ctx.Err())
	}
	select {
	case err := <-p.Done:
		return err
	case <-p.Ctx.Done():
		if p.state.CompareAndSwap(queued, givenUp) {
			return fmt.Errorf("save session %s: %w", id, p.Ctx.Err())
		}
		return <-p.Done
	}
}

// Close stops the writer once the group it writes, if any, is written.
func (g *Groups) Close() {
	g.once.Do(func() {
		close(g.quit)
		<-g.stopped
		g.endLife()
	})
}

func (g *Groups) run() {
	defer close(g.stopped)
	batch := make([]*Pending, 0, MaxGroup)
	for {
		select {
		case p := <-g.queue:
			batch = append(batch[:0], p)
		more:
			for len(batch) < MaxGroup {
				select {
				case p := <-g.queue:
					batch = append(batch, p)
				default:
					break more
				}
			}
			g.write(g.life, batch)
		case <-g.quit:
			return
		}
	}
}

// Live takes the commits of batch whose Save has not been given up, and
// returns them; the writer must then tell each its outcome. The others
// are told they were given up.
func Live(batch []*Pending) []*Pending {
	live := batch[:0:0]
	for _, p := range batch {
		if err := p.Ctx.Err(); err != nil || !p.state.CompareAndSwap(queued, taken) {
			if err == nil {
				err = context.Canceled
			}
			p.state.Store(givenUp)
			p.Done <- fmt.Errorf("save session %s: %w", p.Commit.Record.ID, err)
			continue
		}
		live = append(live, p)
	}
	return live
}

// GroupContext returns a context for what a group of commits waits for as
// a whole (a lock, a pipeline): it ends with life, or once every commit's
// own context has ended, when no Save waits for the group any more, until
// detach is called. cancel ends it; a transaction begun under it lives
// until then.
func GroupContext(life context.Context, batch []*Pending) (ctx context.Context, detach func(), cancel context.CancelFunc) {
	ctx, cancel = context.WithCancel(life)
	var left atomic.Int32
	left.Store(int32(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, p := range batch {
		stops[i] = context.AfterFunc(p.Ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
	}, cancel
}
