// Package jsonappend appends JSON to a byte slice as encoding/json's
// Marshal writes it, byte for byte, without reflection: strings escaped
// as it escapes them (HTML characters too), numbers as it formats them,
// maps with their keys sorted, times in RFC 3339. It is for the hot paths
// whose JSON others read (a session's log entries, a remembered
// response), where encoding/json's reflection and its checking of every
// Marshaler's output cost more than the step itself.
//
// It must not know the types it is used for: their own AppendJSON methods
// write their fields with it.
package jsonappend
