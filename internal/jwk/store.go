package jwk

import (
	"context"
	"time"
)

// Record is one stored key of a set. The private half is sealed with the
// system secret keyring (secret.Keyring) before it reaches storage.
type Record struct {
	Set string
	KID string
	// Public is the public JWK as JSON (what the JWKS endpoints publish).
	Public []byte
	// SealedPrivate is the AEAD-sealed private JWK JSON; nil for imported
	// public-only keys.
	SealedPrivate []byte
	// CreatedAt is when the key was stored, and also when it may start
	// signing: the newest signing key whose CreatedAt has passed signs. A
	// key made by automatic rotation is stored with a CreatedAt in the
	// future, so it is published before it signs (rotation.go).
	CreatedAt time.Time
}

// Store persists JSON Web Keys.
type Store interface {
	// AddKey inserts rec; storage.ErrConflict if (Set, KID) exists.
	AddKey(ctx context.Context, rec *Record) error
	// AddKeyIfSetEmpty inserts rec only when the set has no key at all and
	// reports whether it did. It must be atomic across processes: when many
	// instances start at once against one database, exactly one inserts.
	AddKeyIfSetEmpty(ctx context.Context, rec *Record) (bool, error)
	// AddKeyIfNoneAfter inserts rec only when no key of its set has a
	// CreatedAt after cutoff (an empty set qualifies) and reports
	// whether it did. It must be atomic across processes: of many
	// instances rotating the set at once, exactly one inserts, and the
	// others' checks see its key.
	AddKeyIfNoneAfter(ctx context.Context, rec *Record, cutoff time.Time) (bool, error)
	// ReplaceKey inserts or overwrites (Set, KID) (PUT semantics).
	ReplaceKey(ctx context.Context, rec *Record) error
	// ReplaceSet makes recs (all of set) the whole content of set, in one
	// transaction that first bumps the set's generation, so it is
	// serialised with every other writer of the set: readers and
	// concurrent callers see the old keys or one caller's keys, never a
	// mix. A kid given twice is storage.ErrConflict and changes nothing.
	ReplaceSet(ctx context.Context, set string, recs []*Record) error
	// GetKey returns one key or storage.ErrNotFound.
	GetKey(ctx context.Context, set, kid string) (*Record, error)
	// ListKeys returns the keys of a set, newest first; storage.ErrNotFound
	// when the set has none.
	ListKeys(ctx context.Context, set string) ([]*Record, error)
	// DeleteKey removes one key; storage.ErrNotFound if absent.
	DeleteKey(ctx context.Context, set, kid string) error
	// DeleteSet removes every key of a set; storage.ErrNotFound if it had none.
	DeleteSet(ctx context.Context, set string) error
	// KeysVersion is a cheap value that changes whenever any key is added,
	// replaced or deleted, so instances can notice each other's changes.
	KeysVersion(ctx context.Context) (string, error)
}
