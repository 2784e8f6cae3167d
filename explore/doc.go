// Package explore is Tether's QA tooling over compiled flows: what a
// flow's transcripts should exercise and what their event logs did
// exercise (CoverItems, Covered, Measure), and the flow drawn as a state
// diagram (Graph).
//
// It reads a flow through the engine's read-only model (engine.Flow.Info)
// and never reaches into the runtime.
//
//	fl, err := engine.CompileFile("flows/connect.yaml", reg)
//	if err != nil {
//		return err
//	}
//	return explore.Graph(os.Stdout, fl, explore.Mermaid)
package explore
