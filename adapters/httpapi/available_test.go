package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

// The code prompt says when "Get a new code" becomes available, in the
// JSON, and stops saying it once the cooldown is over.
func TestResendAvailableAt(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	sent := fx.clock.Now()
	s = fx.step(s, secret, "continue", map[string]any{"email": "family@example.com", "password": familyPassword})
	if s.State != "enter_code" {
		t.Fatalf("after sign-in: %s", s.State)
	}
	want := sent.Add(30 * time.Second)
	for _, c := range s.Prompt.Choices {
		if c.Name == "resend" && !c.AvailableAt.Equal(want) || c.Name != "resend" && !c.AvailableAt.IsZero() {
			t.Errorf("choice %s available at %v", c.Name, c.AvailableAt)
		}
	}
	r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
	if !strings.Contains(string(r.body), `"name":"resend","label":{"id":"connect.enter_code.choice.resend","text":"Get a new code"},"role":"secondary","fields":[],"available_at":"2026-01-05T09:00:30Z","wait":{"id":"ui.wait","text":"Available in 30 seconds","params":{"wait":30}}`) {
		t.Errorf("GET = %s", r.body)
	}
	fx.clock.add(30 * time.Second)
	r = fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
	if strings.Contains(string(r.body), "available_at") {
		t.Errorf("after the cooldown, GET = %s", r.body)
	}
}
