// Package host is the session host: the one place a flow session takes a
// step, whatever front end (the CLI, the HTTP API, the web pages) asked for
// it. A step loads the session from a Store, restores it on the compiled
// flow the catalog holds for it, applies one Start, Answer, Tick or Cancel,
// and saves the snapshot with the log entries the step appended, refusing
// with ErrConflict a save from a stale version. A session is restored on
// the version of its flow it started on, or moved to the current one by
// the flow's migration (versions.go).
package host
