package secret_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

func TestRandomString(t *testing.T) {
	s, err := secret.RandomString(rand.Reader, 32)
	if err != nil {
		t.Fatal(err)
	}
	// 32 bytes is 256 bits: 43 URL-safe characters, no padding, so the
	// value can travel in a query or a form without escaping.
	if len(s) != 43 {
		t.Fatalf("len = %d, want 43", len(s))
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) != 32 {
		t.Fatalf("%q is not 32 bytes of unpadded base64url: %v", s, err)
	}
}

func TestRandomStringIsDeterministicInTests(t *testing.T) {
	// Randomness is a parameter, so tests can pin it.
	src := bytes.Repeat([]byte{0xfb}, 6)
	s, err := secret.RandomString(bytes.NewReader(src), 6)
	if err != nil || s != "-_v7-_v7" {
		t.Fatalf("RandomString = %q, %v", s, err)
	}
}

func TestRandomStringsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s, err := secret.RandomString(rand.Reader, 16)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatalf("duplicate %q", s)
		}
		seen[s] = true
	}
}

func TestRandomStringShortSource(t *testing.T) {
	// A source that runs dry is an error, never a shorter or zero-filled id.
	if s, err := secret.RandomString(bytes.NewReader([]byte{1, 2, 3}), 32); err == nil {
		t.Fatalf("RandomString = %q from 3 bytes of entropy", s)
	}
}

func TestNewUUID(t *testing.T) {
	id, err := secret.NewUUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	// Version nibble 4 and variant bits 10, whatever the random bytes.
	if id != "ffffffff-ffff-4fff-bfff-ffffffffffff" {
		t.Errorf("NewUUID = %s", id)
	}
	if _, err := secret.NewUUID(bytes.NewReader(nil)); err == nil {
		t.Error("NewUUID with no randomness succeeded")
	}
}
