package eventlog

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tetherflow/tether/engine/value"
)

// WriteTranscript renders log entries for people: prompts, answers (secrets
// masked), actions and their outcomes, branches taken and variables set,
// timers and the final outcome. It is deterministic for a deterministic log.
func WriteTranscript(w io.Writer, entries []Entry) error {
	for i := range entries {
		if err := WriteTranscriptEntry(w, &entries[i]); err != nil {
			return err
		}
	}
	return nil
}

const transcriptIndent = "                  " // under the time and the tag

// WriteTranscriptEntry renders one log entry as WriteTranscript does.
func WriteTranscriptEntry(w io.Writer, e *Entry) error {
	var b strings.Builder
	at := e.Time
	line := func(tag, format string, args ...any) {
		if tag == "" {
			b.WriteString(transcriptIndent)
		} else {
			fmt.Fprintf(&b, "%s %-9s", at.UTC().Format(time.TimeOnly), tag)
		}
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	if e.Prompt != nil && e.Kind != EntryReject {
		if !e.PromptAt.IsZero() {
			at = e.PromptAt
		}
		writePrompt(&b, e, line)
		at = e.Time
	}
	switch e.Kind {
	case EntryStart:
		if len(e.Args) > 0 {
			line("start", "%s at %s (%s)", e.Flow, e.To, formatValues(e.Args))
		} else {
			line("start", "%s at %s", e.Flow, e.To)
		}
	case EntryAnswer:
		if len(e.Args) > 0 {
			line("answer", "%s %s", e.Event, formatValues(e.Args))
		} else {
			line("answer", "%s", e.Event)
		}
	case EntryReject:
		line("rejected", "%s: %s", e.Event, e.Error)
	case EntryAction:
		line("run", "%s(%s) -> %s", e.Action, formatValues(e.Args), e.Event)
		if out := formatValues(nonEmpty(e.Outputs)); out != "" {
			line("", "%s", out)
		}
	case EntryTimer:
		line("timer", "%s", e.Event)
	case EntryTransition:
		line("return", "%s -> %s", e.Flow, e.Event)
	case EntryFinal:
		o := e.Outcome
		verdict := "not a success"
		if o.Success {
			verdict = "success"
		}
		if o.Message != "" {
			line("final", "%s (%s): %s", o.Name, verdict, o.Message)
		} else {
			line("final", "%s (%s)", o.Name, verdict)
		}
	case EntryError:
		line("error", "%s", e.Error)
	case EntryCancel:
		if e.Outcome != nil && e.Outcome.Message != "" {
			line("cancel", "%s", e.Outcome.Message)
		} else {
			line("cancel", "cancelled")
		}
	}
	switch e.Kind {
	case EntryAnswer, EntryAction, EntryTimer, EntryTransition:
		if e.Branch > 0 {
			writeBranch(&b, e, line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writePrompt(b *strings.Builder, e *Entry, line func(tag, format string, args ...any)) {
	p := e.Prompt
	text := strings.Split(strings.TrimRight(p.Title.Text, "\n"), "\n")
	line("ask", "%s: %s", e.State, text[0])
	for _, t := range text[1:] {
		line("", "%s", t)
	}
	if p.Body != nil {
		for _, t := range strings.Split(strings.TrimRight(p.Body.Text, "\n"), "\n") {
			line("", "%s", t)
		}
	}
	if !p.Help.Empty() {
		for _, h := range strings.Split(strings.TrimRight(p.Help.Text, "\n"), "\n") {
			line("", "| %s", h)
		}
	}
	if len(p.Fields) > 0 {
		names := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			names[i] = f.Name + " (" + string(f.Type) + ")"
			if f.Prefill != "" {
				names[i] += " = " + value.Quote(f.Prefill)
			}
		}
		line("", "fields: %s", strings.Join(names, ", "))
		for _, f := range p.Fields {
			if !f.Hint.Empty() {
				line("", "%s: %s", f.Name, f.Hint.Text)
			}
			if len(f.Options) > 0 && f.Type == "choice" {
				opts := make([]string, len(f.Options))
				for i, o := range f.Options {
					opts[i] = o.Value
					if o.Label.Text != "" && o.Label.Text != o.Value {
						opts[i] += " (" + o.Label.Text + ")"
					}
				}
				line("", "%s: %s", f.Name, strings.Join(opts, ", "))
			}
		}
	}
	names := make([]string, len(p.Choices))
	for i, c := range p.Choices {
		names[i] = c.Name
		if !c.AvailableAt.IsZero() {
			names[i] += " (from " + c.AvailableAt.UTC().Format(time.TimeOnly) + ")"
		}
	}
	line("", "choices: %s", strings.Join(names, ", "))
}

func writeBranch(b *strings.Builder, e *Entry, line func(tag, format string, args ...any)) {
	var parts []string
	if e.Guard != "" {
		parts = append(parts, "if "+e.Guard)
	}
	if e.To != "" {
		parts = append(parts, "=> "+e.To)
	} else if e.Kind != EntryFinal && e.Kind != EntryStart {
		parts = append(parts, "=> (stay)")
	}
	line("", "%s", strings.Join(parts, " "))
	for _, c := range e.Changes {
		if c.Masked {
			line("", "  set %s = %s", c.Var, Masked)
			continue
		}
		line("", "  set %s = %s (was %s)", c.Var, value.Quote(c.To), value.Quote(c.From))
	}
}

func nonEmpty(vs []Value) []Value {
	var out []Value
	for _, v := range vs {
		if v.Secret || !value.IsZero(v.Value) {
			out = append(out, v)
		}
	}
	return out
}

func formatValues(vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if v.Secret {
			parts[i] = v.Name + "=" + Masked
			continue
		}
		parts[i] = v.Name + "=" + value.Quote(v.Value)
	}
	return strings.Join(parts, " ")
}
