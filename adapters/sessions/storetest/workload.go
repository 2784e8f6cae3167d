package storetest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tetherflow/tether/host"
)

// Sizes of a step's commit in Workload: about what a step of the connect
// flow writes (a snapshot with its variables and timers; a prompt, an
// answer and an action's outcome in the log).
const (
	RecordBytes  = 2048
	EntryBytes   = 300
	StepEntries  = 3
	stepDuration = time.Second
)

// Workload is the commit a step of session id from version prev makes:
// a RecordBytes record, StepEntries log entries of EntryBytes, an effect
// and a request. Its bytes depend only on id and prev, so that what a
// store holds can be checked against what was saved.
func Workload(id string, prev int) *host.Commit {
	next := prev + StepEntries
	at := t0.Add(time.Duration(next) * stepDuration)
	c := &host.Commit{
		Prev: prev,
		Record: host.Record{
			ID: id, Version: next,
			Flow: "connect", Region: "DE", Hash: "sha256-0123456789abcdef",
			Due:     at.Add(5 * time.Minute),
			Expires: at.Add(30 * time.Minute),
			Updated: at,
			Data:    fill(RecordBytes, "%s snapshot at version %d; ", id, next),
		},
		Effects: []host.Effect{{Key: fmt.Sprintf("%s/%d", id, next), Kind: "portal.sign_in", Data: fill(64, "call %d ", next)}},
		Request: &host.Request{Key: fmt.Sprintf("answer-%d", next), Response: fill(256, "response %d ", next)},
	}
	for seq := prev + 1; seq <= next; seq++ {
		c.Entries = append(c.Entries, host.LogEntry{Seq: seq, Data: fill(EntryBytes, "%s entry %d; ", id, seq)})
	}
	return c
}

// fill is the text format makes, repeated to n bytes.
func fill(n int, format string, args ...any) []byte {
	unit := fmt.Appendf(nil, format, args...)
	return bytes.Repeat(unit, n/len(unit)+1)[:n]
}
