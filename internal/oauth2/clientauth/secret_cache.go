package clientauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// SecretCache remembers successful client secret verifications, because
// pbkdf2 and bcrypt are slow on purpose and machine clients authenticate
// thousands of times an hour.
//
// An entry is a MAC, under a random key made when the process starts, of
// the client's stored hash together with the presented secret. So:
//   - a changed or rotated secret has a new stored hash and misses by
//     construction; nothing needs invalidating;
//   - a hit means this exact secret was verified against this exact hash, so
//     nothing is accepted that Hasher.Verify would refuse;
//   - the cache holds neither secrets nor hashes, and its keys are useless
//     outside this process.
//
// Failures are never stored (Remember is only called after a successful
// Verify). Size is bounded: when full, the oldest entry is evicted (FIFO).
type SecretCache struct {
	key []byte

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]struct{}
	ring    [][sha256.Size]byte // insertion order, for FIFO eviction
	next    int
}

// DefaultSecretCacheSize bounds memory to well under 1 MiB.
const DefaultSecretCacheSize = 10000

// NewSecretCache makes a cache of at most size entries with a MAC key read
// from rand (crypto/rand.Reader in production).
func NewSecretCache(rand io.Reader, size int) (*SecretCache, error) {
	if size < 1 {
		return nil, errors.New("clientauth: secret cache size must be positive")
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, err
	}
	return &SecretCache{
		key:     key,
		entries: make(map[[sha256.Size]byte]struct{}, size),
		ring:    make([][sha256.Size]byte, 0, size),
	}, nil
}

// entryKey is HMAC(key, len(hash) || hash || len(secret) || secret); the
// length prefixes make the pair encoding unambiguous.
func (c *SecretCache) entryKey(storedHash, presented string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(storedHash)))
	m.Write(n[:])
	m.Write([]byte(storedHash))
	binary.BigEndian.PutUint64(n[:], uint64(len(presented)))
	m.Write(n[:])
	m.Write([]byte(presented))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// Verified reports whether presented was verified against storedHash before.
// A nil cache never remembers anything.
func (c *SecretCache) Verified(storedHash, presented string) bool {
	if c == nil {
		return false
	}
	k := c.entryKey(storedHash, presented)
	c.mu.RLock()
	_, ok := c.entries[k]
	c.mu.RUnlock()
	return ok
}

// Remember records a successful verification. Call it only after
// Hasher.Verify accepted presented for storedHash.
func (c *SecretCache) Remember(storedHash, presented string) {
	if c == nil {
		return
	}
	k := c.entryKey(storedHash, presented)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, k)
	} else {
		delete(c.entries, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % len(c.ring)
	}
	c.entries[k] = struct{}{}
}

// Len is the number of remembered verifications.
func (c *SecretCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
