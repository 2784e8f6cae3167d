// Package value defines the values a flow holds: their kinds (Kind), how
// a Go value is held to a kind (Coerce), the JSON codec that writes them to
// snapshots and event logs and reads them back as they were (Encode,
// Decode), and how they are shown to people (Format, Quote).
//
// It must not know flows, sessions or files: it is the vocabulary the
// loader, the engine and the event log share.
package value
