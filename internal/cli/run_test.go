package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
)

// connectFlow is the shipped connect flow; its demo portal fixture is
// found next to it (flows/demo/portal.yaml).
const connectFlow = "../../flows/connect.yaml"

// smsCode matches what the demo SMS gateway prints on stderr.
var smsCode = regexp.MustCompile(`Your account portal code is ([0-9]+)`)

// runResult is what one in-process tether run left behind.
type runResult struct {
	exit                       int
	stdout, stderr, transcript string
	credentials                []byte
	codes                      []string // SMS codes sent, from stderr
	tokens                     []string // tokens in the credential store after the run
}

// runTether runs `tether run` on the shipped connect flow in dir with a
// fixed seed and clock, its transcript written to a file, and collects
// the secrets the run produced.
func runTether(t *testing.T, dir string, stdin string, flags ...string) runResult {
	t.Helper()
	creds := filepath.Join(dir, "creds.json")
	transcript := filepath.Join(dir, "transcript.txt")
	args := append([]string{"run", connectFlow,
		"--seed", "1", "--clock", "2026-01-05T09:00:00Z",
		"--credentials", creds, "--transcript", transcript}, flags...)
	var stdout, stderr bytes.Buffer
	r := runResult{exit: cli.Main(args, strings.NewReader(stdin), &stdout, &stderr)}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	data, err := os.ReadFile(transcript)
	if err != nil {
		t.Fatalf("tether %s: no transcript file: %v", strings.Join(args, " "), err)
	}
	r.transcript = string(data)
	for _, m := range smsCode.FindAllStringSubmatch(r.stderr, -1) {
		r.codes = append(r.codes, m[1])
	}
	r.credentials, err = os.ReadFile(creds)
	if err == nil {
		// The store is sealed with the key file next to it: what it
		// holds, opened, are the secrets no output may show.
		keys, err := seal.ReadKeyFile(filepath.Join(dir, "seal.keys"))
		if err != nil {
			t.Fatal(err)
		}
		store := credstore.New(creds, credstore.WithSeal(keys))
		entries, err := store.Credentials(context.Background())
		if err != nil {
			t.Fatalf("credential store %s after the run: %v", creds, err)
		}
		for _, e := range entries {
			for _, tok := range e.Secrets() {
				if tok != "" {
					r.tokens = append(r.tokens, tok)
				}
			}
		}
		key, err := store.DeviceKey(context.Background(), func() (string, error) { return "", errors.New("none") })
		if err == nil {
			r.tokens = append(r.tokens, key)
		}
	}
	return r
}

// TestRunKeepsSecrets runs tether run over paths that handle passwords,
// SMS codes and tokens, with and without --json, and checks that none of
// them reaches stdout (the transcript or the JSON log) or the --transcript
// file. CAPTCHA answers are not secrets and may show.
func TestRunKeepsSecrets(t *testing.T) {
	tests := []struct {
		name    string
		answers string   // the answers file; "" answers from stdin
		stdin   string   // lines typed at the terminal when answers is ""
		flags   []string // beyond the common ones
		typed   []string // secrets the answers type: passwords, codes
		exit    int
		result  string // the plain run's last line
		sms     bool   // whether codes are texted
	}{
		{
			name: "password and SMS code",
			answers: `
- {state: sign_in, choice: continue, fields: {email: family@example.com, password: Family-pass-2024}}
- {state: enter_code, choice: continue, fields: {code: "{{sms}}"}}
- {state: consent, choice: accept}
- {state: choose_subscription, choice: select, fields: {licence: LIC-FAM-F}}
`,
			typed:  []string{"Family-pass-2024"},
			result: "connected: family@example.com, plan Family, licence LIC-FAM-F",
			sms:    true,
		},
		{
			name: "wrong code, new code, right code",
			answers: `
- {state: sign_in, choice: continue, fields: {email: family@example.com, password: Family-pass-2024}}
- {state: enter_code, choice: continue, fields: {code: "918273"}}
- wait: 30s
- {state: enter_code, choice: resend}
- {state: enter_code, choice: continue, fields: {code: "{{sms}}"}}
- {state: consent, choice: accept}
- {state: choose_subscription, choice: select, fields: {licence: LIC-FAM-P}}
`,
			typed:  []string{"Family-pass-2024", "918273"},
			result: "connected: family@example.com, plan Personal, licence LIC-FAM-P",
			sms:    true,
		},
		{
			name: "wrong passwords and a CAPTCHA",
			answers: `
- {state: sign_in, choice: continue, fields: {email: solo@example.com, password: Wrong-guess-0001}}
- {state: sign_in, choice: continue, fields: {email: nobody@example.com, password: Wrong-guess-0002}}
- {state: sign_in, choice: continue, fields: {email: solo@example.com, password: Wrong-guess-0003}}
- {state: sign_in, choice: continue, fields: {email: solo@example.com, password: Solo-pass-2024, captcha: "{{captcha}}"}}
- {state: consent, choice: accept}
`,
			typed:  []string{"Wrong-guess-0001", "Wrong-guess-0002", "Wrong-guess-0003", "Solo-pass-2024"},
			result: "connected: solo@example.com, plan Personal, licence LIC-SOLO-1",
		},
		{
			name: "signup",
			answers: `
- {state: sign_in, choice: create_account}
- {state: details, choice: create, fields: {email: newcomer@example.com, password: sh0rt-pw, country: DE}}
- {state: details, choice: create, fields: {email: newcomer@example.com, password: Tr0ubadour-horse, country: DE}}
- {state: sign_in, choice: continue, fields: {email: newcomer@example.com, password: Tr0ubadour-horse}}
- {state: consent, choice: accept}
`,
			typed:  []string{"sh0rt-pw", "Tr0ubadour-horse"},
			result: "connected: newcomer@example.com, plan Free",
		},
		{
			name: "saved token",
			answers: `
- {state: consent, choice: accept}
- {state: choose_subscription, choice: select, fields: {licence: LIC-FAM-F}}
`,
			flags:  []string{"--other-app", "vendor-mail"},
			result: "connected: family@example.com, plan Family, licence LIC-FAM-F",
		},
		{
			name: "expired saved token",
			answers: `
- {state: sign_in, choice: continue, fields: {email: free@example.com, password: Free-pass-2024}}
`,
			flags:  []string{"--other-app", "vendor-photos"},
			typed:  []string{"Free-pass-2024"},
			result: "connected: free@example.com, plan Free",
		},
		{
			name:  "terminal, input ends at the code",
			stdin: "1\nfamily@example.com\nFamily-pass-2024\n1\n564738\n",
			typed: []string{"Family-pass-2024", "564738"},
			exit:  3,
			sms:   true,
		},
	}
	for _, tt := range tests {
		modes := []string{"plain", "json"}
		if tt.answers == "" {
			modes = modes[:1] // --json needs --answers
		}
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				dir := t.TempDir()
				flags := tt.flags
				if tt.answers != "" {
					path := filepath.Join(dir, "answers.yaml")
					if err := os.WriteFile(path, []byte(tt.answers), 0o644); err != nil {
						t.Fatal(err)
					}
					flags = append([]string{"--answers", path}, flags...)
				}
				if mode == "json" {
					flags = append(flags, "--json")
				}
				r := runTether(t, dir, tt.stdin, flags...)

				// The run went where it should, or the test proves nothing.
				if r.exit != tt.exit {
					t.Fatalf("exit status %d, want %d; stderr:\n%s", r.exit, tt.exit, r.stderr)
				}
				if tt.sms && len(r.codes) == 0 {
					t.Fatalf("no SMS code on stderr:\n%s", r.stderr)
				}
				if tt.exit == 0 && len(r.tokens) == 0 {
					t.Fatalf("no token in the credential store after connecting:\n%s", r.credentials)
				}
				if tt.result != "" {
					if !strings.HasSuffix(r.transcript, tt.result+"\n") {
						t.Errorf("transcript file ends %q, want the result line %q", lastLine(r.transcript), tt.result)
					}
					want := tt.result
					if mode == "json" {
						want = `{"result":{"outcome":"connected","success":true,`
					}
					if got := lastLine(r.stdout); !strings.HasPrefix(got, want) {
						t.Errorf("stdout ends %q, want %q", got, want)
					}
				}

				secrets := slices.Concat(tt.typed, r.codes, r.tokens)
				outputs := []struct{ name, text string }{
					{"stdout", r.stdout},
					{"the --transcript file", r.transcript},
				}
				for _, out := range outputs {
					for _, s := range secrets {
						if strings.Contains(out.text, s) {
							t.Errorf("%s shows the secret %q:\n%s", out.name, s, out.text)
						}
					}
				}
				// Sign-in sessions (the demo portal's start "as-") and
				// authorization codes ("ac-") are sensitive: no output shows
				// them.
				for _, out := range outputs {
					if strings.Contains(out.text, "as-") || strings.Contains(out.text, "ac-") {
						t.Errorf("%s shows a sign-in session or code:\n%s", out.name, out.text)
					}
				}
				// stderr carries the texted codes (the phone's screen), never
				// a password or a token.
				for _, s := range slices.Concat(tt.typed, r.tokens) {
					if strings.Contains(r.stderr, s) && !slices.Contains(r.codes, s) {
						t.Errorf("stderr shows the secret %q:\n%s", s, r.stderr)
					}
				}
			})
		}
	}
}

// TestRunCorruptCredentials checks that a credential store that cannot be
// read is reported on stderr by its file name, with none of its content
// (it may hold tokens), by every command that reads it.
func TestRunCorruptCredentials(t *testing.T) {
	const secret = "tok-FAKE-0123456789abcdef"
	stores := []struct{ name, content string }{
		{"not JSON", secret + "\n"},
		{"truncated", `{"version": 1, "entries": [{"app": "tether", "account": "solo@example.com", "token": "` + secret},
		{"token in a number field", `{"version": "` + secret + `", "entries": []}`},
		{"entry without app", `{"version": 1, "entries": [{"account": "solo@example.com", "token": "` + secret + `"}]}`},
		{"repeated app", `{"version": 1, "entries": [{"app": "tether", "token": "` + secret + `"}, {"app": "tether", "token": "` + secret + `"}]}`},
		{"unknown version", `{"version": 7, "entries": [{"app": "tether", "token": "` + secret + `"}]}`},
	}
	answers := "- {state: sign_in, choice: continue, fields: {email: solo@example.com, password: Solo-pass-2024}}\n"
	for _, st := range stores {
		dir := t.TempDir()
		creds := filepath.Join(dir, "creds.json")
		if err := os.WriteFile(creds, []byte(st.content), 0o600); err != nil {
			t.Fatal(err)
		}
		ans := filepath.Join(dir, "answers.yaml")
		if err := os.WriteFile(ans, []byte(answers), 0o644); err != nil {
			t.Fatal(err)
		}
		run := []string{"run", connectFlow, "--answers", ans, "--seed", "1", "--clock", "2026-01-05T09:00:00Z", "--credentials", creds}
		commands := [][]string{
			{"status", "--credentials", creds},
			{"disconnect", "--credentials", creds},
			run,
			append(run[:len(run):len(run)], "--other-app", "vendor-mail"),
		}
		for _, args := range commands {
			var stdout, stderr bytes.Buffer
			exit := cli.Main(args, strings.NewReader(""), &stdout, &stderr)
			cmd := args[0]
			if len(args) > len(run) {
				cmd += " --other-app"
			}
			if exit == 0 {
				t.Errorf("%s: tether %s: exit 0 on a corrupt credential store; stdout:\n%s", st.name, cmd, stdout.String())
			}
			if !strings.Contains(stderr.String(), creds) {
				t.Errorf("%s: tether %s: stderr %q does not name the file %s", st.name, cmd, stderr.String(), creds)
			}
			for _, out := range []struct{ name, text string }{{"stderr", stderr.String()}, {"stdout", stdout.String()}} {
				if strings.Contains(out.text, secret) || strings.Contains(out.text, "FAKE") {
					t.Errorf("%s: tether %s: %s shows the store's content: %q", st.name, cmd, out.name, out.text)
				}
			}
		}
		// Nothing overwrote the corrupt file: it is left for the person to
		// look at.
		if data, _ := os.ReadFile(creds); string(data) != st.content {
			t.Errorf("%s: the corrupt store was rewritten:\n%s", st.name, data)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
