package engine

import (
	"context"
	"time"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/value"
)

// A choice's available_at says when it becomes available: "Get a new
// code" once the resend cooldown is over. It is a time expression over
// the variables and policy, computed when the prompt is shown, and the
// prompt carries it (Choice.AvailableAt) so that a front end can show the
// wait and disable the button until then. It refuses nothing: the
// choice's handler still decides what an earlier answer does (the connect
// flow says how long to wait), and the portal enforces its own limits.

// compileAvailability compiles the available_at expressions of ask state
// s's choices in sc, the scope of its prompt text.
func (c *compiler) compileAvailability(s *state, sc *scope) {
	for i, ch := range s.choices {
		if ch.AvailableAt == nil {
			continue
		}
		if s.available == nil {
			s.available = make([]*cexpr, len(s.choices))
		}
		what := "available_at of choice " + ch.Name
		s.available[i], _ = c.compile(ch.AvailableAt, sc, value.Time, what)
		c.noSecrets(ch.AvailableAt, s.available[i], sc, what)
	}
}

// markAvailability sets the AvailableAt of prompt p's choices (made for
// ask state st, in order) whose available_at is later than the session
// clock; the others are available now and carry none.
func (s *Session) markAvailability(ctx context.Context, fr *frame, st *state, p *prompt.Prompt) error {
	if st.available == nil {
		return nil
	}
	now := s.ports.Now()
	for i, prog := range st.available {
		if prog == nil {
			continue
		}
		ch := st.choices[i]
		v, err := s.evalValue(ctx, fr, prog, value.Time)
		if err != nil {
			return &RunError{Pos: ch.AvailableAt.Pos, Flow: fr.flow.name, State: st.name, Msg: "available_at of choice " + ch.Name, Err: err}
		}
		if t := v.(time.Time); t.After(now) {
			p.Choices[i].AvailableAt = t.UTC()
		}
	}
	return nil
}
