// Package httpapi is Tether's HTTP API: sessions of the catalog's flows,
// driven over JSON by any client — a desktop or phone application, a web
// page, `tether run --server`. It adapts the session host; it loads no
// flow and takes no step itself.
//
//	POST   /v1/sessions               {flow, country, device} -> 201, the session and its secret
//	GET    /v1/sessions/{id}          where it stands: its prompt as a UI description, or its result
//	POST   /v1/sessions/{id}/answers  {choice, fields}, If-Match: "VERSION", Idempotency-Key: KEY
//	DELETE /v1/sessions/{id}          cancel it
//
// Every request about a session presents its secret (Authorization:
// Bearer SECRET); errors are application/problem+json with a stable code
// (Problem); the OpenAPI 3.1 document is served at /openapi.json and kept
// in api/tether.openapi.json. docs/api.md describes the API for clients.
//
//	metrics := httpapi.NewMetrics()
//	h, _ := host.New(host.Config{..., Secrets: true, Observe: metrics.Observe})
//	srv, _ := httpapi.New(httpapi.Config{Host: h, Metrics: metrics, Log: httpapi.NewLogger(os.Stderr, slog.LevelInfo)})
//	http.ListenAndServe(":8080", srv.Handler())
//
// Client, the API's Go client, and the documents it reads are in package
// wire, which a client links without the server.
package httpapi
