// Package credstore is the device credential store: a JSON file, readable by
// its owner only, holding one entry per application of the vendor — its
// tokens (access, refresh, ID token, Native SSO device secret), the portal
// that issued them and its keys, the account, and the plan activated on
// this device — and the device's private key, which its tokens are bound
// to (DPoP). It never holds a password. The CLI keeps it in .tether/credentials.json
// (DefaultPath) unless told otherwise.
//
//	store := credstore.New(filepath.Join(configDir, "tether", "credentials.json"))
//	entry, ok, err := store.Load(ctx, "tether")
//
// Every read-modify-write (Save, Delete) holds an exclusive lock on
// PATH.lock, across processes, so that two processes saving at once lose
// nothing. Writes are atomic: a temporary file in the same directory is
// written, synced and renamed over the store, so a crash leaves the old
// store or the new one, never half of one. A missing file holds no
// credentials. A file that cannot be parsed is reported with the file's
// name and what is wrong with it, never its content, and is never
// overwritten: Save and Delete fail until someone repairs or removes it.
//
// A store someone else could read or replace is refused, by every method,
// with an error wrapping ErrInsecure that says how to fix it: a store that
// is a symbolic link or not a regular file, one readable or writable by
// group or others, one owned by another user, or one in a directory that
// another user owns or can write to (unless the directory has the sticky
// bit, as /tmp does, which stops others from replacing files they do not
// own). See docs/credentials.md.
package credstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/internal/atomicfile"
	"github.com/tetherflow/tether/internal/seal"
)

// ErrCorrupt is wrapped by the error returned for a store file that cannot
// be parsed or holds invalid entries.
var ErrCorrupt = errors.New("credential store is corrupt")

// ErrInsecure is wrapped by the error returned for a store that someone
// other than its owner could read or replace; the error says how to fix it.
var ErrInsecure = errors.New("insecure credential store")

// DefaultPath is where the CLI keeps the store, relative to the working
// directory.
const DefaultPath = ".tether/credentials.json"

// lockRetry is how often a Save or Delete waiting for another process's
// lock tries again.
const lockRetry = 5 * time.Millisecond

// Mode is the permission the store file is written with.
const Mode fs.FileMode = 0o600

// formatVersion is the version of the file format written. Version 1
// (a device token per entry, before the portal spoke OAuth) is still
// read: its tokens are taken as access tokens, which no portal accepts.
const formatVersion = 2

// Store is a credential store kept in one file. A Store is safe for
// concurrent use, and its writes are safe against other processes using
// the same file.
type Store struct {
	path string
	keys *seal.Keys // nil: secrets kept in clear (owner-only file)
	mu   sync.Mutex
}

// Option configures New.
type Option func(*Store)

// WithSeal seals the store's secrets — every token, the device secret and
// the device key — with keys (AES-256-GCM, package internal/seal), each
// bound to its application and field, so that the file alone, copied or
// backed up, gives none of them away, and a value moved to another entry
// does not open. A store written in clear is read as it is and sealed at
// its next write.
func WithSeal(keys *seal.Keys) Option { return func(s *Store) { s.keys = keys } }

// New returns the store kept in the file at path. The file and its directory
// are created by the first Save.
func New(path string, opts ...Option) *Store {
	s := &Store{path: path}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Path returns the file the store is kept in.
func (s *Store) Path() string { return s.path }

// Status is what `tether status` reports about one application's
// connection. It holds no token.
type Status struct {
	App     string
	Account string
	Plan    string
	Licence string
	Region  string // the regional policy the device connected under
	Country string // the account's country
	SavedAt time.Time
}

type file struct {
	Version   int     `json:"version"`
	DeviceKey string  `json:"device_key,omitempty"` // a private JWK
	Entries   []entry `json:"entries"`
}

type entry struct {
	App          string    `json:"app"`
	Account      string    `json:"account"`
	Issuer       string    `json:"issuer,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	DeviceSecret string    `json:"device_secret,omitempty"`
	Expires      time.Time `json:"expires,omitzero"`
	JWKS         string    `json:"jwks,omitempty"`
	Token        string    `json:"token,omitempty"` // version 1's device token
	Plan         string    `json:"plan,omitempty"`
	Licence      string    `json:"licence,omitempty"`
	Region       string    `json:"region,omitempty"`  // the device's regional policy
	Country      string    `json:"country,omitempty"` // the account's country
	SavedAt      time.Time `json:"saved_at"`
}

func fromCredential(c actions.Credential) entry {
	return entry{App: c.App, Account: c.Account, Issuer: c.Issuer, AccessToken: c.AccessToken, RefreshToken: c.RefreshToken,
		IDToken: c.IDToken, DeviceSecret: c.DeviceSecret, Expires: c.Expires, JWKS: c.JWKS,
		Plan: c.Plan, Licence: c.Licence, Region: c.Region, Country: c.Country, SavedAt: c.SavedAt}
}

func (e entry) credential() actions.Credential {
	return actions.Credential{App: e.App, Account: e.Account, Plan: e.Plan, Licence: e.Licence, Region: e.Region,
		Country: e.Country, SavedAt: e.SavedAt, Tokens: actions.Tokens{Issuer: e.Issuer, AccessToken: e.AccessToken,
			RefreshToken: e.RefreshToken, IDToken: e.IDToken, DeviceSecret: e.DeviceSecret, Expires: e.Expires, JWKS: e.JWKS}}
}

// field is a secret field of an entry, by name.
type field struct {
	name string
	v    *string
}

// secrets returns e's sealed fields: its secrets, and the portal's keys
// the access token is checked against offline, which must not be swapped
// for a forger's.
func (e *entry) secrets() []field {
	return []field{{"access_token", &e.AccessToken}, {"refresh_token", &e.RefreshToken},
		{"id_token", &e.IDToken}, {"device_secret", &e.DeviceSecret}, {"jwks", &e.JWKS}}
}

// sealedPrefix marks a sealed value in the file.
const sealedPrefix = "sealed:"

// seal seals *v in place, bound to what (the app and the field), when the
// store has keys.
func (s *Store) seal(v *string, what string) error {
	if s.keys == nil || *v == "" {
		return nil
	}
	sealed, err := s.keys.SealString([]byte(*v), []byte("tether credential store: "+what))
	if err != nil {
		return fmt.Errorf("seal the credential store's %s: %w", what, err)
	}
	*v = sealedPrefix + sealed
	return nil
}

// open opens *v in place when it is sealed; a value in clear (a store
// written without keys) is taken as it is.
func (s *Store) open(v *string, what string) error {
	sealed, ok := strings.CutPrefix(*v, sealedPrefix)
	if !ok {
		return nil
	}
	if s.keys == nil {
		return fmt.Errorf("%w: %s: its %s is sealed, and no seal key is given (%s, or the key file next to the store)", ErrCorrupt, s.path, what, seal.EnvVar)
	}
	plain, err := s.keys.OpenString(sealed, []byte("tether credential store: "+what))
	if err != nil {
		return fmt.Errorf("%w: %s: its %s does not open with the seal keys given (another key, or altered or moved): %v", ErrCorrupt, s.path, what, err)
	}
	*v = string(plain)
	return nil
}

// usable reports whether e holds a token: an access token, or a Native
// SSO sign-in.
func (e entry) usable() bool { return e.AccessToken != "" || e.IDToken != "" && e.DeviceSecret != "" }

// Credentials returns every saved entry, sorted by application. A missing
// file gives none. It returns an error wrapping ErrCorrupt for a file that
// cannot be parsed, and one wrapping ErrInsecure for a store others could
// read or replace.
func (s *Store) Credentials(ctx context.Context) ([]actions.Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	out := make([]actions.Credential, len(f.Entries))
	for i, e := range f.Entries {
		out[i] = e.credential()
	}
	return out, nil
}

// Load returns the entry saved by app, or, when app is empty, the most
// recently saved entry of any application. ok is false when there is none.
func (s *Store) Load(ctx context.Context, app string) (c actions.Credential, ok bool, err error) {
	all, err := s.Credentials(ctx)
	if err != nil {
		return actions.Credential{}, false, err
	}
	for _, e := range all {
		if app == "" && (!ok || e.SavedAt.After(c.SavedAt)) || app != "" && e.App == app {
			c, ok = e, true
		}
	}
	return c, ok, nil
}

// Status returns the connection status of app (the token left out); ok is
// false when app has saved no connection.
func (s *Store) Status(ctx context.Context, app string) (st Status, ok bool, err error) {
	c, ok, err := s.Load(ctx, app)
	if err != nil || !ok {
		return Status{}, false, err
	}
	return Status{App: c.App, Account: c.Account, Plan: c.Plan, Licence: c.Licence, Region: c.Region, Country: c.Country, SavedAt: c.SavedAt}, true, nil
}

// Save stores c as app c.App's entry, replacing any previous one. It fails
// when c has no App or no token (an access token, or an ID token and a
// device secret), and, without touching the file, when the file cannot be
// parsed or is insecure, or when ctx ends before another process's save
// is done.
func (s *Store) Save(ctx context.Context, c actions.Credential) error {
	if c.App == "" {
		return fmt.Errorf("save credentials to %s: the entry has no application", s.path)
	}
	e := fromCredential(c)
	if !e.usable() {
		return fmt.Errorf("save credentials of %s to %s: the entry has no token", c.App, s.path)
	}
	err := s.update(ctx, true, func(f *file) bool {
		if i := slices.IndexFunc(f.Entries, func(x entry) bool { return x.App == c.App }); i >= 0 {
			f.Entries[i] = e
		} else {
			f.Entries = append(f.Entries, e)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("save credentials of %s: %w", c.App, err)
	}
	return nil
}

// DeviceKey returns the device's private key, saving the one create
// returns when the store holds none yet, under the store's lock: two
// processes asking at once get the same key.
func (s *Store) DeviceKey(ctx context.Context, create func() (string, error)) (string, error) {
	var key string
	var cerr error
	err := s.update(ctx, true, func(f *file) bool {
		if f.DeviceKey != "" {
			key = f.DeviceKey
			return false
		}
		key, cerr = create()
		if cerr != nil || key == "" {
			return false
		}
		f.DeviceKey = key
		return true
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("device key: %w", err)
	case cerr != nil:
		return "", fmt.Errorf("device key: %w", cerr)
	case key == "":
		return "", errors.New("device key: none was made")
	}
	return key, nil
}

// Delete removes app's entry, reporting whether there was one. The file is
// kept, emptied of that entry, so other applications' entries survive.
func (s *Store) Delete(ctx context.Context, app string) (bool, error) {
	deleted := false
	err := s.update(ctx, false, func(f *file) bool {
		n := len(f.Entries)
		f.Entries = slices.DeleteFunc(f.Entries, func(x entry) bool { return x.App == app })
		deleted = len(f.Entries) < n
		return deleted
	})
	if err != nil {
		return false, fmt.Errorf("delete credentials of %s: %w", app, err)
	}
	return deleted, nil
}

// update reads the store, lets change modify it, and writes it back when
// change says so, holding the store's lock across processes throughout.
// create says whether a missing store is to be created (and its
// directory); a Delete from a store that does not exist has nothing to do.
func (s *Store) update(ctx context.Context, create bool, change func(*file) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Dir(s.path)
	if err := s.secure(); err != nil {
		return err
	}
	if !create {
		if _, err := os.Lstat(s.path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create credential store directory: %w", err)
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.read()
	if err != nil || !change(&f) {
		return err
	}
	return s.write(ctx, f)
}

// lock takes the exclusive lock on PATH.lock, waiting for another process
// to release it until ctx ends. The lock file is never removed: removing
// it would let two processes lock two different files.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	path := s.path + ".lock"
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: its lock file %s is a symbolic link; remove it (rm %s)", ErrInsecure, path, path)
	}
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR|noFollow), flock.SetPermissions(Mode))
	ok, err := fl.TryLockContext(ctx, lockRetry)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("lock credential store: %w", err)
	}
	// Opened without following a link; it must be a file of ours, as the
	// store itself must be.
	fi, err := fl.Stat()
	if err == nil {
		err = checkFile(fl.Path(), fi)
	}
	if err != nil {
		fl.Unlock()
		return nil, err
	}
	return func() { fl.Unlock() }, nil
}

// secure refuses a store that someone other than its owner could read or
// replace: see the package documentation. A store that does not exist yet
// is secure when its directory is (or does not exist either: Save creates
// it, owner-only).
func (s *Store) secure() error {
	dir := filepath.Dir(s.path)
	switch fi, err := os.Stat(dir); {
	case err == nil:
		if err := checkDir(dir, fi); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read credential store: %w", err)
	}
	fi, err := os.Lstat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("read credential store: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(s.path)
		return fmt.Errorf("%w: %s is a symbolic link (to %s): a token saved through it would land wherever the link points; replace the link with the file itself (mv %s %s), or use the file's own path",
			ErrInsecure, s.path, target, target, s.path)
	}
	return checkFile(s.path, fi)
}

// read parses the file. Its errors name the file and what is wrong, never
// any of its content: the content holds tokens.
func (s *Store) read() (file, error) {
	if err := s.secure(); err != nil {
		return file{}, err
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return file{Version: formatVersion}, nil
	}
	if err != nil {
		// *PathError messages hold the path and the cause only.
		return file{}, fmt.Errorf("read credential store: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return file{}, fmt.Errorf("%w: %s: %s", ErrCorrupt, s.path, describe(err))
	}
	if f.Version != formatVersion && f.Version != 1 {
		return file{}, fmt.Errorf("%w: %s: unsupported format version %d (want %d)", ErrCorrupt, s.path, f.Version, formatVersion)
	}
	seen := make(map[string]bool, len(f.Entries))
	for i, e := range f.Entries {
		switch {
		case e.App == "":
			return file{}, fmt.Errorf("%w: %s: entry %d has no app", ErrCorrupt, s.path, i+1)
		case seen[e.App]:
			return file{}, fmt.Errorf("%w: %s: entry %d repeats app %q", ErrCorrupt, s.path, i+1, e.App)
		case f.Version == 1 && e.Token == "", f.Version != 1 && !e.usable():
			return file{}, fmt.Errorf("%w: %s: entry %d (%s) has no token", ErrCorrupt, s.path, i+1, e.App)
		}
		if f.Version == 1 {
			f.Entries[i].AccessToken, f.Entries[i].Token = e.Token, ""
		}
		seen[e.App] = true
		for _, fd := range f.Entries[i].secrets() {
			if err := s.open(fd.v, e.App+" "+fd.name); err != nil {
				return file{}, err
			}
		}
	}
	if err := s.open(&f.DeviceKey, "device_key"); err != nil {
		return file{}, err
	}
	slices.SortFunc(f.Entries, func(a, b entry) int { return cmp.Compare(a.App, b.App) })
	return f, nil
}

// describe says what is wrong with a file json could not parse, without
// quoting it: json's own messages may quote a character of a token.
func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q holds a JSON %s, want %s", typ.Field, typ.Value, typ.Type)
	}
	var terr *time.ParseError
	if errors.As(err, &terr) {
		return "a saved_at is not an RFC 3339 time"
	}
	return "not a credential store"
}

// write replaces the file atomically with f.
func (s *Store) write(ctx context.Context, f file) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.Version = formatVersion
	f.Entries = slices.Clone(f.Entries)
	for i := range f.Entries {
		for _, fd := range f.Entries[i].secrets() {
			if err := s.seal(fd.v, f.Entries[i].App+" "+fd.name); err != nil {
				return err
			}
		}
	}
	if err := s.seal(&f.DeviceKey, "device_key"); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credential store: %w", err)
	}
	data = append(data, '\n')
	if err := atomicfile.WriteFile(s.path, data, Mode); err != nil {
		return fmt.Errorf("replace credential store: %w", err)
	}
	return nil
}
