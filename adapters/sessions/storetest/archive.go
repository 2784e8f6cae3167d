package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/tetherflow/tether/catalog"
)

// RunArchive checks a store's flow-version archive: a bundle reads back as
// put, a second Put of a hash changes nothing, an unknown hash is
// catalog.ErrNoVersion, List is sorted, Delete removes what is there and
// ignores what is not. open returns the archive of a new, empty store,
// then (reopen) one over the same database.
func RunArchive(t *testing.T, open func(t *testing.T) (a, reopened func() catalog.Archive)) {
	ctx := context.Background()
	first, reopen := open(t)
	a := first()
	bundle := func(hash, source string) *catalog.Bundle {
		return &catalog.Bundle{Hash: hash, Flow: "connect",
			Files:  map[string]catalog.BundleFile{"connect": {Path: "flows/connect.yaml", Source: source}},
			Policy: map[string]json.RawMessage{"connect": json.RawMessage(`{"captcha_after_failures":3}`)}}
	}
	for _, b := range []*catalog.Bundle{bundle("h2", "flow: connect # two"), bundle("h1", "flow: connect # one")} {
		if err := a.Put(ctx, b); err != nil {
			t.Fatalf("Put(%s) = %v", b.Hash, err)
		}
	}
	if err := a.Put(ctx, bundle("h1", "something else")); err != nil {
		t.Errorf("Put of a stored hash = %v", err)
	}
	b := reopen()
	got, err := b.Get(ctx, "h1")
	if err != nil {
		t.Fatalf("Get(h1) after reopening = %v", err)
	}
	if got.Hash != "h1" || got.Files["connect"].Source != "flow: connect # one" || string(got.Policy["connect"]) != `{"captcha_after_failures":3}` {
		t.Errorf("Get(h1) = %+v, want the first bundle put", got)
	}
	if hashes, err := b.List(ctx); err != nil || !slices.Equal(hashes, []string{"h1", "h2"}) {
		t.Errorf("List = %v, %v; want [h1 h2]", hashes, err)
	}
	if _, err := b.Get(ctx, "nope"); !errors.Is(err, catalog.ErrNoVersion) {
		t.Errorf("Get of an unknown version = %v, want ErrNoVersion", err)
	}
	if err := b.Delete(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "h1"); err != nil {
		t.Errorf("Delete of a version not there = %v", err)
	}
	if _, err := a.Get(ctx, "h1"); !errors.Is(err, catalog.ErrNoVersion) {
		t.Errorf("Get after Delete = %v, want ErrNoVersion", err)
	}
	if hashes, err := a.List(ctx); err != nil || !slices.Equal(hashes, []string{"h2"}) {
		t.Errorf("List after Delete = %v, %v; want [h2]", hashes, err)
	}
}
