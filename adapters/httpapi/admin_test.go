package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/catalog"
)

// A reload under a running server: sessions in flight finish on the
// version they started on, new sessions start on the new one, and a set of
// flows with problems is refused and changes nothing.
func TestAdminReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../flows")); err != nil {
		t.Fatal(err)
	}
	archive, err := catalog.NewDirArchive(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const token = "admin-token-for-the-test"
	fx := newFixtureOn(t, dir, archive, func(c *httpapi.Config) { c.AdminToken = token })
	admin := []string{"Authorization", "Bearer " + token}

	old, oldSecret := fx.create("connect", "US")
	if old.Prompt == nil || old.Prompt.Title.Text != "Sign in to your account" {
		t.Fatalf("prompt = %+v", old.Prompt)
	}

	// Change the sign-in prompt's words: a new version of connect.
	path := filepath.Join(dir, "connect.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "text: Sign in to your account", "text: Sign in to your Tether account", 1)
	if changed == string(src) {
		t.Fatal("the test's change does not apply to connect.yaml")
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}

	// No token, a wrong one: refused, nothing reloaded.
	if r := fx.do("POST", "/v1/admin/reload", nil); r.status != http.StatusUnauthorized || r.problem(t).Code != httpapi.CodeAdminRequired {
		t.Errorf("reload without a token: %d %s", r.status, r.body)
	}
	if r := fx.do("POST", "/v1/admin/reload", nil, "Authorization", "Bearer wrong"); r.status != http.StatusUnauthorized {
		t.Errorf("reload with a wrong token: %d %s", r.status, r.body)
	}
	if s, _ := fx.create("connect", "US"); s.Prompt.Title.Text != "Sign in to your account" {
		t.Errorf("a refused reload changed the flows: %q", s.Prompt.Title)
	}

	r := fx.do("POST", "/v1/admin/reload", nil, admin...)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"applied":true`) || !strings.Contains(string(r.body), `{"flow":"connect","change":"changed"`) {
		t.Fatalf("reload: %d %s", r.status, r.body)
	}
	// New sessions start on the new version.
	if s, _ := fx.create("connect", "US"); s.Prompt.Title.Text != "Sign in to your Tether account" {
		t.Errorf("a new session's prompt = %q, want the new version's", s.Prompt.Title)
	}
	// The session in flight goes on, and ends, on the version it started on.
	cur := fx.do("GET", "/v1/sessions/"+old.ID, nil, "Authorization", "Bearer "+oldSecret).session(t)
	if cur.Prompt.Title.Text != "Sign in to your account" {
		t.Errorf("the session in flight shows %q, want its own version's prompt", cur.Prompt.Title)
	}
	a := fx.answer(cur, oldSecret, "continue", map[string]any{"email": "free@example.com", "password": "Free-pass-2024"})
	if end := a.session(t); a.status != http.StatusOK || end.Result == nil || end.Result.Outcome != "connected" {
		t.Errorf("the session in flight did not finish: %d %s", a.status, a.body)
	}

	// A set with problems is refused, with them, and changes nothing.
	if err := os.WriteFile(path, []byte(strings.Replace(changed, "start: saved_credentials", "start: nowhere", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = fx.do("POST", "/v1/admin/reload", nil, admin...)
	p := r.problem(t)
	if r.status != http.StatusUnprocessableEntity || p.Code != httpapi.CodeReloadRefused || len(p.Errors) == 0 || !strings.Contains(strings.Join(p.Errors, "\n"), "unknown state nowhere") {
		t.Errorf("reload of a broken flow: %d %s", r.status, r.body)
	}
	if s, _ := fx.create("connect", "US"); s.Prompt.Title.Text != "Sign in to your Tether account" {
		t.Errorf("after a refused reload, a new session's prompt = %q", s.Prompt.Title)
	}
	if strings.Contains(fx.logs(), token) {
		t.Errorf("the log holds the admin token")
	}
}

// Without an admin token the server takes no admin requests.
func TestAdminDisabled(t *testing.T) {
	fx := newFixture(t)
	r := fx.do("POST", "/v1/admin/reload", nil, "Authorization", "Bearer anything")
	if r.status != http.StatusForbidden || r.problem(t).Code != httpapi.CodeAdminDisabled {
		t.Errorf("reload with no admin token configured: %d %s", r.status, r.body)
	}
}

// With SeparateAdmin, /metrics is served on the admin handler only, to the
// holder of the admin token: the API's port exposes no counters.
func TestAdminSeparate(t *testing.T) {
	const token = "admin-token-for-the-test"
	fx := newFixture(t, func(c *httpapi.Config) { c.AdminToken, c.SeparateAdmin = token, true })
	s, secret := fx.create("connect", "DE")
	fx.step(s, secret, "cancel", nil)
	if r := fx.do("GET", "/metrics", nil); r.status != 404 || strings.Contains(string(r.body), "tether_steps_total") {
		t.Errorf("/metrics on the API's port: %d %s", r.status, r.body)
	}
	admin := httptest.NewServer(fx.srv.AdminHandler())
	defer admin.Close()
	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequest("GET", admin.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
		if status, body := get("/metrics", auth); status != 401 || !strings.Contains(body, `"code":"admin_required"`) || strings.Contains(body, "tether_") {
			t.Errorf("admin /metrics with Authorization %q: %d %s", auth, status, body)
		}
	}
	if status, body := get("/metrics", "Bearer "+token); status != 200 || !strings.Contains(body, `tether_steps_total{op="answer"} 1`) {
		t.Errorf("admin /metrics with the token: %d %s", status, body)
	}
	if status, _ := get("/v1/sessions/"+s.ID, "Bearer "+token); status != 404 {
		t.Errorf("the admin port serves the API: %d", status)
	}
	// Without an admin token nobody reads them.
	closed := newFixture(t, func(c *httpapi.Config) { c.SeparateAdmin = true })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer ")
	closed.srv.AdminHandler().ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("admin /metrics with no admin token configured: %d", rec.Code)
	}
}
