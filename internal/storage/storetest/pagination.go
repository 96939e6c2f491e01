package storetest

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// paginationIDs mixes ASCII case, metacharacters, trailing spaces and
// multi-byte runes: the order must be the same bytewise order everywhere.
func paginationIDs() []string {
	return []string{"b", "a", "A", "a ", "a%", "a_", `a\`, "'; DROP TABLE clients; --",
		"é", "日本", "z", "Z", "0", "10", "9", "~", "client-1", "client-2", "client-10",
		"x y", "🔐", "m", "n"}
}

// listAll walks every page and fails on a page larger than size or a
// repeated id.
func listAll(t *testing.T, s *sqlstore.Store, f client.Filter, size int) []string {
	t.Helper()
	var ids []string
	p := storage.Page{Size: size}
	for range 100 {
		page, next, err := s.ListClients(ctx(t), f, p)
		if err != nil {
			t.Fatalf("list %+v: %v", p, err)
		}
		if limit := cmp.Or(max(size, 0), storage.DefaultPageSize); len(page) > limit {
			t.Fatalf("page of %d, asked for %d", len(page), size)
		}
		for _, c := range page {
			ids = append(ids, c.ID)
		}
		if next.Next == "" {
			return ids
		}
		p.Token = next.Next
	}
	t.Fatal("pagination did not end")
	return nil
}

func testClientPagination(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	ids := paginationIDs()
	for _, id := range ids {
		if err := s.CreateClient(c, newClient(id)); err != nil {
			t.Fatalf("create %q: %v", id, err)
		}
	}
	want := slices.Clone(ids)
	slices.Sort(want) // Go compares strings bytewise, as the store must
	for _, size := range []int{1, 5, len(ids), len(ids) + 1, 0, -3} {
		got := listAll(t, s, client.Filter{}, size)
		if !slices.Equal(got, want) {
			t.Errorf("size %d: got %q\nwant %q", size, got, want)
		}
	}
	// Exactly one full page: Next must be empty, not a token to an empty page.
	page, next, err := s.ListClients(c, client.Filter{}, storage.Page{Size: len(ids)})
	if err != nil || len(page) != len(ids) || next.Next != "" {
		t.Errorf("full page: %d clients, next %q, err %v", len(page), next.Next, err)
	}
	// Keyset stability: a client created behind the cursor is not repeated,
	// one created ahead of it appears.
	first, next, err := s.ListClients(c, client.Filter{}, storage.Page{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"!", "zz"} {
		if err := s.CreateClient(c, newClient(id)); err != nil {
			t.Fatal(err)
		}
	}
	rest := listAllFrom(t, s, next.Next)
	if slices.Contains(rest, "!") || !slices.Contains(rest, "zz") || slices.Contains(rest, first[2].ID) {
		t.Errorf("after cursor %q: %q", first[2].ID, rest)
	}
}

func listAllFrom(t *testing.T, s *sqlstore.Store, token string) []string {
	var ids []string
	for token != "" {
		page, next, err := s.ListClients(ctx(t), client.Filter{}, storage.Page{Size: 4, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			ids = append(ids, c.ID)
		}
		token = next.Next
	}
	return ids
}

func testClientPaginationFilters(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for i, id := range paginationIDs() {
		cl := newClient(id)
		cl.Owner = []string{"alice", "bob", "'; --"}[i%3]
		cl.Name = []string{"app", "App", "app "}[(i/2)%3] // names that differ only in case or a space
		if err := s.CreateClient(c, cl); err != nil {
			t.Fatal(err)
		}
	}
	all := listAll(t, s, client.Filter{}, 500)
	for _, f := range []client.Filter{
		{Owner: "alice"}, {Owner: "'; --"}, {Name: "app"}, {Name: "App"},
		{Name: "app", Owner: "bob"}, {Owner: "nobody"}, {Owner: "%"},
	} {
		var want []string
		for _, id := range all {
			cl, err := s.GetClient(c, id)
			if err != nil {
				t.Fatal(err)
			}
			if (f.Name == "" || cl.Name == f.Name) && (f.Owner == "" || cl.Owner == f.Owner) {
				want = append(want, id)
			}
		}
		if got := listAll(t, s, f, 2); !slices.Equal(got, want) {
			t.Errorf("filter %+v: got %q, want %q", f, got, want)
		}
	}
}

func testClientPaginationBadToken(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	if err := s.CreateClient(c, newClient("only")); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"!!!", "a=b", "%00", strings.Repeat("A", 5000),
		base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", 300)))} {
		_, _, err := s.ListClients(c, client.Filter{}, storage.Page{Size: 10, Token: tok})
		if !errors.Is(err, storage.ErrBadPageToken) {
			t.Errorf("token %.20q: err = %v, want ErrBadPageToken", tok, err)
		}
	}
	// A well-formed token for an id that does not exist still pages from there.
	page, _, err := s.ListClients(c, client.Filter{}, storage.Page{Token: base64.RawURLEncoding.EncodeToString([]byte("m"))})
	if err != nil || len(page) != 1 || page[0].ID != "only" {
		t.Errorf("token after %q: %v, %v", "m", page, err)
	}
}

// testClientPageSizes pins the page sizes the admin API promises in its
// Link headers: storage.DefaultPageSize when none is asked, exactly the
// size asked up to storage.MaxPageSize, and no more than that beyond it.
func testClientPageSizes(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	total := storage.MaxPageSize + 5
	errs := race(contenders, func(w int) error {
		for i := w; i < total; i += contenders {
			if err := s.CreateClient(c, newClient(fmt.Sprintf("c%05d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ask, want int }{
		{0, storage.DefaultPageSize},
		{-1, storage.DefaultPageSize},
		{800, 800},
		{storage.MaxPageSize, storage.MaxPageSize},
		{storage.MaxPageSize + 1, storage.MaxPageSize},
		{1 << 20, storage.MaxPageSize},
	} {
		page, next, err := s.ListClients(c, client.Filter{}, storage.Page{Size: tc.ask})
		if err != nil || len(page) != tc.want || next.Next == "" {
			t.Errorf("page_size %d: %d clients, next %q, err %v; want %d and a next page", tc.ask, len(page), next.Next, err, tc.want)
		}
	}
	// The last page of a walk at the largest size holds the remainder.
	first, next, err := s.ListClients(c, client.Filter{}, storage.Page{Size: storage.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	rest, last, err := s.ListClients(c, client.Filter{}, storage.Page{Size: storage.MaxPageSize, Token: next.Next})
	if err != nil || len(first)+len(rest) != total || last.Next != "" {
		t.Errorf("second page: %d clients, next %q, err %v; want %d and no next page", len(rest), last.Next, err, total-len(first))
	}
}
