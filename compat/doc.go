// Package compat tells, before a new version of a flow is deployed, what
// it does to the sessions in flight on the old one, in two ways:
//
//   - Compare reads both versions: the states sessions wait at that are
//     gone, renamed or of another kind, variables whose kind changed,
//     timers, prompts, outcomes and subflows that changed, each with its
//     positions in both files, and whether the new version's migration
//     (engine's migrate:) covers it. `tether compat OLD NEW` prints it.
//
//   - Replay re-drives recorded sessions (their JSON-lines event logs)
//     through the new version, forcing the answers, action results and
//     timer firings the log holds, and reports where each first goes
//     another way. `tether replay --log FILE... --flow NEW` prints it.
//
//     r := compat.Compare(old, new, compat.Options{})
//     r.Write(os.Stdout)
//     if r.Strands() { ... }   // a session in flight could be stranded
//
// Both read flows through engine's public API only.
package compat
