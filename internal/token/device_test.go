package token

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
)

var deviceMAC = [][]byte{[]byte("user-code-mac-key-0123456789abcd")}

func TestUserCodePresets(t *testing.T) {
	for preset, want := range map[string]struct {
		alphabet string
		length   int
	}{"": {DefaultUserCodeAlphabet, 8}, "medium": {DefaultUserCodeAlphabet, 8}, "high": {DefaultUserCodeAlphabet, 12}, "low": {"0123456789", 9}} {
		f, err := NewUserCodeFormat(preset, 0, "", deviceMAC, rand.Reader)
		if err != nil || f.Alphabet != want.alphabet || f.Length != want.length {
			t.Errorf("preset %q: %+v %v", preset, f, err)
		}
		code, err := f.New()
		if err != nil {
			t.Fatal(err)
		}
		norm, ok := f.Normalize(code)
		if !ok || len(norm) != f.Length || strings.Count(code, "-") != (f.Length-1)/4 {
			t.Errorf("preset %q: code %q normalises to %q, %v", preset, code, norm, ok)
		}
		for _, c := range norm {
			if !strings.ContainsRune(f.Alphabet, c) {
				t.Errorf("preset %q: %q outside the alphabet", preset, c)
			}
		}
	}
	if _, err := NewUserCodeFormat("extreme", 0, "", deviceMAC, rand.Reader); err == nil {
		t.Error("an unknown preset was accepted")
	}
}

func TestUserCodeNormalize(t *testing.T) {
	f, _ := NewUserCodeFormat("", 0, "", deviceMAC, rand.Reader)
	for typed, want := range map[string]string{
		"BCDF-GHJK": "BCDFGHJK", "bcdf-ghjk": "BCDFGHJK", " bcdf ghjk ": "BCDFGHJK", "BCDFGHJK": "BCDFGHJK",
		"BCDF-GHJ": "", "BCDF-GHJKL": "", "BCDF-GHJA": "", "BCDF-GHJ0": "", "BCDF-GHJ\u00c9": "", "": "",
		strings.Repeat("-", 80) + "BCDFGHJK": "",
	} {
		got, ok := f.Normalize(typed)
		if ok != (want != "") || ok && got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
	if !bytes.Equal(f.Digest("BCDFGHJK"), f.Digest("BCDFGHJK")) || bytes.Equal(f.Digest("BCDFGHJK"), f.Digest("BCDFGHJL")) {
		t.Error("digests are not a function of the code")
	}
	g := f
	g.MACKeys = [][]byte{[]byte("another-key-0123456789abcdef0123")}
	if bytes.Equal(f.Digest("BCDFGHJK"), g.Digest("BCDFGHJK")) {
		t.Error("the digest does not depend on the key")
	}
}

func TestUserCodeCustomCharset(t *testing.T) {
	f, err := NewUserCodeFormat("", 10, "abcdefgh23", deviceMAC, rand.Reader)
	if err != nil || f.Alphabet != "ABCDEFGH23" {
		t.Fatalf("custom set: %+v %v", f, err)
	}
	for name, c := range map[string]struct {
		length  int
		charset string
	}{
		"too short":        {5, "ABCDEFGH"},
		"too long":         {33, "ABCDEFGH"},
		"case duplicate":   {8, "ABCDEFGHa"},
		"dash":             {8, "ABCDEFG-"},
		"space":            {8, "ABCD EFGH"},
		"non-ASCII":        {8, "ABCDEFG\u00c9"},
		"too few distinct": {8, "AAAAAAAAB"},
	} {
		if _, err := NewUserCodeFormat("", c.length, c.charset, deviceMAC, rand.Reader); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewUserCodeFormat("", 0, "", nil, rand.Reader); err == nil {
		t.Error("a format without a MAC key was accepted")
	}
}

// TestUserCodeUniform: rejection sampling gives every character the same
// chance; a modulo would favour the first 256 % 20 = 16 characters.
func TestUserCodeUniform(t *testing.T) {
	// A reader cycling through every byte value: each accepted byte value
	// maps to one character, so exact counts can be checked.
	all := make([]byte, 256*40)
	for i := range all {
		all[i] = byte(i)
	}
	f := UserCodeFormat{Alphabet: DefaultUserCodeAlphabet, Length: 8, MACKeys: deviceMAC, Rand: bytes.NewReader(all)}
	counts := map[rune]int{}
	for range 240 * 40 / 8 / 10 {
		code, err := f.New()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range strings.ReplaceAll(code, "-", "") {
			counts[c]++
		}
	}
	for _, c := range DefaultUserCodeAlphabet {
		if counts[c] != counts['B'] {
			t.Fatalf("character counts differ: %v", counts)
		}
	}
}

// FuzzUserCodeNormalize: whatever a stranger types, an accepted code is
// exactly Length characters of the alphabet, and normalising is idempotent.
func FuzzUserCodeNormalize(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdf ghjk", "", "ß", "BCDF\x00GHJK", strings.Repeat("B", 100), "ǅǅǅǅǅǅǅǅ"} {
		f.Add(s)
	}
	uc := UserCodeFormat{Alphabet: DefaultUserCodeAlphabet, Length: 8, MACKeys: deviceMAC}
	f.Fuzz(func(t *testing.T, typed string) {
		norm, ok := uc.Normalize(typed)
		if !ok {
			return
		}
		if len(norm) != uc.Length {
			t.Fatalf("%q normalised to %q", typed, norm)
		}
		for i := 0; i < len(norm); i++ {
			if !strings.ContainsRune(uc.Alphabet, rune(norm[i])) {
				t.Fatalf("%q normalised to %q, outside the alphabet", typed, norm)
			}
		}
		if again, ok := uc.Normalize(norm); !ok || again != norm {
			t.Fatalf("not idempotent: %q → %q → %q", typed, norm, again)
		}
	})
}
