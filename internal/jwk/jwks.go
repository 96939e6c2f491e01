package jwk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// JWKS serves GET /.well-known/jwks.json: the public keys of the sets in
// webfinger.jwks.broadcast_keys. The body is encoded once per snapshot and
// then served as bytes, so a request costs neither a query nor a marshal.
type JWKS struct {
	manager *Manager
	sets    []string
	maxAge  time.Duration
	cache   atomic.Pointer[jwksBody]
}

// jwksBody is the encoding of one snapshot.
type jwksBody struct {
	snap *snapshot
	body []byte
	etag string
}

// NewJWKS builds the handler for the broadcast sets. maxAge is advertised
// in Cache-Control; keep it short (a minute) because a key added by hand
// signs at once, and relying parties that cache the document too long
// would not yet know it. (Automatic rotation publishes ahead instead:
// keys.rotation.publish_before.)
func NewJWKS(m *Manager, broadcast []string, maxAge time.Duration) *JWKS {
	return &JWKS{manager: m, sets: append([]string(nil), broadcast...), maxAge: maxAge}
}

// Routes registers GET /.well-known/jwks.json on mux.
func (j *JWKS) Routes(mux httpx.Mux, wrap func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("GET /.well-known/jwks.json", wrap(j.Serve))
}

// Serve writes the document, answering a matching If-None-Match with 304.
func (j *JWKS) Serve(w http.ResponseWriter, r *http.Request) error {
	b, err := j.current(r)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(j.maxAge.Seconds())))
	h.Set("ETag", b.etag)
	if r.Header.Get("If-None-Match") == b.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.body)
	return nil
}

// current returns the encoding of the manager's snapshot, encoding it when
// the snapshot changed. Concurrent requests after a change may each encode
// once; the result is identical, so last writer wins harmlessly.
func (j *JWKS) current(r *http.Request) (*jwksBody, error) {
	if b := j.cache.Load(); b != nil && b.snap == j.manager.snap.Load() {
		return b, nil
	}
	ks, snap, err := j.manager.publicKeys(r.Context(), j.sets)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(ks)
	if err != nil {
		return nil, fmt.Errorf("jwk: encoding the JWKS document: %w", err)
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	b := &jwksBody{snap: snap, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	j.cache.Store(b)
	return b, nil
}
