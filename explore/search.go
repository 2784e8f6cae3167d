package explore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tetherflow/tether/engine"
)

// errCut stops a run at a bound; errPeek stops one at an action decision
// whose configuration the search needs to see (see explorer.look).
var (
	errCut  = errors.New("path cut short")
	errPeek = errors.New("stopped to see the configuration an action runs in")
)

// explorer drives the depth-first search by running the flow with a prefix
// of decisions: prefix[i] is the option taken at decision i, width[i] how
// many options decision i had. A decision point beyond the prefix takes its
// first option and extends both. A run resumes from the checkpoint at the
// last prompt the prefix shares with the run before (a snapshot): decisions
// made inside actions happen in the middle of a step, where a session
// cannot be restored.
type explorer struct {
	max    int // MaxVisits
	dedup  bool
	slack  int // more decisions than this in one path means some state was visited too often
	prefix []int
	width  []int

	visits            []int32           // decisions per state (by stateID) in this run
	extraIDs          map[[2]string]int // stateID of states the model does not know
	cutAt             int               // decision index where the run stops; -1 none
	cutFlow, cutState string
	cutEnd            PathEnd // EndCut or EndLoop
	cutWaiting        bool
	seen              map[string]bool // configurations decided in: at the prompts of this run; with Dedup, of every run, and at actions too
	key               []byte          // config's buffer
	cps               []checkpoint    // at the prompts of the last run, in order
	m                 *model
	// peek is the new action decision a run stopped at to see its
	// configuration, and its number of options; -1 none.
	peek, peekWidth int
	// loopAt is the first action decision of the run in a configuration
	// decided in before, from which the path follows first options; -1
	// none. A path cut after it ends there as a loop instead (see path).
	loopAt              int
	loopFlow, loopState string
	// steps and branches are the blocks Path.Steps and Path.Branches are
	// cut from (see carve).
	steps    []PathStep
	branches []BranchKey
	scratch  *engine.Snapshot // see snapshot
}

// explorer returns an explorer whose search is held to the subtree under
// prefix (the options taken at the first decisions), and its scripted
// runner.
func (m *model) explorer(opts PathOptions, start time.Time, prefix []int) (*explorer, *scripted) {
	x := &explorer{max: opts.MaxVisits, m: m, dedup: opts.Dedup, peek: -1, loopAt: -1}
	for _, k := range prefix {
		// One option wide: backtracking never leaves the subtree.
		x.prefix, x.width = append(x.prefix, k), append(x.width, k+1)
	}
	r := newScripted(m, start, x.choose, nil)
	r.known = x.known
	x.slack = opts.MaxVisits*m.decisions + 1
	return x, r
}

// resume prepares the next run: it returns the checkpoint at the last
// prompt before the decision the prefix changes (nil to start afresh) and
// recounts the visits and configurations of the path up to there.
func (x *explorer) resume(r *scripted) *checkpoint {
	x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = -1, "", "", EndCut, false
	if x.seen == nil {
		x.seen = map[string]bool{}
	}
	clear(x.visits)
	if !x.dedup {
		clear(x.seen)
	}
	branch := len(x.prefix) - 1
	if branch < x.loopAt {
		x.loopAt = -1
	}
	n := len(x.cps)
	for n > 0 && x.cps[n-1].at > branch {
		n--
	}
	x.cps = x.cps[:n]
	if n == 0 {
		return nil
	}
	cp := &x.cps[n-1]
	for i := range r.made[:cp.at] {
		x.visits[x.decisionID(&r.made[i])]++
	}
	if !x.dedup { // with Dedup they stay seen from run to run
		for _, c := range x.cps[:n-1] {
			x.seen[c.key] = true
		}
	}
	return cp
}

// config returns a key for the session's whole state: the flow and state,
// variables and timers of each frame, leaving out the variables that
// cannot be read again before they are set (flowModel.live): sessions
// that differ only in those go on alike. The clock is part of it, since
// guards may read it; where every flow uses it only through distances
// (model.relative), the key holds how far each Time variable and timer is
// from the clock instead, so that sessions that got to the same place at
// different times are one configuration. The key starts with at, which
// tells a prompt's configuration from an action's. It is x.key's buffer,
// valid until the next call: the seen map is looked up with it without a
// copy, and copies it only to add a key.
func (x *explorer) config(at byte, snap *engine.Snapshot, now time.Time) []byte {
	x.key = x.m.appendConfig(x.key[:0], at, snap, now)
	return x.key
}

// appendConfig appends the key of the configuration snap shows at now to
// k (see explorer.config).
func (m *model) appendConfig(k []byte, at byte, snap *engine.Snapshot, now time.Time) []byte {
	k = append(k, at)
	rel := m.relative
	if !rel {
		k = now.UTC().AppendFormat(k, time.RFC3339Nano)
	}
	k = append(k, '\n')
	for _, fr := range snap.Frames {
		k = append(k, fr.Flow...)
		k = append(k, '/')
		k = append(k, fr.State...)
		fm := m.flows[fr.Flow] // newModel walked every flow a session of root runs
		for _, i := range m.keyVars(fm, fr.State) {
			k = append(k, ' ')
			v := fr.Vars[fm.vars[i]]
			if t, ok := v.(time.Time); ok && rel && fm.time[i] {
				k = appendSince(k, t, now) // a zero time is as far as can be
				continue
			}
			k = appendKeyValue(k, v)
		}
		for _, t := range fr.Timers {
			k = append(k, ' ')
			if rel {
				k = appendSince(k, t.Due, now)
			} else {
				k = t.Due.AppendFormat(k, time.RFC3339Nano)
			}
		}
		k = append(k, '\n')
	}
	return k
}

// The first byte of a configuration key: where the session decides.
const (
	atPrompt = 'p'
	atAction = 'a'
)

// appendSince appends how far t is from now (time.Time.Sub: a distance
// over about 292 years is the longest duration, as expressions see it).
func appendSince(b []byte, t, now time.Time) []byte {
	b = append(b, '@')
	return strconv.AppendInt(b, int64(t.Sub(now)), 10)
}

func appendKeyValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		// Length first: unambiguous, and cheaper than quoting.
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, '"')
		return append(b, x...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case bool:
		return strconv.AppendBool(b, x)
	}
	return fmt.Appendf(b, "%#v", v)
}

func (x *explorer) choose(r *scripted, d *decision, options []string) (int, error) {
	i := len(r.made)
	if d.kind != StepOutcome {
		if n := len(x.cps); n == 0 || x.cps[n-1].at != i { // not resumed here
			snap := x.snapshot(r.s)
			k := x.config(atPrompt, snap, r.now)
			if x.seen[string(k)] {
				x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = i, d.flow, d.state, EndLoop, true
				return 0, errCut
			}
			x.scratch = nil // the checkpoint keeps it
			x.cps = append(x.cps, checkpoint{at: i, snap: snap, now: r.now, logLen: r.logLen, key: string(k)})
		}
		x.seen[x.cps[len(x.cps)-1].key] = true
		if int(x.visits[x.stateID(d.flow, d.state)]) >= x.max {
			x.cutAt, x.cutFlow, x.cutState, x.cutWaiting = i, d.flow, d.state, true
			return 0, errCut
		}
	}
	if d.kind == StepOutcome && x.dedup && i >= len(x.prefix) {
		// A loop of run states has no prompt to stop at: with Dedup, an
		// action decision in a configuration a path has decided in before
		// is not branched at. Only the session can tell that
		// configuration: a snapshot taken inside the action shows it. In
		// Start's step, whose session is not known yet, stop here and look
		// once the step is over.
		if r.live == nil {
			x.peek, x.peekWidth = i, len(options)
			return 0, errPeek
		}
		x.decideAt(i, x.snapshot(r.live), r.now, len(options))
		return 0, nil
	}
	if i >= x.slack {
		return 0, errCut // the visits counted after the run tell where
	}
	if i < len(x.prefix) {
		return x.prefix[i], nil
	}
	x.prefix = append(x.prefix, 0)
	x.width = append(x.width, len(options))
	return 0, nil
}

// look finishes a run that stopped to see the configuration of a new
// action decision: the session failed as the action was called, so its
// snapshot shows the frames, variables and timers the action ran in. The
// decision is made there (decideAt) and look reports that the run is to be
// made again, on from there.
func (x *explorer) look(r *scripted, err error) (again bool) {
	i := x.peek
	x.peek = -1
	if i < 0 || !errors.Is(err, errPeek) {
		return false
	}
	x.decideAt(i, x.snapshot(r.s), r.now, x.peekWidth)
	return true
}

// decideAt makes new action decision i, of width options, in the
// configuration snap shows: it takes the first option; in a configuration
// a path has decided in before, it is one option wide (never branched at:
// every option was explored there) and the path follows first options on
// (see loopAt).
func (x *explorer) decideAt(i int, snap *engine.Snapshot, now time.Time, width int) {
	k := x.config(atAction, snap, now)
	if x.seen[string(k)] {
		// Every option here was explored where this configuration was
		// first decided in. The path goes on with the first, without
		// branching, to the next prompt (where it ends as a loop, with
		// the session waiting, so that it can be replayed and the
		// branches it took on the way count) or to its end.
		width = 1
		if x.loopAt < 0 {
			top := snap.Frames[len(snap.Frames)-1]
			x.loopAt, x.loopFlow, x.loopState = i, top.Flow, top.State
		}
	} else {
		x.seen[string(k)] = true
	}
	x.prefix = append(x.prefix, 0)
	x.width = append(x.width, width)
}

// snapshot returns a snapshot of s in the explorer's scratch one: most are
// looked at for their configuration and dropped, and a checkpoint that
// keeps one takes it (choose).
func (x *explorer) snapshot(s *engine.Session) *engine.Snapshot {
	if x.scratch == nil {
		x.scratch = new(engine.Snapshot)
	}
	s.SnapshotTo(x.scratch)
	return x.scratch
}

// next makes runs until one is a path, and returns it.
func (x *explorer) next(ctx context.Context, r *scripted) Path {
	for {
		err := r.run(ctx, x.resume(r))
		if !x.look(r, err) {
			return x.path(r, err)
		}
	}
}

// known counts the visit of decision k once its state is known (in order)
// and stops the run at the first one over the bound. Decisions made inside
// a step past that one are thrown away with the rest of the run.
func (x *explorer) known(r *scripted, k int) error {
	d := &r.made[k]
	id := x.decisionID(d)
	x.visits[id]++
	if int(x.visits[id]) > x.max {
		x.cutAt, x.cutFlow, x.cutState = k, d.flow, d.state
		return errCut
	}
	return nil
}

// stateID numbers the state of a flow, from 0, and makes room for it in
// visits.
func (x *explorer) stateID(flow, state string) int {
	id, ok := 0, false
	if fm := x.m.flows[flow]; fm != nil {
		id, ok = fm.ids[state]
	}
	if !ok {
		key := [2]string{flow, state}
		if id, ok = x.extraIDs[key]; !ok {
			if x.extraIDs == nil {
				x.extraIDs = map[[2]string]int{}
			}
			id = x.m.states + len(x.extraIDs)
			x.extraIDs[key] = id
		}
	}
	if id >= len(x.visits) {
		x.visits = append(x.visits, make([]int32, id+1-len(x.visits))...)
	}
	return id
}

// decisionID is the stateID of d's state, looked up once.
func (x *explorer) decisionID(d *decision) int {
	if d.sid == 0 {
		d.sid = 1 + x.stateID(d.flow, d.state)
	}
	return d.sid - 1
}

// path turns the run just made into a Path, cut where the bound says.
func (x *explorer) path(r *scripted, err error) Path {
	p := Path{}
	logLen := r.logLen
	n := len(r.made)
	if errors.Is(err, errCut) && x.cutAt < 0 {
		// The slack ran out before the visits showed where: cut at the end.
		x.cutAt = n
		if re, ok := errors.AsType[*engine.RunError](err); ok {
			x.cutFlow, x.cutState = re.Flow, re.State
		}
	}
	if x.loopAt >= 0 && x.cutAt >= x.loopAt && x.cutEnd == EndCut {
		// Cut while following first options from a configuration decided
		// in before: nothing was left unexplored, so the path is a loop
		// back to it, as it was when it got there.
		x.cutAt, x.cutFlow, x.cutState, x.cutEnd, x.cutWaiting = x.loopAt, x.loopFlow, x.loopState, EndLoop, false
	}
	if x.cutAt >= 0 && x.cutAt <= n {
		n = x.cutAt
		p.End, p.Flow, p.State, p.Waiting = x.cutEnd, x.cutFlow, x.cutState, x.cutWaiting
		if n < len(r.made) && r.made[n].logAt >= 0 {
			logLen = r.made[n].logAt
		}
		// Nothing past the cut belongs to the path: do not branch there.
		if len(x.prefix) > n {
			x.prefix, x.width = x.prefix[:n], x.width[:n]
		}
	}
	p.Steps = carve(&x.steps, n)
	for i, d := range r.made[:n] {
		p.Steps[i] = d.step()
	}
	if p.End == "" {
		switch {
		case err != nil:
			p.End, p.Err = EndError, err
		case r.s.Err() != nil:
			p.End, p.Err = EndError, r.s.Err()
		default:
			p.End, p.Outcome = EndOutcome, r.s.Current().Outcome
		}
	}
	if bs := r.branches[:r.nbranch[logLen]]; bs != nil {
		p.Branches = carve(&x.branches, len(bs))
		copy(p.Branches, bs)
	}
	return p
}

// carve returns the next n elements of the block *buf, a new block when it
// is full: the paths' steps and branches are cut from a few large blocks,
// not allocated one path at a time. Each slice's capacity ends with it, so
// that an append to one cannot write into the next.
func carve[T any](buf *[]T, n int) []T {
	b := *buf
	if b == nil || cap(b)-len(b) < n {
		b = make([]T, 0, max(n, 4096))
	}
	*buf = b[:len(b)+n]
	return b[len(b) : len(b)+n : len(b)+n]
}

// backtrack moves the prefix to the next unexplored option, deepest first.
func (x *explorer) backtrack() bool {
	for i := len(x.prefix) - 1; i >= 0; i-- {
		if x.prefix[i]+1 < x.width[i] {
			x.prefix[i]++
			x.prefix, x.width = x.prefix[:i+1], x.width[:i+1]
			return true
		}
	}
	return false
}

// pending counts the options not yet explored.
func (x *explorer) pending() int {
	n := 0
	for i := range x.prefix {
		n += x.width[i] - 1 - x.prefix[i]
	}
	return n
}
