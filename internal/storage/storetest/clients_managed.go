package storetest

import (
	"testing"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
)

// testClientManagedRoundTrip: the mark of a client declared in the
// configuration file (Credentials.ManagedBy) survives create, update, get
// and list on its own, without any secret beside it, and an update that
// clears it clears it.
func testClientManagedRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	cl := newClient("managed")
	cl.Credentials = client.Credentials{ManagedBy: client.ManagedByConfig}
	if err := s.CreateClient(c, cl); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetClient(c, "managed")
	if err != nil {
		t.Fatal(err)
	}
	sameCredentials(t, got.Credentials, cl.Credentials)

	list, _, err := s.ListClients(c, client.Filter{}, storage.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v, %d clients", err, len(list))
	}
	sameCredentials(t, list[0].Credentials, cl.Credentials)

	cl.Credentials = client.Credentials{}
	if err := updateClient(c, s, cl); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetClient(c, "managed")
	sameCredentials(t, got.Credentials, client.Credentials{})
}
