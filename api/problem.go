package api

import (
	"errors"
	"net/http"
)

// Problem is an error's body (RFC 9457, application/problem+json). Code is
// the stable, machine-readable part: clients branch on it, never on Title
// or Detail, which are for people and hold no secret.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// The problem codes, each with one HTTP status (ProblemFor).
const (
	CodeInvalidRequest       = "invalid-request"        // 400: a body that is not the operation's
	CodeTokenRejected        = "token-rejected"         // 401: no device token, or one the portal does not accept
	CodeNotFound             = "not-found"              // 404: no such operation
	CodeMethodNotAllowed     = "method-not-allowed"     // 405
	CodeRequestTooLarge      = "request-too-large"      // 413: a body over 64 KiB
	CodeUnsupportedMediaType = "unsupported-media-type" // 415: a body that is not JSON
	CodeKeyReused            = "idempotency-key-reused" // 422: a used key with another request
	CodeInternal             = "internal"               // 500: the portal failed
	CodeUnavailable          = "unavailable"            // 503: the portal cannot answer now; Retry-After says when to try again
)

// problems maps each code to its status and title.
func problems() map[string]Problem {
	return map[string]Problem{
		CodeInvalidRequest:       {Status: http.StatusBadRequest, Title: "The request is not one this operation takes"},
		CodeTokenRejected:        {Status: http.StatusUnauthorized, Title: "The portal does not accept the device token"},
		CodeNotFound:             {Status: http.StatusNotFound, Title: "No such operation"},
		CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Title: "The operation is not served with this method"},
		CodeRequestTooLarge:      {Status: http.StatusRequestEntityTooLarge, Title: "The request body is too large"},
		CodeUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Title: "The request body must be application/json"},
		CodeKeyReused:            {Status: http.StatusUnprocessableEntity, Title: "The idempotency key was used for another request"},
		CodeInternal:             {Status: http.StatusInternalServerError, Title: "The portal failed"},
		CodeUnavailable:          {Status: http.StatusServiceUnavailable, Title: "The portal cannot answer now"},
	}
}

// Codes returns every problem code.
func Codes() []string {
	return []string{CodeInvalidRequest, CodeTokenRejected, CodeNotFound, CodeMethodNotAllowed,
		CodeRequestTooLarge, CodeUnsupportedMediaType, CodeKeyReused,
		CodeInternal, CodeUnavailable}
}

// ProblemFor returns the problem of code, with detail; an unknown code is
// the internal one.
func ProblemFor(code, detail string) Problem {
	p, ok := problems()[code]
	if !ok {
		code, p = CodeInternal, problems()[CodeInternal]
	}
	p.Type = ProblemType(code)
	p.Code = code
	p.Detail = detail
	return p
}

// ProblemType is the type URI of code.
func ProblemType(code string) string { return "urn:tether:portal:problem:" + code }

// ErrKeyReused is returned by a portal given a call under an idempotency
// key that a different call used.
var ErrKeyReused = errors.New("the idempotency key was used for another request")
