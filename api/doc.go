// Package api is the portal protocol: the HTTP JSON API through which a
// device reaches the vendor's account portal, one operation for each call
// the actions' ports make (sign in by password or saved token, CAPTCHA
// challenge, send and check a code, record a consent, connect the device,
// list and activate licences, create an account, check a token). The
// protocol is written down in portal.openapi.yaml next to this file, with
// its error codes and headers; docs/portal-protocol.md explains it.
//
// This package holds what the two sides share: the operations and their
// routes, the request and response bodies, the conversions between them
// and the actions' port types, the problem codes, and the context values
// through which a server hands the portal a call's idempotency key and
// time. The server (adapters/portalserver) and the client
// (adapters/portalhttp) both import it; neither imports the other.
//
//	for _, r := range api.Routes() {
//		fmt.Println(r.Method, r.Path, r.Op) // POST /v1/sign-in/password signInPassword ...
//	}
package api
