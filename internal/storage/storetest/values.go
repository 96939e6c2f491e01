package storetest

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/token"
)

// unstorableStrings are text values PostgreSQL cannot hold (SQLSTATE 22021)
// and strangers can send (a Basic client_id of %FF, a path of %00). Every
// dialect must treat them alike: no match for a lookup, a clear refusal for
// a write, never a driver error.
func unstorableStrings() []struct{ name, value string } {
	return []struct{ name, value string }{
		{"nul", "\x00"},
		{"inner nul", "a\x00b"},
		{"not utf8", "\xff\xfe"},
	}
}

// testUnstorableLookups: reads, deletes, revocations and filters with an
// unstorable string find nothing, as they would for any unknown id.
func testUnstorableLookups(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "known")
	if err := s.AddKey(c, newKey("set", "kid", 0)); err != nil {
		t.Fatal(err)
	}
	a := newAccess("tok", "known")
	if err := s.CreateAccess(c, a); err != nil {
		t.Fatal(err)
	}
	at := baseTime().Add(time.Minute)
	for _, v := range unstorableStrings() {
		t.Run(v.name, func(t *testing.T) {
			x := v.value
			upd := newClient(x)
			for what, err := range map[string]error{
				"GetClient":          errOnly(s.GetClient(c, x)),
				"DeleteClient":       s.DeleteClient(c, x),
				"UpdateClient":       s.UpdateClient(c, upd, newClient(x)),
				"GetKey set":         errOnly(s.GetKey(c, x, "kid")),
				"GetKey kid":         errOnly(s.GetKey(c, "set", x)),
				"ListKeys":           errOnly(s.ListKeys(c, x)),
				"DeleteKey set":      s.DeleteKey(c, x, "kid"),
				"DeleteKey kid":      s.DeleteKey(c, "set", x),
				"DeleteSet":          s.DeleteSet(c, x),
				"RevokeAccess":       s.RevokeAccess(c, a.Digest, x, at),
				"RevokeAccess other": s.RevokeAccess(c, digest("none"), x, at),
			} {
				notFound(t, what, err)
			}
			if err := s.RevokeByClient(c, x, at); err != nil {
				t.Errorf("RevokeByClient: %v, want nil (nothing to revoke)", err)
			}
			for _, f := range []client.Filter{{Name: x}, {Owner: x}, {Name: "name-known", Owner: x}} {
				page, next, err := s.ListClients(c, f, storage.Page{})
				if err != nil || len(page) != 0 || next.Next != "" {
					t.Errorf("ListClients %+q: %d clients, next %q, err %v; want an empty page", f, len(page), next.Next, err)
				}
			}
			tok := base64.RawURLEncoding.EncodeToString([]byte(x))
			if _, _, err := s.ListClients(c, client.Filter{}, storage.Page{Token: tok}); !errors.Is(err, storage.ErrBadPageToken) {
				t.Errorf("page token of %q: err = %v, want ErrBadPageToken", x, err)
			}
		})
	}
	// Nothing above changed anything.
	if got, err := s.GetAccess(c, a.Digest); err != nil || got.RevokedAt != nil {
		t.Errorf("token after lookups: %+v, %v", got, err)
	}
	if _, err := s.GetKey(c, "set", "kid"); err != nil {
		t.Errorf("key after lookups: %v", err)
	}
}

// testUnstorableWrites: a write carrying an unstorable string in any text
// column is refused with ErrInvalidValue and changes nothing, key version
// included.
func testUnstorableWrites(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "known")
	if err := s.AddKey(c, newKey("set", "kid", 0)); err != nil {
		t.Fatal(err)
	}
	before := version(t, s)
	for _, v := range unstorableStrings() {
		t.Run(v.name, func(t *testing.T) {
			for what, err := range unstorableWrites(t, s, v.value) {
				if !errors.Is(err, storage.ErrInvalidValue) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
					t.Errorf("%s: err = %v, want only ErrInvalidValue", what, err)
				}
			}
		})
	}
	if after := version(t, s); after != before {
		t.Errorf("refused key writes moved the keys version %q -> %q", before, after)
	}
	ids := listAll(t, s, client.Filter{}, 0)
	if len(ids) != 1 || ids[0] != "known" {
		t.Errorf("clients after refused writes: %q", ids)
	}
	got, err := s.GetClient(c, "known")
	if err != nil || got.Name != "name-known" || got.Owner != "" {
		t.Errorf("client after refused updates: %+v, %v", got, err)
	}
	if keys, err := s.ListKeys(c, "set"); err != nil || len(keys) != 1 {
		t.Errorf("keys after refused writes: %d, %v", len(keys), err)
	}
}

// unstorableWrites makes every write with x in one text column at a time.
func unstorableWrites(t *testing.T, s *sqlstore.Store, x string) map[string]error {
	c := ctx(t)
	cl := func(edit func(*client.Client)) *client.Client {
		n := newClient("known")
		edit(n)
		return n
	}
	key := func(edit func(*jwk.Record)) *jwk.Record {
		k := newKey("set", "new", 0)
		edit(k)
		return k
	}
	acc := func(edit func(*token.AccessRecord)) *token.AccessRecord {
		a := newAccess("new-"+x, "known")
		edit(a)
		return a
	}
	return map[string]error{
		"CreateClient id":          s.CreateClient(c, newClient(x)),
		"CreateClient name":        s.CreateClient(c, cl(func(n *client.Client) { n.ID, n.Name = "other", x })),
		"CreateClient owner":       s.CreateClient(c, cl(func(n *client.Client) { n.ID, n.Owner = "other", x })),
		"CreateClient secret hash": s.CreateClient(c, cl(func(n *client.Client) { n.ID, n.SecretHash = "other", x })),
		"UpdateClient name":        updateClient(c, s, cl(func(n *client.Client) { n.Name = x })),
		"UpdateClient owner":       updateClient(c, s, cl(func(n *client.Client) { n.Owner = x })),
		"AddKey set":               s.AddKey(c, key(func(k *jwk.Record) { k.Set = x })),
		"AddKey kid":               s.AddKey(c, key(func(k *jwk.Record) { k.KID = x })),
		"AddKey public":            s.AddKey(c, key(func(k *jwk.Record) { k.Public = []byte(x) })),
		"AddKeyIfSetEmpty set":     errOnly(s.AddKeyIfSetEmpty(c, key(func(k *jwk.Record) { k.Set = x }))),
		"AddKeyIfSetEmpty kid":     errOnly(s.AddKeyIfSetEmpty(c, key(func(k *jwk.Record) { k.Set, k.KID = "empty", x }))),
		"ReplaceKey set":           s.ReplaceKey(c, key(func(k *jwk.Record) { k.Set = x })),
		"ReplaceKey kid":           s.ReplaceKey(c, key(func(k *jwk.Record) { k.KID = x })),
		"ReplaceSet set":           s.ReplaceSet(c, x, []*jwk.Record{key(func(k *jwk.Record) { k.Set = x })}),
		"ReplaceSet kid":           s.ReplaceSet(c, "set", []*jwk.Record{newKey("set", "ok", 0), key(func(k *jwk.Record) { k.KID = x })}),
		"CreateAccess client_id":   s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.ClientID = x })),
		"CreateAccess subject":     s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.Subject = x })),
		"CreateAccess grant_type":  s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.GrantType = x })),
		"CreateAccess strategy":    s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.Strategy = x })),
		"CreateAccess request_id":  s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.RequestID = x })),
		"CreateAccess ext":         s.CreateAccess(c, acc(func(a *token.AccessRecord) { a.Ext = []byte(`"` + x + `"`) })),
		"UpdateClient secret hash": updateClient(c, s, cl(func(n *client.Client) { n.SecretHash = x })),
		"AddKeyIfSetEmpty public":  errOnly(s.AddKeyIfSetEmpty(c, key(func(k *jwk.Record) { k.Set, k.Public = "empty", []byte(x) }))),
		"ReplaceKey public":        s.ReplaceKey(c, key(func(k *jwk.Record) { k.Public = []byte(x) })),
		"ReplaceSet public":        s.ReplaceSet(c, "set", []*jwk.Record{key(func(k *jwk.Record) { k.Public = []byte(x) })}),
	}
}
