package credstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/tetherflow/tether/actions"
)

// KeyringService is the service name tether's items carry in the OS
// keyring.
const KeyringService = "tether"

// ErrNoKeyring is wrapped by the errors of a Keyring when the OS has no
// keyring tether can reach (no Secret Service on the session bus, say).
var ErrNoKeyring = errors.New("no OS keyring can be reached")

// Keyring is a credential store kept in the OS keyring — the Secret
// Service on Linux, the Keychain on macOS, the Credential Manager on
// Windows — through github.com/zalando/go-keyring, which the OS protects
// at rest and unlocks with the person's session. A profile names one
// device's store among others of the same user. Each secret is an item of
// its own, so that no item outgrows what a keyring takes (2,560 bytes on
// Windows): service "tether", user PROFILE:APP:FIELD, an index of the
// applications PROFILE:apps and the device key PROFILE:device_key.
//
// A Keyring is safe for concurrent use within a process; two processes
// saving for the same profile at once may lose one application's entry
// from the index (the keyring has no transactions).
type Keyring struct {
	profile string
	os      keyringAPI
	mu      sync.Mutex
}

// keyringAPI is the OS keyring as go-keyring reaches it; tests give one in
// memory.
type keyringAPI interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// osKeyring is the OS keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// NewKeyring returns the keyring store of profile ("default" when empty).
func NewKeyring(profile string) *Keyring {
	if profile == "" {
		profile = "default"
	}
	return &Keyring{profile: profile, os: osKeyring{}}
}

// Profile returns the store's profile.
func (k *Keyring) Profile() string { return k.profile }

// keyringMeta is what an application's entry holds besides its secrets.
type keyringMeta struct {
	Account string    `json:"account"`
	Issuer  string    `json:"issuer,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	Plan    string    `json:"plan,omitempty"`
	Licence string    `json:"licence,omitempty"`
	Region  string    `json:"region,omitempty"`
	Country string    `json:"country,omitempty"`
	SavedAt time.Time `json:"saved_at"`
}

// user is the keyring user name of one of the profile's items.
func (k *Keyring) user(parts ...string) string {
	return k.profile + ":" + strings.Join(parts, ":")
}

// get reads an item; ok is false when there is none.
func (k *Keyring) get(user string) (string, bool, error) {
	v, err := k.os.Get(KeyringService, user)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, keyringError("read", err)
	}
	return v, true, nil
}

// set writes an item, or deletes it when v is empty.
func (k *Keyring) set(user, v string) error {
	if v == "" {
		if err := k.os.Delete(KeyringService, user); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return keyringError("delete", err)
		}
		return nil
	}
	if err := k.os.Set(KeyringService, user, v); err != nil {
		return keyringError("write", err)
	}
	return nil
}

// keyringError describes a keyring failure without quoting what was
// stored.
func keyringError(what string, err error) error {
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return fmt.Errorf("%s the OS keyring: an item is too large for it", what)
	}
	return fmt.Errorf("%s the OS keyring: %w: %v", what, ErrNoKeyring, err)
}

// apps returns the applications of the profile's index.
func (k *Keyring) apps() ([]string, error) {
	v, ok, err := k.get(k.user("apps"))
	if err != nil || !ok {
		return nil, err
	}
	var apps []string
	if err := json.Unmarshal([]byte(v), &apps); err != nil {
		return nil, fmt.Errorf("%w: the OS keyring's index of tether profile %s is not a list", ErrCorrupt, k.profile)
	}
	return apps, nil
}

// Credentials returns every saved entry, sorted by application.
func (k *Keyring) Credentials(ctx context.Context) ([]actions.Credential, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	apps, err := k.apps()
	if err != nil {
		return nil, err
	}
	var out []actions.Credential
	for _, app := range apps {
		c, ok, err := k.entry(app)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b actions.Credential) int { return cmp.Compare(a.App, b.App) })
	return out, nil
}

// entry reads app's entry.
func (k *Keyring) entry(app string) (actions.Credential, bool, error) {
	raw, ok, err := k.get(k.user(app, "meta"))
	if err != nil || !ok {
		return actions.Credential{}, false, err
	}
	var m keyringMeta
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return actions.Credential{}, false, fmt.Errorf("%w: the OS keyring's entry of %s (profile %s) is not tether's", ErrCorrupt, app, k.profile)
	}
	c := actions.Credential{App: app, Account: m.Account, Plan: m.Plan, Licence: m.Licence, Region: m.Region, Country: m.Country, SavedAt: m.SavedAt,
		Tokens: actions.Tokens{Issuer: m.Issuer, Expires: m.Expires}}
	e := fromCredential(c)
	for _, f := range e.secrets() {
		if *f.v, _, err = k.get(k.user(app, f.name)); err != nil {
			return actions.Credential{}, false, err
		}
	}
	return e.credential(), true, nil
}

// Load returns the entry saved by app, or, when app is empty, the most
// recently saved entry of any application.
func (k *Keyring) Load(ctx context.Context, app string) (c actions.Credential, ok bool, err error) {
	all, err := k.Credentials(ctx)
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

// Status returns the connection status of app (the tokens left out).
func (k *Keyring) Status(ctx context.Context, app string) (Status, bool, error) {
	c, ok, err := k.Load(ctx, app)
	if err != nil || !ok {
		return Status{}, false, err
	}
	return Status{App: c.App, Account: c.Account, Plan: c.Plan, Licence: c.Licence, Region: c.Region, Country: c.Country, SavedAt: c.SavedAt}, true, nil
}

// Save stores c as app c.App's entry, replacing any previous one.
func (k *Keyring) Save(ctx context.Context, c actions.Credential) error {
	if c.App == "" || strings.Contains(c.App, ":") {
		return fmt.Errorf("save credentials to the OS keyring: the entry has no application, or one with a colon")
	}
	e := fromCredential(c)
	if !e.usable() {
		return fmt.Errorf("save credentials of %s to the OS keyring: the entry has no token", c.App)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	meta, err := json.Marshal(keyringMeta{Account: c.Account, Issuer: c.Issuer, Expires: c.Expires, Plan: c.Plan,
		Licence: c.Licence, Region: c.Region, Country: c.Country, SavedAt: c.SavedAt})
	if err != nil {
		return err
	}
	for _, f := range e.secrets() {
		if err := k.set(k.user(c.App, f.name), *f.v); err != nil {
			return fmt.Errorf("save credentials of %s: %w", c.App, err)
		}
	}
	if err := k.set(k.user(c.App, "meta"), string(meta)); err != nil {
		return fmt.Errorf("save credentials of %s: %w", c.App, err)
	}
	apps, err := k.apps()
	if err != nil {
		return err
	}
	if slices.Contains(apps, c.App) {
		return nil
	}
	index, _ := json.Marshal(append(apps, c.App))
	return k.set(k.user("apps"), string(index))
}

// Delete removes app's entry, reporting whether there was one.
func (k *Keyring) Delete(ctx context.Context, app string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	apps, err := k.apps()
	if err != nil || !slices.Contains(apps, app) {
		return false, err
	}
	e := entry{}
	for _, f := range append(e.secrets(), field{name: "meta"}) {
		if err := k.set(k.user(app, f.name), ""); err != nil {
			return false, fmt.Errorf("delete credentials of %s: %w", app, err)
		}
	}
	index, _ := json.Marshal(slices.DeleteFunc(apps, func(a string) bool { return a == app }))
	return true, k.set(k.user("apps"), string(index))
}

// DeviceKey returns the device's private key, saving the one create
// returns when the keyring holds none yet.
func (k *Keyring) DeviceKey(ctx context.Context, create func() (string, error)) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok, err := k.get(k.user("device_key"))
	if err != nil || ok {
		return v, err
	}
	if v, err = create(); err != nil {
		return "", fmt.Errorf("device key: %w", err)
	}
	if v == "" {
		return "", errors.New("device key: none was made")
	}
	return v, k.set(k.user("device_key"), v)
}
