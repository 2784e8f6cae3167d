package explore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
)

// ProveOptions bounds Prove. The zero value works.
type ProveOptions struct {
	// MaxConfigs stops the search after this many configurations. Zero
	// means DefaultMaxConfigs.
	MaxConfigs int
	// Start is the session clock's time at the start. Zero means
	// DefaultPathStart.
	Start time.Time
}

// DefaultMaxConfigs is the budget of a proof: far more configurations
// than the shipped flows have in any region (docs/properties.md).
const DefaultMaxConfigs = 1_000_000

// Proof is what Prove found: a verdict for each of the flow's properties.
type Proof struct {
	Flow string
	// Configs and Edges count the configurations the search reached and
	// the decisions between them.
	Configs, Edges int
	// Cut says MaxConfigs stopped the search: a violation it found is
	// real, but a property it found none of is not proven.
	Cut        bool
	MaxConfigs int
	Verdicts   []Verdict
}

// Status says what a search decided of a property.
type Status string

// The verdicts of a proof.
const (
	Holds    Status = "holds"    // no reachable configuration breaks it
	Violated Status = "violated" // one does: Verdict.Path leads there
	Unknown  Status = "unknown"  // the search was cut before it found either
	Failed   Status = "failed"   // evaluating it failed on a path (Verdict.Err)
)

// Verdict is what a proof says of one property.
type Verdict struct {
	Name, Message string
	Status        Status
	// Vacuous says the property's premise (when:) held at no point of any
	// path: it holds, but says nothing.
	Vacuous bool
	// Why says what breaks it, for ends: a session error, a cycle of
	// action states, or a configuration no final state can be reached
	// from; empty for the others.
	Why string
	// Path is the counterexample: a path that breaks the property, on to
	// the next prompt (where it waits) or the end, as tether replay
	// --path runs it. At is how many of its steps lead to the point
	// where the property broke (all of them for ends).
	Path *PathFile
	At   int
	// Err is the evaluation error of a Failed verdict.
	Err error
}

// Prove searches every configuration a session of fl can reach, in its
// policy, and decides each of the flow's properties there (see
// docs/properties.md). A configuration is a session's states, variables
// that may still be read and its timers (as distances from the clock,
// where the flow reads the clock only so), with the values of the
// properties' monitors; equal configurations are searched once, so the
// search is complete and finite: loops that count to a policy value are
// followed to it, not unrolled. Actions run scripted, as in Paths, and
// return each declared outcome with each combination of the bool outputs
// that a guard, a bool variable or a property reads (other outputs at
// their zero values). At a prompt each choice is taken, its timer fired,
// and, where a guard reads the clock, time let pass half way to the
// timer (not twice in a row).
//
// Prove returns an error only when ctx ends.
func Prove(ctx context.Context, fl *engine.Flow, opts ProveOptions) (*Proof, error) {
	if opts.MaxConfigs <= 0 {
		opts.MaxConfigs = DefaultMaxConfigs
	}
	start, err := pathStart(opts.Start)
	if err != nil {
		return nil, err
	}
	p := newProver(fl, opts.MaxConfigs)
	p.r = newScripted(p.m, start, p.choose, p.vary())
	if err := p.search(ctx); err != nil {
		return nil, err
	}
	return p.proof(), nil
}

// pnode is one configuration of the search: a session about to decide
// at a prompt or an action, or ended.
type pnode struct {
	kind        byte // atPrompt, atAction, atEnd
	flow, state string
	// in is the edge the search first reached the node by: from node in[0],
	// its edge in[1] (-1 for the start).
	in    [2]int32
	mons  []int // the monitors' values here, every property's in turn
	width int   // options at a prompt
	// cp is a prompt's checkpoint, until the search expands it.
	cp     *checkpoint
	paused bool // a prompt reached by letting time pass
	final  bool // an end with an outcome (not an error)
	err    string
}

// pedge is one decision from a node.
type pedge struct {
	to   int32
	step PathStep
	at   int // the decision's index in the run that made it, until its step is known
}

// The first byte of an end's key.
const atEnd = 'e'

type prover struct {
	m     *model
	r     *scripted
	props []flowinfo.Property
	offs  []int // where each property's monitors start in pnode.mons
	nmon  int
	max   int

	nodes []pnode
	edges [][]pedge
	seen  map[string]int32
	queue []int32
	cut   bool

	// The run being made: the node at each of its decisions, the options
	// taken and their number; edges made whose steps are known once it
	// is over.
	chain         []int32
	prefix, width []int
	pending       [][2]int32
	peekAt        int
	peekWidth     int
	key           []byte
	scratch       *engine.Snapshot
	monBuf        []int
	// results holds an action's outputs for each combination of its
	// varying ones (its name, then outcomeOptions' suffix).
	results map[string]map[string]any

	// By property: whether its premise held somewhere; its first
	// violation (the edge into the point, or -1 for the start) and the
	// error evaluating it.
	whenSeen []bool
	broken   [][2]int32
	evalErr  []error
}

func newProver(fl *engine.Flow, max int) *prover {
	m := newModel(fl)
	info := fl.Info()
	p := &prover{m: m, max: max, seen: map[string]int32{}, results: map[string]map[string]any{}, peekAt: -1}
	var keep []string
	for _, pr := range info.Properties {
		p.props = append(p.props, pr)
		p.offs = append(p.offs, p.nmon)
		p.nmon += len(pr.Monitors)
		keep = append(keep, pr.Vars...)
	}
	m.decisive(keep)
	n := len(p.props)
	p.whenSeen, p.evalErr = make([]bool, n), make([]error, n)
	p.broken = make([][2]int32, n)
	for i := range p.broken {
		p.broken[i] = [2]int32{-2, -2} // none yet
	}
	return p
}

// vary lists, by action and outcome, the bool outputs the search gives
// both values: those a handler of the outcome decides by, and those a
// property reads.
func (p *prover) vary() map[[2]string][]string {
	read := map[string]bool{}
	for _, pr := range p.props {
		for _, r := range pr.Results {
			read[r] = true
		}
	}
	decides := map[[2]string]map[string]bool{}
	for _, fm := range p.m.flows {
		for _, st := range fm.states {
			if st.Subflow != nil || st.Run == "" {
				continue
			}
			for _, h := range st.Handlers {
				k := [2]string{st.Run, h.Event}
				if decides[k] == nil {
					decides[k] = map[string]bool{}
				}
				for _, d := range h.Decides {
					decides[k][d] = true
				}
			}
		}
	}
	vary := map[[2]string][]string{}
	for _, spec := range p.m.specs {
		for _, o := range spec.Outcomes {
			k := [2]string{spec.Name, o}
			for _, out := range p.m.boolOuts[spec.Name] {
				if read[out] || decides[k][out] {
					vary[k] = append(vary[k], out)
				}
			}
		}
	}
	return vary
}

// search expands the start, then every prompt configuration it reaches,
// breadth first: each expansion explores every way on from the prompt
// through the actions after it, depth first, to the next prompts.
func (p *prover) search(ctx context.Context) error {
	if err := p.expand(ctx, -1); err != nil {
		return err
	}
	for len(p.queue) > 0 && !p.cut {
		id := p.queue[0]
		p.queue = p.queue[1:]
		if err := p.expand(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// expand explores every way on from node base (-1: the start).
func (p *prover) expand(ctx context.Context, base int32) error {
	var cp *checkpoint
	p.chain, p.prefix, p.width = p.chain[:0], p.prefix[:0], p.width[:0]
	if base >= 0 {
		n := &p.nodes[base]
		cp, n.cp = n.cp, nil
		p.chain, p.prefix, p.width = append(p.chain, base), append(p.prefix, 0), append(p.width, n.width)
		p.r.noPause = n.paused
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.pending = p.pending[:0]
		p.peekAt = -1
		err := p.r.run(ctx, cp)
		p.settle()
		if p.cut {
			return nil
		}
		switch {
		case p.peekAt >= 0:
			// Stopped inside the start's step to see an action's
			// configuration: the failed session shows it.
			if p.arrive(p.peekAt, atAction, p.snapshot(p.r.s), p.peekWidth) {
				p.settle()
				p.prefix, p.width = append(p.prefix, 0), append(p.width, p.peekWidth)
				continue // the node is new: on from it
			}
			p.settle()
		case errors.Is(err, errCut):
			// At a configuration seen before, or a new prompt.
		case errors.As(err, new(*engine.InputError)):
			// An answer the session refuses is no way on.
		default:
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			p.end(err)
			p.settle()
		}
		if p.cut || !p.backtrack() {
			return nil
		}
	}
}

// backtrack moves the run's options to the next unexplored one, deepest
// first, and forgets the nodes past it.
func (p *prover) backtrack() bool {
	for i := len(p.prefix) - 1; i >= 0; i-- {
		if p.prefix[i]+1 < p.width[i] {
			p.prefix[i]++
			p.prefix, p.width = p.prefix[:i+1], p.width[:i+1]
			p.chain = p.chain[:i+1]
			return true
		}
	}
	return false
}

// choose is the scripted runner's choice at decision i of a run: a node
// the run knows already takes the option the run is at; a new decision
// point is a configuration the search arrives at.
func (p *prover) choose(r *scripted, d *decision, options []string) (int, error) {
	i := len(r.made)
	if i < len(p.chain) {
		return p.prefix[i], nil
	}
	if p.cut {
		return 0, errCut
	}
	kind := byte(atAction)
	var snap *engine.Snapshot
	switch {
	case d.kind != StepOutcome:
		kind = atPrompt
		snap = p.snapshot(r.s)
	case r.live == nil:
		p.peekAt, p.peekWidth = i, len(options)
		return 0, errPeek
	default:
		snap = p.snapshot(r.live)
	}
	if !p.arrive(i, kind, snap, len(options)) || kind == atPrompt {
		return 0, errCut
	}
	p.prefix, p.width = append(p.prefix, 0), append(p.width, len(options))
	return 0, nil
}

// arrive is the search reaching decision point i of the run, in the
// configuration snap shows: it steps the properties over the decision
// before it and adds the edge to the configuration, new or seen before.
// It reports whether the configuration is new: then a prompt's is queued
// for expansion, an action's continues the run.
func (p *prover) arrive(i int, kind byte, snap *engine.Snapshot, width int) bool {
	from := int32(-1)
	if i > 0 {
		from = p.chain[i-1]
	}
	pt := p.point(i, snap, "")
	mons, brk := p.step(from, pt)
	paused := kind == atPrompt && i > 0 && p.r.made[i-1].kind == StepPause
	k := p.m.appendConfig(p.key[:0], kind, snap, p.r.now)
	k = appendMonitors(k, mons)
	if paused {
		k = append(k, 'p')
	}
	p.key = k
	id, seen := p.seen[string(k)]
	if !seen {
		if len(p.nodes) >= p.max {
			p.cut = true
			return false
		}
		id = p.add(pnode{kind: kind, mons: slices.Clone(mons), width: width, paused: paused}, snap)
		p.seen[string(k)] = id
		if kind == atPrompt {
			cp := &checkpoint{snap: snap, now: p.r.now} // at and logLen 0: a run starts a log of its own
			p.scratch = nil                             // the checkpoint keeps it
			p.nodes[id].cp = cp
			p.queue = append(p.queue, id)
		}
	}
	p.link(from, i-1, id, brk, !seen)
	if !seen && kind == atAction {
		p.chain = append(p.chain, id)
	}
	return !seen
}

// end is the search reaching the end of a run: the session ended with an
// outcome, or failed (err, or the session's error).
func (p *prover) end(err error) {
	i := len(p.r.made)
	s := p.r.s
	if s == nil {
		return // Start failed before it made a session
	}
	if err == nil {
		err = s.Err()
	}
	var snap *engine.Snapshot
	if s != nil {
		snap = p.snapshot(s)
	}
	key := []byte{atEnd}
	n := pnode{kind: atEnd}
	if out := s.Current().Outcome; err == nil && out != nil {
		key = append(key, out.Name...)
		n.state, n.final = out.State, true
	} else {
		n.err = "the session failed"
		if err != nil {
			n.err += ": " + err.Error()
		}
		key = append(append(key, '!'), n.err...)
	}
	from := int32(-1)
	if i > 0 {
		from = p.chain[i-1]
	}
	ended := ""
	if n.final {
		ended = s.Current().Outcome.Name
	}
	pt := p.point(i, snap, ended)
	pt.Ended = ended
	_, brk := p.step(from, pt)
	id, seen := p.seen[string(key)]
	if !seen {
		if len(p.nodes) >= p.max {
			p.cut = true
			return
		}
		id = p.add(n, nil)
		p.seen[string(key)] = id
	}
	p.link(from, i-1, id, brk, !seen)
}

// add adds node n, in the frame snap shows at its top, and returns its id.
func (p *prover) add(n pnode, snap *engine.Snapshot) int32 {
	if snap != nil && len(snap.Frames) > 0 {
		top := snap.Frames[len(snap.Frames)-1]
		n.flow, n.state = top.Flow, top.State
	}
	n.in = [2]int32{-1, -1}
	p.nodes = append(p.nodes, n)
	p.edges = append(p.edges, nil)
	return int32(len(p.nodes) - 1)
}

// link adds the edge of decision at of the run from node from to node
// to (nothing from the start), the first into to when first says so,
// and makes it the violation of the properties brk lists that have none.
func (p *prover) link(from int32, at int, to int32, brk []int, first bool) {
	ref := [2]int32{-1, -1}
	if from >= 0 {
		p.edges[from] = append(p.edges[from], pedge{to: to, at: at})
		ref = [2]int32{from, int32(len(p.edges[from]) - 1)}
		p.pending = append(p.pending, ref)
	}
	if first {
		p.nodes[to].in = ref
	}
	for _, k := range brk {
		if p.broken[k][0] == -2 {
			p.broken[k] = ref
		}
	}
}

// settle gives the edges the run made their steps, now that the run's
// log says where each decision was made.
func (p *prover) settle() {
	for _, ref := range p.pending {
		e := &p.edges[ref[0]][ref[1]]
		if e.at >= 0 && e.at < len(p.r.made) {
			e.step = p.r.made[e.at].step()
			if e.step.State == "" { // not logged: where the node was
				n := &p.nodes[ref[0]]
				e.step.Flow, e.step.State = n.flow, n.state
			}
		}
		e.at = -1
	}
	p.pending = p.pending[:0]
}

// point describes, for the properties, decision i-1 of the run and the
// configuration snap it led to (nil: none to show).
func (p *prover) point(i int, snap *engine.Snapshot, ended string) *flowinfo.Point {
	pt := &flowinfo.Point{Kind: flowinfo.PointStart, Ended: ended}
	if snap != nil && len(snap.Frames) > 0 {
		root := snap.Frames[0]
		pt.At, pt.Vars = root.State, root.Vars
	}
	if i == 0 {
		return pt
	}
	d := &p.r.made[i-1]
	from := &p.nodes[p.chain[i-1]]
	pt.State, pt.Root = from.state, from.flow == p.m.root.Name()
	switch d.kind {
	case StepOutcome:
		pt.Kind, pt.Action, pt.Name = flowinfo.PointOutcome, d.spec, d.name
		pt.Result = p.result(d.spec, d.set)
	case StepChoice:
		pt.Kind, pt.Name = flowinfo.PointChoice, d.name
	default:
		pt.Kind, pt.Name = flowinfo.PointTimer, d.name
	}
	return pt
}

// result returns the outputs of action spec with the outputs set given
// as true and the rest at their zero values, made once.
func (p *prover) result(spec, set string) map[string]any {
	key := spec + "{" + set
	if m, ok := p.results[key]; ok {
		return m
	}
	m := map[string]any{}
	for _, fm := range p.m.flows {
		for _, st := range fm.states {
			if st.Run == spec && st.Subflow == nil {
				for _, o := range st.Outputs {
					m[o.Name] = o.Kind.Zero()
				}
			}
		}
	}
	if set != "" {
		for _, o := range strings.Split(set, ",") {
			m[o] = true
		}
	}
	p.results[key] = m
	return m
}

// step steps every property over pt from the monitors of node from (none
// before the start). It returns the monitors' values at pt, in p's
// scratch space, and the properties pt breaks.
func (p *prover) step(from int32, pt *flowinfo.Point) ([]int, []int) {
	if cap(p.monBuf) < p.nmon {
		p.monBuf = make([]int, p.nmon)
	}
	next := p.monBuf[:p.nmon]
	clear(next)
	var brk []int
	for k := range p.props {
		pr := &p.props[k]
		if pr.Ends {
			continue
		}
		var prev []int
		if from >= 0 {
			prev = p.nodes[from].mons[p.offs[k] : p.offs[k]+len(pr.Monitors)]
		}
		when, holds, err := pr.Eval(prev, pt, next[p.offs[k]:p.offs[k]+len(pr.Monitors)])
		switch {
		case err != nil:
			if p.evalErr[k] == nil {
				p.evalErr[k] = err
				brk = append(brk, k)
			}
		case when:
			p.whenSeen[k] = true
			if !holds {
				brk = append(brk, k)
			}
		}
	}
	return next, brk
}

func appendMonitors(k []byte, mons []int) []byte {
	if len(mons) == 0 {
		return k
	}
	k = append(k, '#')
	for _, v := range mons {
		k = binary.AppendUvarint(k, uint64(v))
	}
	return k
}

// snapshot returns a snapshot of s in the prover's scratch one, which a
// prompt's checkpoint takes over.
func (p *prover) snapshot(s *engine.Session) *engine.Snapshot {
	if p.scratch == nil {
		p.scratch = new(engine.Snapshot)
	}
	s.SnapshotTo(p.scratch)
	return p.scratch
}

// proof turns what the search found into verdicts.
func (p *prover) proof() *Proof {
	pr := &Proof{Flow: p.m.root.Name(), Configs: len(p.nodes), Cut: p.cut, MaxConfigs: p.max}
	for _, es := range p.edges {
		pr.Edges += len(es)
	}
	for k := range p.props {
		prop := &p.props[k]
		v := Verdict{Name: prop.Name, Message: prop.Message, Status: Holds}
		switch {
		case prop.Ends:
			v = p.ends(v)
		case p.evalErr[k] != nil:
			v.Status, v.Err = Failed, p.evalErr[k]
			v.Path, v.At = p.pathThrough(p.broken[k])
		case p.broken[k][0] != -2:
			v.Status = Violated
			v.Path, v.At = p.pathThrough(p.broken[k])
		default:
			v.Vacuous = !p.whenSeen[k] && prop.When != ""
		}
		if p.cut && v.Status == Holds {
			v.Status, v.Vacuous = Unknown, false
		}
		pr.Verdicts = append(pr.Verdicts, v)
	}
	return pr
}

// ends decides an ends: property on the whole graph: a session error
// reachable, a cycle of action states, or a configuration from which no
// final state can be reached each break it.
func (p *prover) ends(v Verdict) Verdict {
	if p.cut {
		return v // Unknown, in proof
	}
	for id := range p.nodes {
		if n := &p.nodes[id]; n.kind == atEnd && !n.final {
			v.Status, v.Why = Violated, n.err
			v.Path = p.pathTo(int32(id), nil)
			v.At = len(v.Path.Steps)
			return v
		}
	}
	if cyc := p.actionCycle(); cyc != nil {
		head := cyc[0].from
		n := &p.nodes[head]
		v.Status = Violated
		v.Why = fmt.Sprintf("a cycle of action states, from %s, where neither a prompt nor a timer waits: the session can run on without end", n.state)
		v.Path = p.pathTo(head, cyc)
		v.At = len(v.Path.Steps)
		return v
	}
	can := p.canEnd()
	for id := range p.nodes {
		if !can[id] {
			n := &p.nodes[id]
			v.Status = Violated
			v.Why = fmt.Sprintf("from %s no final state can be reached, whatever the person answers", n.state)
			v.Path = p.pathTo(int32(id), nil)
			v.At = len(v.Path.Steps)
			return v
		}
	}
	return v
}

// canEnd marks the nodes from which a final end is reachable.
func (p *prover) canEnd() []bool {
	rev := make([][]int32, len(p.nodes))
	for from, es := range p.edges {
		for _, e := range es {
			rev[e.to] = append(rev[e.to], int32(from))
		}
	}
	can := make([]bool, len(p.nodes))
	var work []int32
	for id := range p.nodes {
		if n := &p.nodes[id]; n.kind == atEnd && n.final {
			can[id] = true
			work = append(work, int32(id))
		}
	}
	for len(work) > 0 {
		id := work[len(work)-1]
		work = work[:len(work)-1]
		for _, from := range rev[id] {
			if !can[from] {
				can[from] = true
				work = append(work, from)
			}
		}
	}
	return can
}

// hop is one edge of a path: from a node, its edge.
type hop struct {
	from int32
	edge int
}

// actionCycle returns a cycle of edges between action configurations,
// from the first node on one, or nil when there is none.
func (p *prover) actionCycle() []hop {
	// Iterative depth-first search for a back edge among action nodes.
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(p.nodes))
	onStack := make([]hop, 0, 64)
	for root := range p.nodes {
		if p.nodes[root].kind != atAction || color[root] != white {
			continue
		}
		type frame struct {
			id   int32
			next int
		}
		stack := []frame{{id: int32(root)}}
		color[root] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			es := p.edges[f.id]
			if f.next >= len(es) {
				color[f.id] = black
				stack = stack[:len(stack)-1]
				if len(onStack) > 0 {
					onStack = onStack[:len(onStack)-1]
				}
				continue
			}
			e := es[f.next]
			h := hop{from: f.id, edge: f.next}
			f.next++
			if p.nodes[e.to].kind != atAction {
				continue
			}
			switch color[e.to] {
			case grey:
				// A back edge: the cycle runs from e.to round to f.id.
				var cyc []hop
				start := -1
				for j, s := range stack {
					if s.id == e.to {
						start = j
					}
				}
				for j := start; j < len(stack)-1; j++ {
					cyc = append(cyc, hop{from: stack[j].id, edge: stack[j].next - 1})
				}
				return append(cyc, h)
			case white:
				color[e.to] = grey
				onStack = append(onStack, h)
				stack = append(stack, frame{id: e.to})
			}
		}
	}
	return nil
}

// pathThrough returns the path through the edge ref (from the start for
// -1) on to the next prompt or end, and how many of its steps lead to
// the edge's end.
func (p *prover) pathThrough(ref [2]int32) (*PathFile, int) {
	if ref[0] < 0 {
		pf := p.pathTo(0, nil)
		return pf, 0
	}
	e := p.edges[ref[0]][ref[1]]
	steps := p.stepsTo(ref[0])
	steps = append(steps, e.step)
	at := len(steps)
	pf := p.onward(e.to, steps)
	return pf, at
}

// pathTo returns the path to node id, then round the hops of cyc, on to
// the next prompt or end.
func (p *prover) pathTo(id int32, cyc []hop) *PathFile {
	steps := p.stepsTo(id)
	for _, h := range cyc {
		steps = append(steps, p.edges[h.from][h.edge].step)
	}
	return p.onward(id, steps)
}

// stepsTo returns the steps by which the search first reached node id.
func (p *prover) stepsTo(id int32) []PathStep {
	var rev []PathStep
	for id >= 0 {
		in := p.nodes[id].in
		if in[0] < 0 {
			break
		}
		rev = append(rev, p.edges[in[0]][in[1]].step)
		id = in[0]
	}
	slices.Reverse(rev)
	return rev
}

// onward completes steps, which lead to node id, with the shortest way on
// from there to a prompt (where the path stops, waiting) or an end.
func (p *prover) onward(id int32, steps []PathStep) *PathFile {
	type back struct {
		from int32
		step PathStep
	}
	prev := map[int32]back{id: {from: -1}}
	work := []int32{id}
	stop := int32(-1)
	for len(work) > 0 && stop < 0 {
		n := work[0]
		work = work[1:]
		if p.nodes[n].kind != atAction {
			stop = n
			break
		}
		for _, e := range p.edges[n] {
			if _, ok := prev[e.to]; !ok {
				prev[e.to] = back{from: n, step: e.step}
				work = append(work, e.to)
			}
		}
	}
	pf := &PathFile{Steps: steps}
	if stop < 0 {
		return pf // no way on: a replay stops at the action
	}
	var more []PathStep
	for n := stop; prev[n].from >= 0; n = prev[n].from {
		more = append(more, prev[n].step)
	}
	slices.Reverse(more)
	pf.Steps = append(pf.Steps, more...)
	if sn := &p.nodes[stop]; sn.kind == atPrompt {
		root := p.m.root.Name()
		flow := sn.flow
		if flow == root {
			flow = ""
		}
		pf.Wait = &PathStep{Flow: flow, State: sn.state}
	}
	return pf
}

// decisive holds a configuration's key to the variables that can decide
// something: those that may be read again (flowModel.live) and that a
// guard, a timer's delay, a field's condition, a choice's availability,
// a subflow's parameter (flowinfo.State.Decides) or a property of the
// root flow (keep) reads, directly or through assignments to such
// variables. The rest are only shown or passed to actions: sessions that
// differ in them alone go on alike, as far as any property can tell.
func (m *model) decisive(keep []string) {
	for name, want := range m.decisiveVars(keep) {
		fm := m.flows[name]
		for state, live := range fm.live {
			var kept []int
			for i, v := range fm.vars {
				// What a property reads, it reads at every point.
				if want[v] && (slices.Contains(live, i) || name == m.root.Name() && slices.Contains(keep, v)) {
					kept = append(kept, i)
				}
			}
			fm.live[state] = kept
		}
	}
}

// decisiveVars returns, by flow, the variables that can decide something
// (see decisive), keep being the root's that properties read.
func (m *model) decisiveVars(keep []string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for name, fm := range m.flows {
		want := map[string]bool{}
		out[name] = want
		if name == m.root.Name() {
			for _, v := range keep {
				want[v] = true
			}
		}
		for _, st := range fm.states {
			for _, v := range st.Decides {
				want[v] = true
			}
		}
		for changed := true; changed; {
			changed = false
			for _, st := range fm.states {
				each := func(b flowinfo.Branch) {
					for i, v := range b.Sets {
						if !want[v] || i >= len(b.SetReads) {
							continue
						}
						for _, r := range b.SetReads[i] {
							if !want[r] {
								want[r], changed = true, true
							}
						}
					}
				}
				eachBranch(st, each)
			}
		}
	}
	return out
}

// DecisivePolicy returns the policy values of fl and of the subflows it
// runs that can change what Prove finds, keyed "flow.key": those a guard,
// a timer's delay, a field's condition, a choice's availability, a
// subflow's parameter or a property reads, or an assignment to a variable
// that can decide something. The others are only shown or passed to
// actions. Two regions whose values agree here have the same proof, so
// one of them need be searched.
func DecisivePolicy(fl *engine.Flow) map[string]any {
	m := newModel(fl)
	info := fl.Info()
	var keep []string
	for _, p := range info.Properties {
		keep = append(keep, p.Vars...)
	}
	vars := m.decisiveVars(keep)
	out := map[string]any{}
	var walk func(f *flowinfo.Flow, seen map[string]bool)
	walk = func(f *flowinfo.Flow, seen map[string]bool) {
		if seen[f.Name] {
			return
		}
		seen[f.Name] = true
		var srcs []string
		add := func(e *syntax.Expr) {
			if e != nil {
				srcs = append(srcs, e.Src)
			}
		}
		branches := func(bs []*syntax.Branch) {
			for _, b := range bs {
				add(b.If)
				for _, a := range b.Set {
					if vars[f.Name][a.Name] {
						add(a.Expr)
					}
				}
			}
		}
		for _, d := range f.File.States {
			for _, h := range d.On {
				branches(h.Branches)
			}
			for _, t := range d.After {
				add(t.Delay)
				branches(t.Branches)
			}
			if d.Ask != nil {
				for _, fd := range d.Ask.Fields {
					add(fd.If)
				}
				for _, ch := range d.Ask.Choices {
					add(ch.AvailableAt)
				}
			}
			if _, ok := d.Subflow(); ok {
				for _, a := range d.With {
					add(a.Expr)
				}
			}
		}
		if f == info {
			for _, p := range f.Properties {
				srcs = append(srcs, p.When, p.Require)
			}
		}
		for _, src := range srcs {
			keys, all := policyKeys(src)
			if all {
				keys = f.PolicyKeys
			}
			for _, k := range keys {
				if v, ok := f.Policy[k]; ok {
					out[f.Name+"."+k] = v
				}
			}
		}
		for _, sub := range f.Subflows {
			walk(sub, seen)
		}
	}
	walk(info, map[string]bool{})
	return out
}

// policyKeys returns the keys src reads as policy.KEY, and all when it
// reads policy otherwise.
func policyKeys(src string) (keys []string, all bool) {
	members, idents := 0, 0
	parsed := walkSource(src, func(n ast.Node) {
		switch x := n.(type) {
		case *ast.MemberNode:
			id, ok := x.Node.(*ast.IdentifierNode)
			p, isStr := x.Property.(*ast.StringNode)
			if ok && id.Value == "policy" {
				members++
				if isStr {
					keys = append(keys, p.Value)
				} else {
					all = true
				}
			}
		case *ast.IdentifierNode:
			if x.Value == "policy" {
				idents++
			}
		}
	})
	return keys, !parsed || all || idents > members
}
