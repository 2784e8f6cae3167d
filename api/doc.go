// Package api is the portal protocol: how a device reaches the vendor's
// account portal over HTTP. The portal is an OAuth 2.0 authorization
// server for first-party apps (draft-ietf-oauth-first-party-apps-04): its
// metadata (RFC 8414) and keys (RFC 7517), the authorization challenge
// endpoint through which the device collects the password, the CAPTCHA,
// the SMS code and the regional consent in its own screens, the token
// endpoint (RFC 6749, PKCE RFC 7636, DPoP RFC 9449, token exchange RFC
// 8693 for OpenID Connect Native SSO), revocation (RFC 7009) and
// introspection (RFC 7662); and two resource APIs that take DPoP-bound
// access tokens (RFC 9068): licences and activation. Account creation is
// a public JSON API. The protocol is written down in portal.openapi.yaml
// next to this file; docs/portal-protocol.md explains it.
//
// This package holds what the two sides share: endpoints and operations,
// parameter and member names, error codes, bodies and their conversions
// to the actions' port types, and the context values through which a
// server hands the portal a call's idempotency key, time and binding. The
// server (adapters/portalserver) and the client (adapters/portalhttp)
// both import it; neither imports the other.
//
//	for _, e := range api.Endpoints() {
//		fmt.Println(e.Method, e.Path) // GET /.well-known/oauth-authorization-server ...
//	}
package api
