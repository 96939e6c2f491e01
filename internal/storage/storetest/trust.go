package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/trust"
)

// Issue 5: trust grants of the JWT bearer grant, single-use JTIs and the
// hidden credentials of clients.

func newTrustGrant(id, issuer, subject, kid string) *trust.Grant {
	return &trust.Grant{
		ID: id, Issuer: issuer, Subject: subject, AllowAnySubject: subject == "",
		Scope: []string{"read", "write"}, KeyID: kid,
		PublicKey: json.RawMessage(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"` + kid + `"}`),
		ExpiresAt: baseTime().Add(time.Hour), CreatedAt: baseTime(),
	}
}

func sameTrustGrant(t *testing.T, got, want *trust.Grant) {
	t.Helper()
	sameTime(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	g, w := *got, *want
	g.ExpiresAt, g.CreatedAt, w.ExpiresAt, w.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("trust grant changed in storage:\n got %+v\nwant %+v", g, w)
	}
}

func testTrustCRUD(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	want := newTrustGrant("g1", "https://idp.example", "alice", "k1")
	if err := s.CreateTrustGrant(c, want); err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := s.GetTrustGrant(c, "g1")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	sameTrustGrant(t, got, want)

	dup := newTrustGrant("g2", "https://idp.example", "alice", "k1")
	if err := s.CreateTrustGrant(c, dup); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("same issuer, subject and kid: err = %v, want ErrConflict", err)
	}
	if err := s.CreateTrustGrant(c, newTrustGrant("g1", "https://other.example", "bob", "k9")); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("same id: err = %v, want ErrConflict", err)
	}
	// Another subject, or any subject, with the same key is another grant.
	for _, g := range []*trust.Grant{newTrustGrant("g3", "https://idp.example", "bob", "k1"), newTrustGrant("g4", "https://idp.example", "", "k1")} {
		if err := s.CreateTrustGrant(c, g); err != nil {
			t.Errorf("create %s: %v", g.ID, err)
		}
	}
	if err := s.DeleteTrustGrant(c, "g1"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.GetTrustGrant(c, "g1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("get after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteTrustGrant(c, "g1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetTrustGrant(c, strings.Repeat("x", 300)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unstorable id: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateTrustGrant(c, newTrustGrant("g5", strings.Repeat("i", 256), "s", "k")); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("256-byte issuer: err = %v, want ErrInvalidValue", err)
	}
}

func testTrustFind(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	now := baseTime()
	expired := newTrustGrant("expired", "https://idp.example", "alice", "k3")
	expired.ExpiresAt = now
	for _, g := range []*trust.Grant{
		newTrustGrant("alice-k1", "https://idp.example", "alice", "k1"),
		newTrustGrant("alice-k2", "https://idp.example", "alice", "k2"),
		newTrustGrant("any-k1", "https://idp.example", "", "k1"),
		newTrustGrant("bob-k1", "https://idp.example", "bob", "k1"),
		newTrustGrant("other", "https://other.example", "alice", "k1"),
		expired,
	} {
		if err := s.CreateTrustGrant(c, g); err != nil {
			t.Fatalf("create %s: %v", g.ID, err)
		}
	}
	for _, tc := range []struct {
		issuer, subject, kid string
		want                 []string
	}{
		{"https://idp.example", "alice", "", []string{"alice-k1", "alice-k2", "any-k1"}},
		{"https://idp.example", "alice", "k1", []string{"alice-k1", "any-k1"}},
		{"https://idp.example", "alice", "k3", nil}, // expired at now exactly
		{"https://idp.example", "carol", "", []string{"any-k1"}},
		{"https://idp.example", strings.Repeat("c", 300), "", []string{"any-k1"}},
		{"https://idp.example", "", "", []string{"any-k1"}},
		{"https://other.example", "bob", "", nil},
		{"https://nobody.example", "alice", "", nil},
		{strings.Repeat("i", 300), "alice", "", nil},
		{"https://idp.example", "alice", strings.Repeat("k", 300), nil},
	} {
		t.Run(fmt.Sprintf("%.20s/%.20s/%s", tc.issuer, tc.subject, tc.kid), func(t *testing.T) {
			gs, err := s.FindTrustGrants(c, tc.issuer, tc.subject, tc.kid, now)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, g := range gs {
				ids = append(ids, g.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("found %v, want %v", ids, tc.want)
			}
		})
	}
}

func testTrustPagination(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for i := range 5 {
		iss := "https://a.example"
		if i%2 == 1 {
			iss = "https://b.example"
		}
		if err := s.CreateTrustGrant(c, newTrustGrant(fmt.Sprintf("g%d", i), iss, fmt.Sprintf("s%d", i), "k")); err != nil {
			t.Fatal(err)
		}
	}
	collect := func(issuer string, size int) []string {
		var ids []string
		page := storage.Page{Size: size}
		for range 10 {
			gs, res, err := s.ListTrustGrants(c, issuer, page)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			for _, g := range gs {
				ids = append(ids, g.ID)
			}
			if res.Next == "" {
				return ids
			}
			page.Token = res.Next
		}
		t.Fatal("pagination does not end")
		return nil
	}
	if got := collect("", 2); !reflect.DeepEqual(got, []string{"g0", "g1", "g2", "g3", "g4"}) {
		t.Errorf("all: %v", got)
	}
	if got := collect("https://b.example", 1); !reflect.DeepEqual(got, []string{"g1", "g3"}) {
		t.Errorf("issuer b: %v", got)
	}
	if _, _, err := s.ListTrustGrants(c, "", storage.Page{Token: "!!"}); !errors.Is(err, storage.ErrBadPageToken) {
		t.Errorf("bad token: err = %v, want ErrBadPageToken", err)
	}
}

func testJTISingleUse(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	exp := baseTime().Add(time.Hour)
	if err := s.UseJTI(c, "client\x00abc", exp); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("key with a NUL byte: err = %v, want ErrInvalidValue", err)
	}
	key := strings.Repeat("a", 64)
	if err := s.UseJTI(c, key, exp); err != nil {
		t.Fatalf("hex key: %v", err)
	}
	if err := s.UseJTI(c, key, exp); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("replayed jti: err = %v, want ErrAlreadyUsed", err)
	}
	// JTIs and verifiers never share a key, even when the text is equal.
	if err := s.UseVerifier(c, key, exp); err != nil {
		t.Errorf("verifier with a jti's key: %v", err)
	}
	if err := s.UseJTI(c, strings.Repeat("k", 255), exp); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("key too long with its prefix: err = %v, want ErrInvalidValue", err)
	}
}

func testClientCredentialsRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	cl := newClient("creds")
	cl.Credentials = client.Credentials{
		SealedSecret: []byte{0, 1, 2, 255},
		Rotated: []client.StoredSecret{
			{Hash: "$pbkdf2-sha256$i=1,l=32$c2FsdA$aGFzaA", Sealed: []byte{9, 8}, RotatedAt: baseTime()},
			{Hash: "$2a$04$older", RotatedAt: baseTime().Add(-time.Hour)},
		},
		RegistrationTokenDigest: []byte("0123456789abcdef0123456789abcdef"),
	}
	if err := s.CreateClient(c, cl); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetClient(c, "creds")
	if err != nil {
		t.Fatal(err)
	}
	sameCredentials(t, got.Credentials, cl.Credentials)

	// An update replaces the credentials, including with none at all.
	cl.Credentials.Rotated = cl.Credentials.Rotated[:1]
	if err := updateClient(c, s, cl); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetClient(c, "creds")
	sameCredentials(t, got.Credentials, cl.Credentials)
	cl.Credentials = client.Credentials{}
	if err := updateClient(c, s, cl); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetClient(c, "creds")
	sameCredentials(t, got.Credentials, client.Credentials{})

	// Listings carry them too: the admin API must never lose them on an
	// update that starts from a listed client.
	cl.Credentials.SealedSecret = []byte("x")
	if err := updateClient(c, s, cl); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.ListClients(c, client.Filter{}, storage.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v, %d clients", err, len(list))
	}
	sameCredentials(t, list[0].Credentials, cl.Credentials)
}

func sameCredentials(t *testing.T, got, want client.Credentials) {
	t.Helper()
	for i := range got.Rotated {
		if i < len(want.Rotated) {
			sameTime(t, "rotated_at", got.Rotated[i].RotatedAt, want.Rotated[i].RotatedAt)
			got.Rotated[i].RotatedAt = want.Rotated[i].RotatedAt
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("credentials changed in storage:\n got %+v\nwant %+v", got, want)
	}
}
