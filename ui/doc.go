// Package ui is the prompt model every front end renders — the terminal,
// the web pages, the HTTP API, answers files and transcripts — and the
// catalogs that put it in the person's language.
//
// Build makes a Screen from a session's prompt once: texts with stable
// message ids, their parameters and their text in the locale; choices
// with roles; fields with their constraints, a prefill and their options.
// A client can lay a screen out from the model alone, without reading a
// label. Catalogs hold the translations (flows/locales/*.yaml for the
// flows' words, this package's locales/ for the front ends' own), match a
// person's languages to the locales shipped (BCP 47), and format counts,
// durations and dates per locale.
//
//	cats, _ := ui.Load("flows/locales", files)
//	loc := cats.Localizer(cats.Match("de-AT").Tag) // de
//	screen := ui.Build(step, nil, loc, time.Now())
//
// It must not know how a screen is drawn, nor how a session is run.
package ui
