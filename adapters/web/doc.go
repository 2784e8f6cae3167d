// Package web is Tether's web front end: the connect wizard as HTML
// pages, served by tether serve at / beside the API. Each page is
// rendered on the server, with html/template, from the prompt model the
// API renders too (package ui): one screen per prompt, in the person's
// language (the language switch, else Accept-Language, else the
// session's), and a page for how the session ended. The pages go through
// the session host like the API; they load no flow and take no step
// themselves, and do not import the API's package.
//
//	GET  /                   the browser's session: its prompt as a form, or how it ended; else the start page (?country=CC)
//	POST /web/start          start a session for the browser's device in the country chosen
//	POST /web/answer         answer the prompt with the button pressed and the fields it takes
//	GET  /web/lang?to=TAG    the language switch: keep the locale chosen, back to /
//	GET  /web/assets/{name}  the style sheet, the script, the icon
//
// The pages work without JavaScript: every form posts and is redirected
// to the next page (post-redirect-get); the one script only counts a
// wait down ("Get a new code" during its cooldown). The session's secret
// lives in an HttpOnly, SameSite=Strict cookie (Secure on TLS), never in
// a URL or a page; every form carries a CSRF token; no value typed is
// ever written back into a page or a log; a Content-Security-Policy
// allows only the pages' own style, script and forms. See the cookies in
// cookies.go.
//
//	pages, _ := web.New(web.Config{Host: h, Country: "DE", Log: log})
//	mux := http.NewServeMux()
//	mux.Handle("/", api.Handler())
//	pages.Register(mux)
package web
