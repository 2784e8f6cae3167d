package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write the OpenAPI document the server serves to api/tether.openapi.json")

const openapiFile = "../../api/tether.openapi.json"

// The OpenAPI document kept in the repository is the one the server
// serves, generated from the Go types its handlers take and return.
func TestOpenAPIDocument(t *testing.T) {
	fx := newFixture(t)
	r := fx.do("GET", "/openapi.json", nil)
	if r.status != 200 {
		t.Fatalf("/openapi.json: %d", r.status)
	}
	var served bytes.Buffer
	if err := json.Indent(&served, r.body, "", "  "); err != nil {
		t.Fatal(err)
	}
	served.WriteByte('\n')
	if *update {
		if err := os.WriteFile(openapiFile, served.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := os.ReadFile(openapiFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, served.Bytes()) {
		t.Fatalf("%s is not what the server serves; regenerate it: go test ./adapters/httpapi -run OpenAPI -update", openapiFile)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	json.Unmarshal(kept, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	for path, methods := range map[string][]string{
		"/v1/sessions":              {"post"},
		"/v1/sessions/{id}":         {"get", "delete"},
		"/v1/sessions/{id}/answers": {"post"},
		"/v1/admin/reload":          {"post"},
	} {
		for _, m := range methods {
			op, ok := doc.Paths[path][m]
			if !ok {
				t.Errorf("the document lacks %s %s", m, path)
			}
			if strings.Contains(string(op), "ErrorModel") {
				t.Errorf("%s %s documents huma's errors, not Problems", m, path)
			}
		}
	}
	if strings.Contains(string(kept), `"Authorization"`) {
		t.Errorf("the session secret is documented as a header parameter, not a security scheme")
	}
}
