// Package wire is Tether's HTTP API as a client sees it: the session and
// problem documents the server sends, the problem codes clients branch on,
// and Client, the API's Go client that `tether run --server` uses.
//
// Package httpapi, the server, renders these same types. This package
// must not know the server's framework, metrics or session host, so that
// a client links none of them.
package wire
