package credstore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
)

var _ actions.CredentialStore = (*Store)(nil)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	return New(filepath.Join(t.TempDir(), "conf", "credentials.json"))
}

func TestMissingFileHoldsNothing(t *testing.T) {
	s := newStore(t)
	got, err := s.Credentials(context.Background())
	if err != nil || len(got) != 0 {
		t.Errorf("Credentials() = %v, %v, want none, nil", got, err)
	}
	_, ok, err := s.Load(context.Background(), "")
	if ok || err != nil {
		t.Errorf("Load(any) ok = %v, err = %v, want false, nil", ok, err)
	}
}

func TestSaveLoadDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mail := actions.Credential{App: "vendor-mail", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok-mail"}, SavedAt: t0}
	tether := actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok-1"}, Region: "eu-de", SavedAt: t0.Add(time.Hour)}
	for _, c := range []actions.Credential{mail, tether} {
		if err := s.Save(ctx, c); err != nil {
			t.Fatalf("Save(%s) error = %v", c.App, err)
		}
	}
	// Replacing tether's entry keeps the other one.
	tether.Plan, tether.Licence = "Family", "L-2"
	if err := s.Save(ctx, tether); err != nil {
		t.Fatalf("Save(tether again) error = %v", err)
	}
	// A fresh Store on the same file sees the same entries.
	s2 := New(s.Path())
	tests := []struct {
		app    string
		want   actions.Credential
		wantOK bool
	}{
		{"tether", tether, true},
		{"vendor-mail", mail, true},
		{"", tether, true}, // the most recently saved
		{"vendor-photos", actions.Credential{}, false},
	}
	for _, tt := range tests {
		got, ok, err := s2.Load(ctx, tt.app)
		if err != nil || ok != tt.wantOK || !got.SavedAt.Equal(tt.want.SavedAt) {
			t.Errorf("Load(%q) = %+v, %v, %v, want %+v, %v", tt.app, got, ok, err, tt.want, tt.wantOK)
			continue
		}
		got.SavedAt = tt.want.SavedAt // the location may differ
		if got != tt.want {
			t.Errorf("Load(%q) = %+v, want %+v", tt.app, got, tt.want)
		}
	}
	st, ok, err := s2.Status(ctx, "tether")
	if err != nil || !ok || st.Account != "a@example.com" || st.Plan != "Family" || st.Licence != "L-2" {
		t.Errorf("Status(tether) = %+v, %v, %v, want a@example.com Family L-2", st, ok, err)
	}
	deleted, err := s2.Delete(ctx, "tether")
	if err != nil || !deleted {
		t.Fatalf("Delete(tether) = %v, %v, want true, nil", deleted, err)
	}
	if _, ok, _ := s.Load(ctx, "tether"); ok {
		t.Errorf("Load(tether) after Delete found an entry")
	}
	if _, ok, _ := s.Load(ctx, "vendor-mail"); !ok {
		t.Errorf("Load(vendor-mail) after deleting tether found nothing")
	}
	deleted, err = s2.Delete(ctx, "tether")
	if err != nil || deleted {
		t.Errorf("Delete(tether) twice = %v, %v, want false, nil", deleted, err)
	}
}

func TestFileModeAndNoLeftovers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for i := range 3 {
		if err := s.Save(ctx, actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok"}, SavedAt: t0.Add(time.Duration(i))}); err != nil {
			t.Fatalf("Save() error = %v", err)
		}
	}
	// Literally 0600, not the package's constant: a token file any user can
	// read must fail this test.
	for _, path := range []string{s.Path(), s.Path() + ".lock"} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %v, want -rw-------", filepath.Base(path), got)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"credentials.json", "credentials.json.lock"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("directory holds %v, want %v (no temporary files)", names, want)
	}
}

// TestAtomicWrite checks that Save replaces the file rather than writing
// into it: a reader holding the old file open still reads the old content
// whole, as it would if it had opened the file while Save was writing.
func TestAtomicWrite(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Save(ctx, actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok-old"}, SavedAt: t0}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := s.Save(ctx, actions.Credential{App: "vendor-mail", Account: "b@example.com", Tokens: actions.Tokens{AccessToken: "tok-new"}, SavedAt: t0}); err != nil {
		t.Fatal(err)
	}
	held, err := io.ReadAll(reader)
	if err != nil {
		t.Fatal(err)
	}
	if string(held) != string(before) {
		t.Errorf("the file open before Save reads\n%s\nwant the old content\n%s", held, before)
	}
	after, _ := os.ReadFile(s.Path())
	if !strings.Contains(string(after), "vendor-mail") || !strings.Contains(string(after), "tok-old") {
		t.Errorf("the store reads\n%s\nwant both entries", after)
	}
}

func TestCorruptFile(t *testing.T) {
	const token = "tok-SUPER-SECRET-9"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"truncated", `{"version":1,"entries":[{"app":"tether","token":"` + token, "malformed JSON"},
		{"garbage inside", `{"version":1,"entries":[{"app":"tether","token":"` + token + `"}` + token + `]}`, "malformed JSON at byte"},
		{"wrong type", `{"version":1,"entries":[{"app":"tether","token":["` + token + `"]}]}`, `field "entries.token" holds a JSON array, want string`},
		{"bad time", `{"version":1,"entries":[{"app":"tether","token":"x","saved_at":"` + token + `"}]}`, "not"},
		{"no token", `{"version":1,"entries":[{"app":"tether","account":"` + "a" + `"}]}`, "entry 1 (tether) has no token"},
		{"duplicate app", `{"version":1,"entries":[{"app":"tether","token":"` + token + `"},{"app":"tether","token":"` + token + `"}]}`, `entry 2 repeats app "tether"`},
		{"future version", `{"version":7,"entries":[]}`, "unsupported format version 7"},
		{"not an object", token, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "credentials.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := New(path)
			_, err := s.Credentials(ctx)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Credentials() error = %v, want ErrCorrupt", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) {
				t.Errorf("Credentials() error = %q, want it to name %s and say %q", msg, path, tt.want)
			}
			if strings.Contains(msg, token) || strings.Contains(msg, "SUPER") {
				t.Errorf("Credentials() error = %q quotes the file's content", msg)
			}
			// Never overwritten silently.
			err = s.Save(ctx, actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok-new"}})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Save() on a corrupt file error = %v, want ErrCorrupt", err)
			}
			if _, err := s.Delete(ctx, "tether"); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Delete() on a corrupt file error = %v, want ErrCorrupt", err)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Errorf("file content changed to %q", got)
			}
		})
	}
}

func TestSaveRefusesIncompleteEntries(t *testing.T) {
	s := newStore(t)
	tests := []actions.Credential{
		{Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok"}},
		{App: "tether", Account: "a@example.com"},
	}
	for _, c := range tests {
		if err := s.Save(context.Background(), c); err == nil {
			t.Errorf("Save(%+v) error = nil, want one", c)
		}
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat() error = %v, want the file not created", err)
	}
}

func TestSaveCreatesAPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "tether")
	s := New(filepath.Join(dir, "credentials.json"))
	if err := s.Save(context.Background(), actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok"}, SavedAt: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("directory mode = %v, want drwx------", got)
	}
}
