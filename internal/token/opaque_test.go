package token

import (
	"bytes"
	"context"
	"crypto/rand"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

func testOpaque(keys ...string) *Opaque {
	var ks [][]byte
	for _, k := range keys {
		ks = append(ks, bytes.Repeat([]byte(k), 32)[:32])
	}
	return &Opaque{MACKeys: ks, Rand: rand.Reader}
}

func TestOpaqueMintCheck(t *testing.T) {
	o := testOpaque("a")
	raw, rec, err := o.Mint(context.Background(), testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "signet_at_") || len(raw) != (OpaqueFormat{Prefix: PrefixAccessToken}).totalLen() {
		t.Fatalf("unexpected token shape %q", raw)
	}
	if rec.Strategy != StrategyOpaque || rec.ClientID != "machine" || !rec.ExpiresAt.Equal(testNow.Add(3600e9)) {
		t.Fatalf("record = %+v", rec)
	}
	if bytes.Contains(rec.Digest, []byte(raw)) || !bytes.Equal(rec.Digest, Digest(raw)) {
		t.Fatal("record must hold the SHA-256 digest, not the token")
	}
	d, err := o.Check(context.Background(), raw)
	if err != nil || !bytes.Equal(d, rec.Digest) {
		t.Fatalf("Check = %x, %v", d, err)
	}
	raw2, _, _ := o.Mint(context.Background(), testClaims())
	if raw2 == raw {
		t.Fatal("two mints returned the same token")
	}
}

func TestOpaqueKeyRotation(t *testing.T) {
	old := testOpaque("old")
	raw, _, _ := old.Mint(context.Background(), testClaims())
	rotated := testOpaque("new", "old")
	if _, err := rotated.Check(context.Background(), raw); err != nil {
		t.Fatalf("token of a retired-but-configured key refused: %v", err)
	}
	dropped := testOpaque("new")
	if _, err := dropped.Check(context.Background(), raw); err != ErrMalformed {
		t.Fatalf("token of a removed key accepted: %v", err)
	}
	fresh, _, _ := rotated.Mint(context.Background(), testClaims())
	if _, err := dropped.Check(context.Background(), fresh); err != nil {
		t.Fatalf("rotated keyring must sign with its first key: %v", err)
	}
}

func TestOpaqueCheckRejects(t *testing.T) {
	o := testOpaque("a")
	raw, _, _ := o.Mint(context.Background(), testClaims())
	other, _, _ := testOpaque("b").Mint(context.Background(), testClaims())
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":            "",
		"prefix only":      "signet_at_",
		"truncated":        raw[:len(raw)-1],
		"truncated mac":    raw[:(OpaqueFormat{Prefix: PrefixAccessToken}).bodyLen()+10],
		"extended":         raw + "A",
		"other key":        other,
		"flipped random":   flip(raw, 15),
		"flipped mac":      flip(raw, len(raw)-3),
		"no dot":           strings.Replace(raw, ".", "A", 1),
		"wrong prefix":     "hydra_at_" + raw[9:],
		"ory prefix":       "ory_at_" + raw[10:],
		"non-canonical":    nonCanonical(raw, (OpaqueFormat{Prefix: PrefixAccessToken}).bodyLen()-1),
		"padding":          raw[:len(raw)-2] + "==",
		"std alphabet":     strings.NewReplacer("-", "+", "_", "/").Replace(raw) + "+",
		"unicode":          "signet_at_" + strings.Repeat("é", 38) + "." + strings.Repeat("x", 32),
		"huge":             raw + strings.Repeat("A", 1<<16),
		"jwt-looking":      "a.b.c",
		"mac of prefix ok": raw[:(OpaqueFormat{Prefix: PrefixAccessToken}).bodyLen()] + "." + strings.Repeat("A", 32),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := o.Check(context.Background(), tok); err != ErrMalformed {
				t.Fatalf("Check(%q) = %v, want ErrMalformed", tok, err)
			}
		})
	}
}

// FuzzOpaqueCheck: Check never panics and only tokens minted under the key
// verify.
func FuzzOpaqueCheck(f *testing.F) {
	o := testOpaque("a")
	// Deterministic randomness: every fuzz worker process mints the same
	// seed tokens, so "minted" agrees across processes.
	o.Rand = mrand.NewChaCha8([32]byte{1})
	minted := map[string]bool{}
	for range 2 {
		raw, _, _ := o.Mint(context.Background(), testClaims())
		minted[raw] = true
		f.Add(raw)
		f.Add(raw[:len(raw)-4])
		f.Add(raw[:(OpaqueFormat{Prefix: PrefixAccessToken}).bodyLen()] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	}
	f.Add("")
	f.Add(strings.Repeat("signet_at_", 1000))
	f.Add("signet_at_ééééééééééééééééééééééééééééééééééééééééééé.ééééééééééééééééééééééééééééééé")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := o.Check(context.Background(), s)
		if err == nil && !minted[s] {
			t.Fatalf("unminted token %q verified", s)
		}
		if err == nil && !bytes.Equal(d, Digest(s)) {
			t.Fatal("digest mismatch")
		}
	})
}

// TestOpaqueFormatsAreNotInterchangeable: the prefix is under the MAC, so a
// code or refresh token never passes as an access token, even with the same
// keys, and each kind checks only its own strings.
func TestOpaqueFormatsAreNotInterchangeable(t *testing.T) {
	keys := [][]byte{[]byte("0123456789abcdef0123456789abcdef")}
	kinds := []OpaqueFormat{
		{Prefix: PrefixAccessToken, MACKeys: keys, Rand: rand.Reader},
		{Prefix: PrefixRefreshToken, MACKeys: keys, Rand: rand.Reader},
		{Prefix: PrefixCode, MACKeys: keys, Rand: rand.Reader},
	}
	for i, minted := range kinds {
		raw, err := minted.New()
		if err != nil {
			t.Fatal(err)
		}
		for j, checker := range kinds {
			_, err := checker.Check(raw)
			if (i == j) != (err == nil) {
				t.Errorf("%s checked by %s format: err = %v", minted.Prefix, checker.Prefix, err)
			}
			// Relabelling the prefix keeps the random part and MAC but breaks the MAC.
			relabelled := checker.Prefix + strings.TrimPrefix(raw, minted.Prefix)
			if _, err := checker.Check(relabelled); i != j && err == nil {
				t.Errorf("a %s relabelled as %s passed", minted.Prefix, checker.Prefix)
			}
		}
	}
}

// nonCanonical sets a padding bit of the base64url character at i, the
// last of the random part (32 bytes leave 2 unused bits in it): the string
// decodes to the same bytes under lenient decoding, and strict decoding
// must refuse it, so that each random value has exactly one spelling.
func nonCanonical(s string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[v|1]) + s[i+1:]
}
