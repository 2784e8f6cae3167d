// Package eventlog is a session's event log as callers read it: its
// entries (Entry, with the prompt shown and the outcome reached), their
// JSON lines for machines (WriteJSONLines, ReadJSONLines) and their
// transcript for people (WriteTranscript). Secrets are masked before an
// entry is made; nothing here can unmask them.
//
// It must not know how a session runs: the engine writes the log, and a
// log read back from JSON renders as the session's did.
package eventlog
