// Package flowinfo describes a compiled flow, read-only: its versions and
// policy, its states, handlers, branches and timers with their positions,
// and what each state reads, for tools that reason about a flow without
// running it (path search, coverage, diagrams, compatibility checks).
// engine.Flow.Info builds it.
//
// It must not know how a flow is compiled or run: it is data, and a tool
// that needs more than it says asks the engine for a session.
package flowinfo
