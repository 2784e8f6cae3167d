// Package prompt describes what a session asks of a person: the prompt an
// ask state shows, its fields (FieldType says what each takes) and the
// choices that answer it, as the engine makes it, front ends render it
// and the event log records it.
//
// It must not know how a prompt is rendered, nor how a flow is loaded or
// run.
package prompt
