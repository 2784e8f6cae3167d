package explore_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tetherflow/tether/explore"
)

// TestPathFileRoundTrip: what Format writes, ParsePathFile reads back as
// it was, subflow steps, odd names and a wait included.
func TestPathFileRoundTrip(t *testing.T) {
	pf := &explore.PathFile{
		Steps: []explore.PathStep{
			{Flow: "t", State: "saved", Kind: explore.StepOutcome, Name: "none"},
			{Flow: "signup", State: "details", Kind: explore.StepChoice, Name: "cancel"},
			{Flow: "t", State: "code", Kind: explore.StepPause, Name: "2m30s"},
			{Flow: "t", State: "code", Kind: explore.StepTimer, Name: "code_sent_at + policy.code_lifetime - now()"},
			{Flow: "t", State: "odd", Kind: explore.StepChoice, Name: "a, {b}: c"},
		},
		Wait: &explore.PathStep{Flow: "signup", State: "details"},
	}
	text := string(pf.Format("t"))
	want := `- {state: saved, outcome: none}
- {flow: signup, state: details, choice: cancel}
- {state: code, pause: 2m30s}
- {state: code, timer: code_sent_at + policy.code_lifetime - now()}
- {state: odd, choice: 'a, {b}: c'}
- {flow: signup, state: details, wait: true}
`
	if text != want {
		t.Errorf("Format =\n%s\nwant\n%s", text, want)
	}
	got, err := explore.ParsePathFile("p.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	// The root's name is not written: it reads back empty.
	for i := range pf.Steps {
		if pf.Steps[i].Flow == "t" {
			pf.Steps[i].Flow = ""
		}
	}
	if !reflect.DeepEqual(got, pf) {
		t.Errorf("ParsePathFile(Format) = %+v, want %+v", got, pf)
	}
}

func TestParsePathFileErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"- {state: a, outcome: ok, choice: b}\n", "p.yaml: step 1: want {state: NAME} with one of outcome:"},
		{"- {outcome: ok}\n", "p.yaml: step 1: want {state: NAME}"},
		{"- {state: a, wait: true}\n- {state: a, outcome: ok}\n", "p.yaml: step 1: want {state: NAME} with one of"},
		{"- {state: a, outcome: ok, wait: true}\n", "p.yaml: step 1: want {state: NAME, wait: true} alone"},
		{"- {state: a, outcome: ok, colour: red}\n", "p.yaml: yaml: unmarshal errors:\n  line 1: field colour not found"},
	} {
		_, err := explore.ParsePathFile("p.yaml", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParsePathFile(%q) = %v, want %s...", tt.text, err, tt.want)
		}
	}
	if pf, err := explore.ParsePathFile("p.yaml", nil); err != nil || len(pf.Steps) != 0 || pf.Wait != nil {
		t.Errorf("an empty file: %+v, %v, want no steps", pf, err)
	}
}
