package portaltest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// theDocument is the protocol's OpenAPI document.
const theDocument = "../../api/portal.openapi.yaml"

var (
	docOnce   sync.Once
	docRouter routers.Router
	docErr    error
)

// documentRouter loads the OpenAPI document once and routes requests by
// it, whatever host they are sent to.
func documentRouter(t *testing.T) routers.Router {
	t.Helper()
	docOnce.Do(func() {
		var doc *openapi3.T
		doc, docErr = openapi3.NewLoader().LoadFromFile(theDocument)
		if docErr != nil {
			return
		}
		if docErr = doc.Validate(context.Background()); docErr != nil {
			return
		}
		doc.Servers = nil
		docRouter, docErr = gorillamux.NewRouter(doc)
	})
	if docErr != nil {
		t.Fatalf("%s: %v", theDocument, docErr)
	}
	return docRouter
}

// validating wraps next so that every request it serves, and every
// answer, is checked against the OpenAPI document's schemas; what does
// not fit fails the test.
func validating(t *testing.T, next http.Handler) http.Handler {
	router := documentRouter(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := router.FindRoute(r)
		if err != nil {
			t.Errorf("%s %s: not an operation of the document: %v", r.Method, r.URL.Path, err)
			next.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r.Clone(r.Context()), PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
		in.Request.Body = io.NopCloser(bytes.NewReader(body))
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			t.Errorf("%s %s: the request does not fit the document: %v", r.Method, r.URL.Path, err)
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
			t.Errorf("%s %s: the answer %d does not fit the document: %v\n%s", r.Method, r.URL.Path, rec.Code, err, rec.Body.String())
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}
