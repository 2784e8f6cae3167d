package explore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

// Replay runs the flow along steps, as Paths found them or a path file
// lists them: actions return the outcome the next step names, prompts are
// answered with its choice (input synthesized as Paths does), a timer step
// moves the session clock, which starts at start (zero: DefaultPathStart),
// to the earliest deadline. The session's log is the path's transcript.
// When the steps run out at a prompt, Replay returns the session waiting
// there (a loop or cut path stops so); the caller decides whether that is
// where the path should stop.
//
// Replay returns a *DivergedError, with the session as far as it got, when
// the steps do not fit the session: a step for a state the session is not
// in, an outcome the action does not declare, a choice the prompt does not
// offer, steps left over when the session ends, none left for an action.
// A session that ends with a run error is not a divergence: its Err says
// so. An answer the session refuses is returned as its *engine.InputError.
func Replay(ctx context.Context, fl *engine.Flow, steps []PathStep, start time.Time) (*engine.Session, error) {
	start, err := pathStart(start)
	if err != nil {
		return nil, err
	}
	rp := &replayer{steps: steps, root: fl.Name()}
	m := newModel(fl)
	r := newScripted(m, start, rp.choose, m.allOutputs())
	r.known = rp.check
	err = r.run(ctx, nil)
	if rp.div != nil {
		if rp.div.LogLen < 0 {
			// It diverged inside an action: leave out the error entry
			// stopping it made.
			log := r.s.Log()
			rp.div.LogLen = len(log)
			if k := len(log) - 1; k >= 0 && log[k].Kind == eventlog.EntryError {
				rp.div.LogLen = k
			}
		}
		return r.s, rp.div
	}
	if errors.Is(err, errDiverged) && rp.div == nil {
		return r.s, &DivergedError{Step: len(r.made) + 1, Msg: err.Error(), LogLen: len(r.s.Log())}
	}
	if r.s.Done() {
		if len(r.made) < len(steps) {
			rp.diverge(r, len(r.made), fmt.Sprintf("the session ended (%s) but the path goes on", r.endName()))
			return r.s, rp.div
		}
		return r.s, nil
	}
	if errors.Is(err, errStop) {
		return r.s, nil
	}
	return r.s, err
}

// DivergedError says where a replayed path stopped fitting its session.
type DivergedError struct {
	Step   int    // 1-based index of the step that does not fit; len+1 for one missing
	Want   string // the step, formatted; empty when the path had no more
	Msg    string // what the session did instead
	LogLen int    // entries of the session's log that belong to the replay
}

// Error says which step does not fit, and what the session did instead.
func (e *DivergedError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("step %d: %s", e.Step, e.Msg)
	}
	return fmt.Sprintf("step %d (%s): %s", e.Step, e.Want, e.Msg)
}

// errDiverged stops a replay that no longer fits its path; errStop one
// whose path stops with the session waiting at a prompt.
var (
	errDiverged = errors.New("replay diverged from its path")
	errStop     = errors.New("replay stopped at a prompt")
)

// replayer holds a scripted run to its steps. Decisions made inside a step
// are checked against their steps only once the step is over (the session
// is not to be looked at before), so a step may go on past a decision that
// went wrong: the earliest divergence is the one reported.
type replayer struct {
	root  string
	steps []PathStep
	div   *DivergedError
}

func (rp *replayer) diverge(r *scripted, k int, msg string) error {
	if rp.div != nil && rp.div.Step <= k+1 {
		return errDiverged
	}
	rp.div = &DivergedError{Step: k + 1, Msg: msg, LogLen: -1}
	if r.s != nil {
		rp.div.LogLen = len(r.s.Log())
	}
	if k < len(rp.steps) {
		rp.div.Want = rp.steps[k].Format(rp.root)
	}
	if k < len(r.made) && r.made[k].logAt >= 0 {
		rp.div.LogLen = r.made[k].logAt
	}
	return errDiverged
}

func (rp *replayer) choose(r *scripted, d *decision, options []string) (int, error) {
	k := len(r.made)
	where := "the session waits at " + d.at(rp.root)
	if d.kind == StepOutcome {
		where = "the session runs " + d.spec
	}
	if k >= len(rp.steps) {
		if d.kind != StepOutcome {
			return 0, errStop // the path stops with the session waiting here
		}
		return 0, rp.diverge(r, k, "the path has no more steps but "+where)
	}
	want := rp.steps[k]
	switch {
	case d.kind == StepOutcome && want.Kind != StepOutcome:
		return 0, rp.diverge(r, k, where)
	case d.kind == StepOutcome:
		var outcomes []string
		for i, o := range options {
			name, set := splitOption(o)
			if name == want.Name && sameSet(set, want.Result) {
				return i, nil
			}
			if set == "" {
				outcomes = append(outcomes, name)
			}
		}
		if !slices.Contains(outcomes, want.Name) {
			return 0, rp.diverge(r, k, fmt.Sprintf("%s, which has no outcome %s (it has: %s)", where, want.Name, strings.Join(outcomes, ", ")))
		}
		return 0, rp.diverge(r, k, fmt.Sprintf("%s, which has no bool outputs %s (it has: %s)", where, want.Result, strings.Join(r.m.boolOuts[d.spec], ", ")))
	case want.Kind == StepOutcome:
		return 0, rp.diverge(r, k, where)
	case want.Kind == StepTimer:
		if i := slices.Index(options, timerOption); i >= 0 {
			return i, nil
		}
		return 0, rp.diverge(r, k, where+", where no timer is armed")
	case want.Kind == StepPause:
		if i := slices.Index(options, pauseOption); i >= 0 {
			return i, nil
		}
		return 0, rp.diverge(r, k, where+", where time cannot pass")
	case want.State != d.state || (want.Flow != "" && want.Flow != d.flow):
		return 0, rp.diverge(r, k, where)
	}
	for i, o := range options {
		if o == want.Name && o != timerOption && o != pauseOption {
			return i, nil
		}
	}
	return 0, rp.diverge(r, k, fmt.Sprintf("%s, which offers no choice %s", where, want.Name))
}

// check holds every decision, once its state is known, to its step.
func (rp *replayer) check(r *scripted, k int) error {
	d, want := r.made[k], rp.steps[k]
	if d.state == want.State && (want.Flow == "" || want.Flow == d.flow) && d.kind == want.Kind && d.name == want.Name && sameSet(d.set, want.Result) {
		return nil
	}
	switch d.kind {
	case StepOutcome:
		return rp.diverge(r, k, "the session ran "+d.spec+" at "+d.at(rp.root))
	case StepTimer:
		return rp.diverge(r, k, fmt.Sprintf("the timer that fired was %s:(timer %s)", d.at(rp.root), d.name))
	}
	return rp.diverge(r, k, "the session waits at "+d.at(rp.root))
}

// sameSet reports whether the comma-separated lists a and b name the same
// outputs, in whatever order.
func sameSet(a, b string) bool {
	if a == b {
		return true
	}
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}
