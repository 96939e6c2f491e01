package secret_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

// Low work factors keep the tests fast; production values come from config.
func pbkdf2Hasher() secret.Hasher {
	return secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}
}

func bcryptHasher() secret.Hasher {
	return secret.Hasher{Algorithm: "bcrypt", BCryptCost: 4, Rand: rand.Reader}
}

func mustHash(t *testing.T, h secret.Hasher, s string) string {
	t.Helper()
	hash, err := h.Hash(s)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return hash
}

func TestHashRoundTrip(t *testing.T) {
	for name, h := range map[string]secret.Hasher{
		"pbkdf2":  pbkdf2Hasher(),
		"default": {PBKDF2Iterations: 1000, Rand: rand.Reader}, // empty Algorithm means pbkdf2
		"bcrypt":  bcryptHasher(),
	} {
		t.Run(name, func(t *testing.T) {
			for _, s := range []string{"", "s3cr3t", "ünïcödé-sécret", strings.Repeat("x", 72)} {
				hash := mustHash(t, h, s)
				if s != "" && strings.Contains(hash, s) {
					t.Fatalf("hash %q contains the secret", hash)
				}
				if err := h.Verify(hash, s); err != nil {
					t.Errorf("Verify(Hash(%q)) = %v", s, err)
				}
				for _, wrong := range []string{s + "x", strings.ToUpper(s) + "!", "", " " + s} {
					if wrong == s {
						continue
					}
					if err := h.Verify(hash, wrong); !errors.Is(err, secret.ErrMismatch) {
						t.Errorf("Verify(hash of %q, %q) = %v, want ErrMismatch", s, wrong, err)
					}
				}
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	for name, h := range map[string]secret.Hasher{"pbkdf2": pbkdf2Hasher(), "bcrypt": bcryptHasher()} {
		if mustHash(t, h, "same") == mustHash(t, h, "same") {
			t.Errorf("%s: two hashes of one secret are equal", name)
		}
	}
}

func TestPBKDF2HashFormat(t *testing.T) {
	hash := mustHash(t, pbkdf2Hasher(), "s")
	if !strings.HasPrefix(hash, "$pbkdf2-sha256$i=1000,l=32$") || strings.Count(hash, "$") != 4 {
		t.Fatalf("hash %q is not self-describing", hash)
	}
}

func TestVerifyAcrossAlgorithms(t *testing.T) {
	// Switching oauth2.hashers.algorithm must not lock existing clients out:
	// Verify reads the algorithm from the stored hash, not the setting.
	fromPBKDF2 := mustHash(t, pbkdf2Hasher(), "client-secret")
	fromBCrypt := mustHash(t, bcryptHasher(), "client-secret")
	if err := bcryptHasher().Verify(fromPBKDF2, "client-secret"); err != nil {
		t.Errorf("bcrypt hasher refuses a pbkdf2 hash: %v", err)
	}
	if err := pbkdf2Hasher().Verify(fromBCrypt, "client-secret"); err != nil {
		t.Errorf("pbkdf2 hasher refuses a bcrypt hash: %v", err)
	}
	// Another iteration count than configured still verifies.
	other := secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1, Rand: rand.Reader}
	if err := pbkdf2Hasher().Verify(mustHash(t, other, "c"), "c"); err != nil {
		t.Errorf("hash with other iteration count refused: %v", err)
	}
}

func TestBCryptRefusesLongSecrets(t *testing.T) {
	// bcrypt silently ignores bytes past 72, so two secrets sharing a
	// 72-byte prefix would both verify; Hash refuses instead.
	_, err := bcryptHasher().Hash(strings.Repeat("x", 73))
	if err == nil {
		t.Fatal("bcrypt hashed a 73-byte secret")
	}
	// Multi-byte characters count in bytes, not runes.
	if _, err := bcryptHasher().Hash(strings.Repeat("é", 37)); err == nil {
		t.Fatal("bcrypt hashed a 74-byte secret of 37 runes")
	}
	// pbkdf2 has no such limit.
	long := strings.Repeat("x", 1000)
	if err := pbkdf2Hasher().Verify(mustHash(t, pbkdf2Hasher(), long), long[:999]+"y"); !errors.Is(err, secret.ErrMismatch) {
		t.Fatalf("pbkdf2 ignores the tail of long secrets: %v", err)
	}
}

func TestHashRefusesUnknownAlgorithm(t *testing.T) {
	if _, err := (secret.Hasher{Algorithm: "md5", Rand: rand.Reader}).Hash("x"); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}

func TestHashFailsWithoutRandomness(t *testing.T) {
	h := pbkdf2Hasher()
	h.Rand = strings.NewReader("short")
	if _, err := h.Hash("x"); err == nil {
		t.Fatal("Hash succeeded with a 5-byte salt source")
	}
}

// TestVerifyMalformed covers hashes a corrupted or tampered database could
// hold: each is a mismatch, never a panic and never a match.
func TestVerifyMalformed(t *testing.T) {
	valid := mustHash(t, pbkdf2Hasher(), "s")
	fields := strings.Split(valid, "$") // "", "pbkdf2-sha256", params, salt, key
	salt, key := fields[3], fields[4]
	cases := map[string]string{
		"empty":                "",
		"plain text secret":    "s",
		"unknown scheme":       "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$a2V5",
		"prefix only":          "$pbkdf2-sha256$",
		"two fields":           "$pbkdf2-sha256$i=1000,l=32$" + salt,
		"four fields":          "$pbkdf2-sha256$i=1000,l=32$" + salt + "$" + key + "$extra",
		"zero iterations":      "$pbkdf2-sha256$i=0,l=32$" + salt + "$" + key,
		"negative iterations":  "$pbkdf2-sha256$i=-1,l=32$" + salt + "$" + key,
		"missing iterations":   "$pbkdf2-sha256$l=32$" + salt + "$" + key,
		"non-numeric":          "$pbkdf2-sha256$i=many,l=32$" + salt + "$" + key,
		"overflowing number":   "$pbkdf2-sha256$i=99999999999999999999999,l=32$" + salt + "$" + key,
		"empty params":         "$pbkdf2-sha256$$" + salt + "$" + key,
		"length mismatch":      "$pbkdf2-sha256$i=1000,l=31$" + salt + "$" + key,
		"short length":         "$pbkdf2-sha256$i=1000,l=8$" + salt + "$" + key[:11],
		"zero length":          "$pbkdf2-sha256$i=1000,l=0$" + salt + "$",
		"oversized length":     "$pbkdf2-sha256$i=1,l=96$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 96)), // bounded work per stored hash
		"too many iterations":  "$pbkdf2-sha256$i=10000001,l=32$" + salt + "$" + key,
		"bad base64 salt":      "$pbkdf2-sha256$i=1000,l=32$!!!!$" + key,
		"bad base64 key":       "$pbkdf2-sha256$i=1000,l=32$" + salt + "$" + key[:len(key)-1] + "*",
		"padded base64 key":    "$pbkdf2-sha256$i=1000,l=32$" + salt + "$" + key + "=",
		"truncated key":        "$pbkdf2-sha256$i=1000,l=32$" + salt + "$" + key[:len(key)-4],
		"bcrypt prefix only":   "$2a$",
		"bcrypt bad cost":      "$2a$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"bcrypt truncated":     mustHash(t, bcryptHasher(), "s")[:30],
		"bcrypt unknown minor": "$2z$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	}
	for name, hash := range cases {
		t.Run(name, func(t *testing.T) {
			for _, h := range []secret.Hasher{pbkdf2Hasher(), bcryptHasher()} {
				if err := h.Verify(hash, "s"); !errors.Is(err, secret.ErrMismatch) {
					t.Fatalf("Verify(%q) = %v, want ErrMismatch", hash, err)
				}
			}
		})
	}
}

func TestVerifyRefusesWeakenedHash(t *testing.T) {
	// Lowering the iteration count in a stored hash changes the derived key:
	// an attacker with write access to one field cannot make verification
	// cheaper and still match.
	valid := mustHash(t, pbkdf2Hasher(), "s")
	weakened := strings.Replace(valid, "i=1000", "i=1", 1)
	if err := pbkdf2Hasher().Verify(weakened, "s"); !errors.Is(err, secret.ErrMismatch) {
		t.Fatalf("weakened hash verified: %v", err)
	}
}

func FuzzVerifyPBKDF2(f *testing.F) {
	seeds := []string{
		mustHashF(f, "s"),
		"$pbkdf2-sha256$i=1,l=16$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5aw",
		"$pbkdf2-sha256$i=1,l=32$$",
		"$pbkdf2-sha256$i=1,i=2,l=16,x=9$c2FsdA$a2V5a2V5a2V5a2V5a2V5aw",
		"$pbkdf2-sha256$i=0,l=16$c2FsdA$a2V5a2V5a2V5a2V5a2V5aw",
		"$pbkdf2-sha256$l=-16$$",
		"$pbkdf2-sha256$i=1,l=16$====$====",
		"$pbkdf2-sha256$$$$$",
		"$pbkdf2-sha256$=,=,=$a$b",
		"$2a$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	}
	for _, s := range seeds {
		f.Add(s, "s")
	}
	f.Fuzz(func(t *testing.T, hash, candidate string) {
		if iterationsAbove(hash, 10_000) {
			// Verify allows up to MaxPBKDF2Iterations, as stored hashes may
			// legitimately need; keep the fuzzer fast by not asking for
			// slow derivations.
			t.Skip()
		}
		err := secret.Hasher{}.Verify(hash, candidate)
		if err != nil && !errors.Is(err, secret.ErrMismatch) {
			t.Fatalf("Verify returned %v, want nil or ErrMismatch", err)
		}
	})
}

func mustHashF(f *testing.F, s string) string {
	hash, err := pbkdf2Hasher().Hash(s)
	if err != nil {
		f.Fatal(err)
	}
	return hash
}

// iterationsAbove reports whether a pbkdf2 hash string asks for more than
// max iterations (or bcrypt for a cost above 6), mirroring Verify's parsing
// loosely.
func iterationsAbove(hash string, max int) bool {
	if strings.HasPrefix(hash, "$2") {
		return !strings.HasPrefix(hash, "$2a$04$") && !strings.HasPrefix(hash, "$2b$04$")
	}
	for _, part := range strings.Split(hash, "$") {
		for _, kv := range strings.Split(part, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if ok && k == "i" && (len(v) > 6 || atoiOrZero(v) > max) {
				return true
			}
		}
	}
	return false
}

func atoiOrZero(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
