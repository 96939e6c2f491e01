package jwk

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

func TestJWKSPublishesOnlyPublicKeysOfBroadcastSets(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	ctx := context.Background()
	if err := m.EnsureKeys(ctx, SetIDToken, SetAccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(ctx, SetIDToken, "ES512", "sig", "ec"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(ctx, "private-set", "EdDSA", "sig", "hidden"); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewJWKS(m, []string{SetIDToken, SetAccessToken}, time.Minute).
		Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.OAuth)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, body := get(t, srv, "")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("status %d, cache-control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Fatalf("key %v publishes private member %q", k["kid"], private)
			}
		}
		kids = append(kids, k["kid"].(string))
	}
	want := []string{"ec", otherThan(store.records(SetIDToken), "ec"), store.records(SetAccessToken)[0].KID}
	slices.Sort(kids)
	slices.Sort(want)
	if !slices.Equal(kids, want) {
		t.Fatalf("published kids %v, want %v (and never %q)", kids, want, "hidden")
	}

	// Steady state: no store calls, same bytes, conditional GET honoured.
	before := store.calls.Load()
	res2, body2 := get(t, srv, "")
	if string(body2) != string(body) || store.calls.Load() != before {
		t.Fatal("a repeated request changed the document or called the store")
	}
	if res3, _ := get(t, srv, res2.Header.Get("ETag")); res3.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d, want 304", res3.StatusCode)
	}

	// A change is published at once by the instance that made it.
	if err := m.Delete(ctx, SetIDToken, "ec"); err != nil {
		t.Fatal(err)
	}
	if _, body4 := get(t, srv, ""); json.Unmarshal(body4, &doc) != nil || len(doc.Keys) != 2 {
		t.Fatalf("after deleting a key the document holds %d keys, want 2", len(doc.Keys))
	}
}

func otherThan(recs []Record, kid string) string {
	for _, r := range recs {
		if r.KID != kid {
			return r.KID
		}
	}
	return ""
}

func get(t *testing.T, srv *httptest.Server, etag string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/.well-known/jwks.json", nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}
