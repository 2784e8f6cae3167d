package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strconv"
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

// The document says what the server demands: a header without which an
// answer is refused with 428 is marked required, and every status the
// server answered with here is documented for the operation.
func TestOpenAPIRequired(t *testing.T) {
	fx := newFixture(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In string
				Required bool
			} `json:"parameters"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(fx.do("GET", "/openapi.json", nil).body, &doc); err != nil {
		t.Fatal(err)
	}
	answer := doc.Paths["/v1/sessions/{id}/answers"]["post"]
	s, secret := fx.create("connect", "DE")
	full := map[string]string{"If-Match": etag(s.Version), "Idempotency-Key": "k"}
	headers := 0
	for _, p := range answer.Parameters {
		if p.In != "header" {
			continue
		}
		headers++
		var h []string
		for name, v := range full {
			if name != p.Name {
				h = append(h, name, v)
			}
		}
		r := fx.do("POST", "/v1/sessions/"+s.ID+"/answers", map[string]any{"choice": "cancel"}, append(h, "Authorization", "Bearer "+secret)...)
		if demanded := r.status == 428; demanded != p.Required {
			t.Errorf("an answer without %s: %d; the document says required: %v", p.Name, r.status, p.Required)
		}
		if _, ok := answer.Responses[strconv.Itoa(r.status)]; !ok {
			t.Errorf("an answer without %s gets %d, which the document does not list", p.Name, r.status)
		}
	}
	if headers != len(full) {
		t.Errorf("the answer documents %d headers, want If-Match and Idempotency-Key", headers)
	}
	get := doc.Paths["/v1/sessions/{id}"]["get"]
	if _, ok := get.Responses["304"]; !ok {
		t.Errorf("GET of a session does not document 304")
	}
}
