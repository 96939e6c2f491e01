package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/storage"
)

// Every key mutation runs in a transaction that first bumps its set's row
// in jwk_sets. That one statement does two jobs:
//   - it serialises writers of the same set: the upsert takes the row lock
//     on PostgreSQL and MySQL (and SQLite has a single writer), so
//     AddKeyIfSetEmpty's count-then-insert cannot interleave with another,
//     nor ReplaceSet's delete-then-insert;
//   - it makes KeysVersion cheap: the sum of generations only grows, by one
//     per committed mutation. Set rows are never deleted, so the sum never
//     returns to an earlier value.
// Taking the set lock first in every transaction also gives one lock order,
// so these transactions cannot deadlock each other.

const keyCols = "set_id, kid, public_jwk, sealed_private, created_at"

type keySQL struct {
	bump, count, countAfter, insert, replace, get, list, delete, deleteSet, version string
	// sealedAfter and swapSealed serve re-encryption (reseal.go).
	sealedAfter, swapSealed string
}

func buildKeySQL(d dialect) keySQL {
	insert := "INSERT INTO jwk_keys (" + keyCols + ") VALUES (?, ?, ?, ?, ?)"
	return keySQL{
		bump: d.rebind("INSERT INTO jwk_sets (set_id, generation) VALUES (?, 1)" +
			d.onConflict([]string{"set_id"}, nil, "generation = jwk_sets.generation + 1")),
		count:      d.rebind("SELECT COUNT(*) FROM jwk_keys WHERE set_id = ?"),
		countAfter: d.rebind("SELECT COUNT(*) FROM jwk_keys WHERE set_id = ? AND created_at > ?"),
		insert:     d.rebind(insert),
		replace: d.rebind(insert + d.onConflict([]string{"set_id", "kid"},
			[]string{"public_jwk", "sealed_private", "created_at"})),
		get:       d.rebind("SELECT " + keyCols + " FROM jwk_keys WHERE set_id = ? AND kid = ?"),
		list:      d.rebind("SELECT " + keyCols + " FROM jwk_keys WHERE set_id = ? ORDER BY created_at DESC, kid DESC"),
		delete:    d.rebind("DELETE FROM jwk_keys WHERE set_id = ? AND kid = ?"),
		deleteSet: d.rebind("DELETE FROM jwk_keys WHERE set_id = ?"),
		version:   "SELECT COALESCE(SUM(generation), 0) FROM jwk_sets",
		sealedAfter: d.rebind("SELECT " + keyCols + " FROM jwk_keys WHERE sealed_private IS NOT NULL" +
			" AND (set_id > ? OR (set_id = ? AND kid > ?)) ORDER BY set_id, kid LIMIT ?"),
		swapSealed: d.rebind("UPDATE jwk_keys SET sealed_private = ? WHERE set_id = ? AND kid = ? AND sealed_private = ?"),
	}
}

// checkKey screens the text columns of a key write.
func checkKey(op string, r *jwk.Record) error {
	return checkText(op, text("set_id", r.Set), text("kid", r.KID), textBytes("public_jwk", r.Public))
}

// errKeyNotFound is what every lookup of an absent key or set returns.
func errKeyNotFound() error { return fmt.Errorf("sqlstore: key: %w", storage.ErrNotFound) }

func (s *Store) keyArgs(r *jwk.Record) []any {
	var priv any
	if r.SealedPrivate != nil {
		priv = r.SealedPrivate
	}
	return []any{r.Set, r.KID, string(r.Public), priv, s.d.timeArg(r.CreatedAt)}
}

// AddKey inserts rec; storage.ErrConflict if (Set, KID) exists.
func (s *Store) AddKey(ctx context.Context, rec *jwk.Record) error {
	if err := checkKey("add key", rec); err != nil {
		return err
	}
	return s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, rec.Set); err != nil {
			return s.d.classify("add key", err)
		}
		_, err := q.exec(ctx, s.keys.insert, s.keyArgs(rec)...)
		return s.d.classify("add key", err)
	})
}

// AddKeyIfSetEmpty inserts rec only if its set has no key, atomically
// across processes, and reports whether it did. When it does not insert it
// rolls back, so KeysVersion does not move.
func (s *Store) AddKeyIfSetEmpty(ctx context.Context, rec *jwk.Record) (bool, error) {
	if err := checkKey("add first key", rec); err != nil {
		return false, err
	}
	added := false
	err := s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, rec.Set); err != nil {
			return s.d.classify("add first key", err)
		}
		var n int64
		if err := q.queryRow(ctx, s.keys.count, rec.Set).Scan(&n); err != nil {
			return s.d.classify("add first key", err)
		}
		if n > 0 {
			return errRollback
		}
		if _, err := q.exec(ctx, s.keys.insert, s.keyArgs(rec)...); err != nil {
			return s.d.classify("add first key", err)
		}
		added = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return added, nil
}

// AddKeyIfNoneAfter inserts rec only if no key of its set has a
// created_at after cutoff, atomically across processes (the set
// lock serialises the check with every other writer of the set), and
// reports whether it did. When it does not insert it rolls back, so
// KeysVersion does not move.
func (s *Store) AddKeyIfNoneAfter(ctx context.Context, rec *jwk.Record, cutoff time.Time) (bool, error) {
	if err := checkKey("add rotated key", rec); err != nil {
		return false, err
	}
	added := false
	err := s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, rec.Set); err != nil {
			return s.d.classify("add rotated key", err)
		}
		var n int64
		if err := q.queryRow(ctx, s.keys.countAfter, rec.Set, s.d.timeArg(cutoff)).Scan(&n); err != nil {
			return s.d.classify("add rotated key", err)
		}
		if n > 0 {
			return errRollback
		}
		if _, err := q.exec(ctx, s.keys.insert, s.keyArgs(rec)...); err != nil {
			return s.d.classify("add rotated key", err)
		}
		added = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return added, nil
}

// ReplaceKey inserts or overwrites (Set, KID).
func (s *Store) ReplaceKey(ctx context.Context, rec *jwk.Record) error {
	if err := checkKey("replace key", rec); err != nil {
		return err
	}
	return s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, rec.Set); err != nil {
			return s.d.classify("replace key", err)
		}
		_, err := q.exec(ctx, s.keys.replace, s.keyArgs(rec)...)
		return s.d.classify("replace key", err)
	})
}

// ReplaceSet makes recs the whole content of set in one transaction: the
// set's generation is bumped first, which serialises it with every other
// writer of the set, then its keys are deleted and recs inserted. Readers
// and concurrent ReplaceSet calls see the old set or one caller's new set,
// never a mix. Empty recs leave the set empty. A kid given twice is
// storage.ErrConflict and changes nothing.
func (s *Store) ReplaceSet(ctx context.Context, set string, recs []*jwk.Record) error {
	if err := checkReplaceSet(set, recs); err != nil {
		return err
	}
	return s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, set); err != nil {
			return s.d.classify("replace set", err)
		}
		if _, err := q.exec(ctx, s.keys.deleteSet, set); err != nil {
			return s.d.classify("replace set", err)
		}
		for _, rec := range recs {
			if _, err := q.exec(ctx, s.keys.insert, s.keyArgs(rec)...); err != nil {
				return s.d.classify("replace set", err)
			}
		}
		return nil
	})
}

// checkReplaceSet refuses, before any statement, recs that are not all of
// set or that cannot be stored.
func checkReplaceSet(set string, recs []*jwk.Record) error {
	if err := checkText("replace set", text("set_id", set)); err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.Set != set {
			return errors.New("sqlstore: replace set: a record belongs to another set")
		}
		if err := checkKey("replace set", rec); err != nil {
			return err
		}
	}
	return nil
}

// GetKey returns one key or storage.ErrNotFound.
func (s *Store) GetKey(ctx context.Context, set, kid string) (*jwk.Record, error) {
	if !storable(set) || !storable(kid) {
		return nil, errKeyNotFound()
	}
	r, err := scanKey(s.q().queryRow(ctx, s.keys.get, set, kid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errKeyNotFound()
	}
	return r, err
}

// ListKeys returns the keys of a set, newest first; storage.ErrNotFound
// when the set has none.
func (s *Store) ListKeys(ctx context.Context, set string) ([]*jwk.Record, error) {
	if !storable(set) {
		return nil, fmt.Errorf("sqlstore: key set: %w", storage.ErrNotFound)
	}
	out, err := queryAll(ctx, s.q(), "list keys", scanKey, s.keys.list, set)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlstore: key set: %w", storage.ErrNotFound)
	}
	return out, nil
}

// DeleteKey removes one key; storage.ErrNotFound if absent.
func (s *Store) DeleteKey(ctx context.Context, set, kid string) error {
	if !storable(set) || !storable(kid) {
		return errKeyNotFound()
	}
	return s.deleteKeys(ctx, set, s.keys.delete, set, kid)
}

// DeleteSet removes every key of a set; storage.ErrNotFound if it had none.
func (s *Store) DeleteSet(ctx context.Context, set string) error {
	if !storable(set) {
		return errKeyNotFound()
	}
	return s.deleteKeys(ctx, set, s.keys.deleteSet, set)
}

func (s *Store) deleteKeys(ctx context.Context, set, stmt string, args ...any) error {
	return s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, set); err != nil {
			return s.d.classify("delete key", err)
		}
		n, err := q.execN(ctx, stmt, args...)
		if err != nil {
			return s.d.classify("delete key", err)
		}
		if n == 0 {
			return errKeyNotFound()
		}
		return nil
	})
}

// SealedKeysAfter returns up to limit keys with a private half, ordered by
// set then kid (bytewise), strictly after (set, kid). One query.
func (s *Store) SealedKeysAfter(ctx context.Context, set, kid string, limit int) ([]*jwk.Record, error) {
	if limit <= 0 {
		return nil, errors.New("sqlstore: sealed keys: limit must be positive")
	}
	return queryAll(ctx, s.q(), "list sealed keys", scanKey, s.keys.sealedAfter, set, set, kid, limit)
}

// SwapSealedKey replaces the sealed private half of (set, kid) with next
// only if it still is old (a compare-and-swap, so a key replaced
// meanwhile is left alone), and reports whether it did. Like every key
// mutation it bumps the set's generation, so KeysVersion moves; when
// nothing is swapped it rolls back and KeysVersion stays.
func (s *Store) SwapSealedKey(ctx context.Context, set, kid string, old, next []byte) (bool, error) {
	if !storable(set) || !storable(kid) || old == nil || next == nil {
		return false, nil
	}
	swapped := false
	err := s.inTx(ctx, func(q counted) error {
		if _, err := q.exec(ctx, s.keys.bump, set); err != nil {
			return s.d.classify("swap sealed key", err)
		}
		n, err := q.execN(ctx, s.keys.swapSealed, next, set, kid, old)
		if err != nil {
			return s.d.classify("swap sealed key", err)
		}
		if n == 0 {
			return errRollback
		}
		swapped = true
		return nil
	})
	return swapped, err
}

// KeysVersion changes whenever any key is added, replaced or deleted. One
// query over one row per key set.
func (s *Store) KeysVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.q().queryRow(ctx, s.keys.version).Scan(&v); err != nil {
		return "", fmt.Errorf("sqlstore: keys version: %w", err)
	}
	return v, nil
}

func scanKey(r rowScanner) (*jwk.Record, error) {
	var (
		rec    jwk.Record
		public string
	)
	err := r.Scan(&rec.Set, &rec.KID, &public, &rec.SealedPrivate, timeCol{&rec.CreatedAt})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read key: %w", err)
	}
	rec.Public = []byte(public)
	return &rec, nil
}
