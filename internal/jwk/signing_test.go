package jwk

import (
	"context"
	"crypto/elliptic"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/storage"
)

// failingStore fails its nth key write, as a database that goes away in the
// middle of a request would.
type failingStore struct {
	*fakeStore
	writes, failAt int
}

var errInjected = errors.New("test: the database went away")

func (f *failingStore) write() error {
	f.writes++
	if f.writes == f.failAt {
		return errInjected
	}
	return nil
}

func (f *failingStore) ReplaceKey(ctx context.Context, rec *Record) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.fakeStore.ReplaceKey(ctx, rec)
}

func (f *failingStore) ReplaceSet(ctx context.Context, set string, recs []*Record) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.fakeStore.ReplaceSet(ctx, set, recs)
}

func (f *failingStore) DeleteKey(ctx context.Context, set, kid string) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.fakeStore.DeleteKey(ctx, set, kid)
}

func kidsIn(store *fakeStore, set string) []string {
	var kids []string
	for _, r := range store.records(set) {
		kids = append(kids, r.KID)
	}
	slices.Sort(kids)
	return kids
}

func TestImportSetIsAtomicWhenTheStoreFails(t *testing.T) {
	ctx := context.Background()
	keys := make([]jose.JSONWebKey, 3)
	for i, kid := range []string{"new1", "new2", "new3"} {
		keys[i] = jose.JSONWebKey{Key: mustEC(t, elliptic.P256()), KeyID: kid, Algorithm: "ES256", Use: "sig"}
	}
	oldKids, newKids := []string{"old1", "old2"}, []string{"new1", "new2", "new3"}
	for failAt := 1; failAt <= 5; failAt++ {
		store := newFakeStore()
		for _, kid := range oldKids {
			if _, err := newManager(t, store).Generate(ctx, "s", "ES256", "sig", kid); err != nil {
				t.Fatal(err)
			}
		}
		m := newManager(t, &failingStore{fakeStore: store, failAt: failAt})
		err := m.Import(ctx, "s", keys)
		got := kidsIn(store, "s")
		if !slices.Equal(got, oldKids) && !slices.Equal(got, newKids) {
			t.Fatalf("write %d failing (import err %v) left the set holding %q: neither old nor new", failAt, err, got)
		}
		if (err == nil) != slices.Equal(got, newKids) {
			t.Fatalf("write %d failing: import err %v but the set holds %q", failAt, err, got)
		}
	}
}

func TestTokenSetsRefuseImportsWithoutAPrivateSigningKey(t *testing.T) {
	m := newManager(t, newFakeStore())
	srv := adminServer(t, m)
	rsa := mustRSA(t, 2048)
	pubOnly := jwkJSON(t, &rsa.PublicKey, "pub", "RS256", nil)
	encOnly := jwkJSON(t, rsa, "enc", "RSA-OAEP", func(k map[string]any) { k["use"] = "enc" })
	signerAsEnc := jwkJSON(t, mustEC(t, elliptic.P256()), "ec-enc", "ES256", func(k map[string]any) { k["use"] = "enc" })
	signer := jwkJSON(t, mustEC(t, elliptic.P256()), "signer", "ES256", nil)
	refused := func(what string, status int, out map[string]any) {
		t.Helper()
		desc, _ := out["error_description"].(string)
		if status != 400 || out["error"] != "invalid_request" || !strings.Contains(desc, "private signing key") {
			t.Errorf("%s: %d %v; want 400 invalid_request about the private signing key", what, status, out)
		}
	}
	for _, set := range []string{SetIDToken, SetAccessToken} {
		path := "/admin/keys/" + set
		for name, body := range map[string]string{
			"public only":          `{"keys":[` + pubOnly + `]}`,
			"encryption only":      `{"keys":[` + encOnly + `,` + pubOnly + `]}`,
			"signing alg, use enc": `{"keys":[` + signerAsEnc + `]}`,
		} {
			status, out := call(t, srv, "PUT", path, body)
			refused(set+" PUT set "+name, status, out)
		}
		status, out := call(t, srv, "PUT", path+"/pub", pubOnly)
		refused(set+" PUT public key into an empty set", status, out)
		status, out = call(t, srv, "POST", path, `{"alg":"RS256","use":"enc","kid":"gen-enc"}`)
		refused(set+" POST encryption key into an empty set", status, out)

		if status, out = call(t, srv, "PUT", path, `{"keys":[`+pubOnly+`,`+signer+`]}`); status != 200 {
			t.Fatalf("%s: PUT set with a signer: %d %v", set, status, out)
		}
		status, out = call(t, srv, "PUT", path+"/signer", jwkJSON(t, &rsa.PublicKey, "signer", "RS256", nil))
		refused(set+" PUT replacing the only signer with a public key", status, out)
		if status, out = call(t, srv, "PUT", path+"/pub2", jwkJSON(t, &rsa.PublicKey, "pub2", "RS256", nil)); status != 200 {
			t.Errorf("%s: PUT a public key beside a signer: %d %v", set, status, out)
		}
		if status, out = call(t, srv, "POST", path, `{"alg":"RS256","use":"enc","kid":"gen-enc"}`); status != 201 {
			t.Errorf("%s: POST an encryption key beside a signer: %d %v", set, status, out)
		}
		if kid := signAndVerify(t, m, set); kid != "signer" {
			t.Errorf("%s signs with %q, want signer", set, kid)
		}
	}
	// Sets Signet does not sign with take any valid key.
	if status, out := call(t, srv, "PUT", "/admin/keys/verify-only", `{"keys":[`+pubOnly+`]}`); status != 200 {
		t.Errorf("public-only operator set: %d %v", status, out)
	}
}

// Deleting the last private signing key of a token set is refused with 400,
// rather than a key being regenerated behind the operator's back; deleting
// the whole set is how to start afresh.
func TestTokenSetsRefuseDeletingTheLastSigningKey(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	srv := adminServer(t, m)
	ctx := context.Background()
	if err := m.EnsureKeys(ctx, SetIDToken); err != nil {
		t.Fatal(err)
	}
	first := store.records(SetIDToken)[0].KID
	path := "/admin/keys/" + SetIDToken + "/"
	pub := jwkJSON(t, &mustRSA(t, 2048).PublicKey, "pub", "RS256", nil)
	if status, out := call(t, srv, "PUT", path+"pub", pub); status != 200 {
		t.Fatalf("PUT public key: %d %v", status, out)
	}
	if status, out := call(t, srv, "DELETE", path+first, ""); status != 400 || out["error"] != "invalid_request" {
		t.Errorf("DELETE the only signer beside a public key: %d %v, want 400", status, out)
	}
	if status, _ := call(t, srv, "DELETE", path+"pub", ""); status != 204 {
		t.Errorf("DELETE the public key: %d, want 204", status)
	}
	if status, out := call(t, srv, "DELETE", path+first, ""); status != 400 {
		t.Errorf("DELETE the set's only key: %d %v, want 400", status, out)
	}
	if status, _ := call(t, srv, "DELETE", path+"no-such-kid", ""); status != 404 {
		t.Errorf("DELETE a missing kid: %d, want 404", status)
	}
	if kid := signAndVerify(t, m, SetIDToken); kid != first {
		t.Fatalf("after refused deletes the set signs with %q, want %q", kid, first)
	}
	if _, err := m.Generate(ctx, SetIDToken, "ES256", "sig", "second"); err != nil {
		t.Fatal(err)
	}
	if status, _ := call(t, srv, "DELETE", path+first, ""); status != 204 {
		t.Errorf("DELETE a signer while another remains: %d, want 204", status)
	}
	if status, _ := call(t, srv, "DELETE", "/admin/keys/"+SetIDToken, ""); status != 204 {
		t.Fatalf("DELETE the whole set: %d, want 204", status)
	}
	if kid := signAndVerify(t, m, SetIDToken); kid == "second" || kid == first {
		t.Errorf("after deleting the set it signs with %q, want a new key", kid)
	}
	if _, err := m.Get(ctx, SetIDToken, "second"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted key still stored: %v", err)
	}
}
