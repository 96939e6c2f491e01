package sqlstore_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
	"github.com/signet-oidc/signet/internal/token"
)

// The batcher's retry path on every dialect: it reads a row back with a
// time comparison, which each database must answer exactly.
func TestBatchRetry(t *testing.T) {
	for name, open := range map[string]storetest.Opener{
		"SQLite": storetest.SQLite, "Postgres": storetest.Postgres, "MySQL": storetest.MySQL,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("AcceptsRowsTheFailedBatchStored", func(t *testing.T) { batchRetryAcceptsStored(t, open) })
			t.Run("StillReportsRealConflicts", func(t *testing.T) { batchRetryReportsConflicts(t, open) })
		})
	}
}

func storeWithClient(t *testing.T, open storetest.Opener) *sqlstore.Store {
	t.Helper()
	s := open(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.CreateClient(t.Context(), &client.Client{ID: "c", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return s
}

func access(raw, requestID string) *token.AccessRecord {
	d := sha256.Sum256([]byte(raw))
	issued := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	return &token.AccessRecord{Digest: d[:], ClientID: "c", Scopes: []string{}, Audience: []string{},
		GrantType: "client_credentials", Strategy: "opaque", IssuedAt: issued,
		ExpiresAt: issued.Add(time.Hour), RequestID: requestID}
}

// A multi-row INSERT that committed but whose reply was lost: the rows'
// retries meet their own rows, and each write succeeded.
func batchRetryAcceptsStored(t *testing.T, open storetest.Opener) {
	s := storeWithClient(t, open)
	recs := []*token.AccessRecord{access("t1", "r1"), access("t2", "r2"), access("t3", "r3")}
	errs, err := sqlstore.FlushAccess(t.Context(), s, true, recs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("row %d: %v; the batch stored it, so the write succeeded", i, err)
		}
	}
	for _, a := range recs {
		if _, err := s.GetAccess(t.Context(), a.Digest); err != nil {
			t.Errorf("request %s: %v", a.RequestID, err)
		}
	}
}

// Another record under a stored digest fails the batch, then fails alone;
// the stored record sent again is already there; a fresh one is written.
func batchRetryReportsConflicts(t *testing.T, open storetest.Opener) {
	s := storeWithClient(t, open)
	first := access("dup", "first-request")
	if err := s.CreateAccess(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	errs, err := sqlstore.FlushAccess(t.Context(), s, false,
		access("dup", "second-request"), access("dup", "first-request"), access("fresh", "r"))
	if err != nil {
		t.Fatal(err)
	}
	if !sqlstore.IsUnique(s, errs[0]) {
		t.Errorf("another record under a stored digest: %v, want the unique violation", errs[0])
	}
	if errs[1] != nil || errs[2] != nil {
		t.Errorf("the stored record again: %v; a fresh record: %v; want both nil", errs[1], errs[2])
	}
	got, err := s.GetAccess(t.Context(), first.Digest)
	if err != nil || got.RequestID != "first-request" {
		t.Errorf("stored record: %+v, %v; want the first one kept", got, err)
	}
}
