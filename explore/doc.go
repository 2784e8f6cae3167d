// Package explore is Tether's QA tooling over compiled flows: the paths
// through a flow and their replays, what a flow's transcripts should
// exercise and what their event logs did, and the flow drawn as a state
// diagram.
//
//   - Paths runs a flow along every option at every decision point (each
//     outcome of each action, each choice of each prompt, its timer, time
//     passing) on scripted actions and synthesized answers, bounded by
//     PathOptions; Replay runs it along one path again, as tether replay
//     does, and says where a path no longer fits (DivergedError).
//     CoveringPaths picks paths that together take every branch; PathFile
//     is a path as tether paths --write writes it and tether replay reads
//     it.
//   - Prove searches every configuration a session can reach, equal ones
//     once, and decides the flow's properties there (docs/properties.md):
//     each verdict, and a counterexample as a path file.
//   - CoverItems lists what transcripts should exercise under a flow's
//     policy; Covered reads what a session's event log exercised; Measure
//     holds one against the other, as tether cover does.
//   - Graph writes a flow as a Mermaid or Graphviz state diagram.
//
// It depends on the engine and nothing else: it reads a flow through the
// engine's read-only model (engine.Flow.Info) and drives sessions only
// through the engine's public API (Start, Restore, Send, Tick, Snapshot,
// Log), with scripted actions registered as engine.Func. A decision made
// inside an action happens in the middle of a step, where a session can
// only be snapshotted: it is reconciled with the session's log once the
// step returns.
//
// A minimal use:
//
//	fl, err := engine.CompileFile("flows/connect.yaml", reg)
//	if err != nil {
//		return err
//	}
//	set, err := explore.Paths(ctx, fl, explore.PathOptions{})
//	if err != nil {
//		return err // ctx ended
//	}
//	for i, p := range set.Paths {
//		fmt.Println(i+1, p.Steps, p.End)
//	}
//	s, err := explore.Replay(ctx, fl, set.Paths[0].Steps, time.Time{})
//	if err != nil {
//		return err // a *DivergedError when the path does not fit
//	}
//	cov := explore.Measure(fl, explore.Covered(s.Log()))
//	fmt.Printf("path 1 exercises %.1f%% of the flow\n", cov.Percent())
package explore
