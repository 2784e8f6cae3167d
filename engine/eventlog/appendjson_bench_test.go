package eventlog_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
)

// benchEntry is an answer entry as a step of a prompt with a field
// writes it: the answer, the branch, a variable set, the prompt.
var benchEntry = eventlog.Entry{
	Seq: 2, Time: time.Date(2026, 1, 5, 9, 0, 1, 499206096, time.UTC), Kind: eventlog.EntryAnswer, Flow: "loop", State: "a",
	Event: "next", Branch: 1, To: "b", Args: []eventlog.Value{{Name: "note", Value: ""}},
	Changes: []eventlog.Change{{Var: "n", From: 0, To: 1}},
	Prompt: &prompt.Prompt{
		Title:  prompt.Message{ID: "loop.a.text", Text: "A 0", Params: map[string]any{"n": 0}},
		Fields: []prompt.Field{{Name: "note", Label: prompt.Message{ID: "loop.a.field.note", Text: "note"}, Type: prompt.TextField, Optional: true}},
		Choices: []prompt.Choice{
			{Name: "next", Label: prompt.Message{ID: "loop.a.choice.next", Text: "next"}, Role: prompt.Primary, Fields: []string{"note"}},
			{Name: "stop", Label: prompt.Message{ID: "loop.a.choice.stop", Text: "stop"}, Role: prompt.Secondary, Fields: []string{"note"}},
		},
	},
	PromptAt: time.Date(2026, 1, 5, 9, 0, 0, 498945831, time.UTC),
}

// BenchmarkEntryJSON is the cost of an entry's JSON: AppendJSON into a
// reused buffer, and encoding/json, which writes the same bytes.
func BenchmarkEntryJSON(b *testing.B) {
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = benchEntry.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&benchEntry); err != nil {
				b.Fatal(err)
			}
		}
	})
}
