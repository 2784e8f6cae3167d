package httpapi

import (
	"time"

	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// Session is the API's session document (wire.Session), which the
// server renders from a host view.
type Session = wire.Session

// CodeSessionFailed is Result.Code for a session that failed.
const CodeSessionFailed = wire.CodeSessionFailed

// sessionOf renders a host view in l's locale, at now on the host's
// clock.
func sessionOf(v *host.View, l *ui.Localizer, now time.Time) *Session {
	s := &Session{
		ID: v.ID, Flow: v.Flow, Region: v.Region, Country: v.Country, Device: v.Device, Locale: l.Locale(),
		State: v.Step.State, Version: v.Version, ExpiresAt: v.Expires.UTC(), Status: "waiting",
	}
	if v.Expires.IsZero() {
		s.ExpiresAt = time.Time{}
	}
	switch {
	case v.Done:
		s.Status = "ended"
		// What failed (a file, a state, an action) is in the server's
		// log only.
		s.Result = ui.BuildResult(v.Step.Outcome, "", l)
		if v.Error != "" {
			s.Result.Code, s.Result.Error = CodeSessionFailed, l.Say("ui.session_failed")
		}
	case v.Step.Prompt != nil:
		s.Prompt = ui.Build(v.Step.Flow, v.Step.State, v.Step.Prompt, problemUI(v.Problem), l, now)
	}
	return s
}

// problemUI is a host's refusal as the prompt model takes it.
func problemUI(p *host.Problem) *ui.Problem {
	if p == nil {
		return nil
	}
	return &ui.Problem{Kind: p.Kind, Field: p.Field, ID: p.ID, Text: p.Message, Params: p.Params}
}
