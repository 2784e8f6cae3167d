//go:build unix

package credstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/tetherflow/tether/actions"
)

const secretToken = "tok-SECRET-in-the-store"

// TestInsecureStores checks that a store someone else could read or
// replace is refused by every method, that the error says how to fix it
// and quotes no token, and that nothing is written.
func TestInsecureStores(t *testing.T) {
	content := `{"version":1,"entries":[{"app":"vendor-mail","account":"a@example.com","token":"` + secretToken + `"}]}`
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, path string) // dir is the store's directory, 0700 and holding the store (0600)
		want  string                               // in the error; STORE and DIR stand for the paths
	}{
		{"readable by others", chmod("STORE", 0o644), "STORE can be read or written by other users (mode -rw-r--r--); make it yours alone: chmod 600 STORE"},
		{"readable by the group", chmod("STORE", 0o640), "chmod 600 STORE"},
		{"writable by others", chmod("STORE", 0o602), "chmod 600 STORE"},
		{"a symbolic link", func(t *testing.T, dir, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			mustRename(t, path, target)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "STORE is a symbolic link (to "},
		{"a directory", func(t *testing.T, dir, path string) {
			mustRename(t, path, path+".old")
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "STORE is not a regular file (d---------); remove it, or use another path"},
		{"owned by another user", chown("STORE", 4242), "STORE belongs to user 4242, not to you"},
		{"in a directory others can write to", chmod("DIR", 0o777), "its directory DIR can be written by other users (mode drwxrwxrwx), who could replace the store: chmod go-w DIR"},
		{"in a directory the group can write to", chmod("DIR", 0o770), "chmod go-w DIR"},
		{"in a directory another user owns", chown("DIR", 4242), "its directory DIR belongs to user 4242"},
		{"with a lock file that is a link", func(t *testing.T, dir, path string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "x"), path+".lock"); err != nil {
				t.Fatal(err)
			}
		}, "its lock file STORE.lock is a symbolic link; remove it (rm STORE.lock)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "conf")
			path := filepath.Join(dir, "credentials.json")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir, path)
			want := strings.NewReplacer("STORE", path, "DIR", dir).Replace(tt.want)
			s := New(path)
			_, rerr := s.Credentials(ctx)
			serr := s.Save(ctx, actions.Credential{App: "tether", Account: "b@example.com", Tokens: actions.Tokens{AccessToken: "tok-new"}})
			_, derr := s.Delete(ctx, "vendor-mail")
			for name, err := range map[string]error{"Credentials": rerr, "Save": serr, "Delete": derr} {
				if name == "Credentials" && strings.Contains(tt.name, "lock file") {
					continue // reading takes no lock
				}
				if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), want) {
					t.Errorf("%s() error = %v, want ErrInsecure saying %q", name, err, want)
				}
				if err != nil && strings.Contains(err.Error(), "SECRET") {
					t.Errorf("%s() error quotes the token: %v", name, err)
				}
			}
			if got, err := os.ReadFile(path); err == nil && string(got) != content {
				t.Errorf("the store was written: %s", got)
			}
		})
	}
}

// TestStickyDirectory: a directory anyone may write to is fine when its
// sticky bit stops others from replacing files they do not own, as in
// /tmp.
func TestStickyDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	s := New(filepath.Join(dir, "credentials.json"))
	if err := s.Save(context.Background(), actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok"}}); err != nil {
		t.Errorf("Save() in a sticky directory error = %v, want none", err)
	}
}

// TestSaveWaitsForTheLock holds the store's lock as another process would
// and checks that Save waits for it, gives up when its context ends, and
// writes nothing.
func TestSaveWaitsForTheLock(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Save(ctx, actions.Credential{App: "vendor-mail", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.Path())
	other := flock.New(s.Path() + ".lock")
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	defer other.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := s.Save(ctx, actions.Credential{App: "tether", Account: "a@example.com", Tokens: actions.Tokens{AccessToken: "tok-2"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save() while another holds the lock = %v, want context.DeadlineExceeded", err)
	}
	if after, _ := os.ReadFile(s.Path()); string(after) != string(before) {
		t.Errorf("Save() wrote without the lock:\n%s", after)
	}
}

func chmod(which string, mode os.FileMode) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		target := map[string]string{"STORE": path, "DIR": dir}[which]
		if err := os.Chmod(target, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// chown gives the store or its directory to another user, which only
// root can do.
func chown(which string, uid int) func(t *testing.T, dir, path string) {
	return func(t *testing.T, dir, path string) {
		if os.Getuid() != 0 {
			t.Skip("only root can give a file to another user")
		}
		target := map[string]string{"STORE": path, "DIR": dir}[which]
		if err := os.Chown(target, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}
