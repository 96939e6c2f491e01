package token

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"testing"

	"github.com/signet-oidc/signet/internal/client"
)

func TestPairwiseSubjectConstruction(t *testing.T) {
	// Computed independently: hex(SHA-256("rp.example" + "alice" + "salt")).
	sum := sha256.Sum256([]byte("rp.examplealicesalt"))
	want := hex.EncodeToString(sum[:])
	if got := PairwiseSubject("rp.example", "alice", "salt"); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(want) {
		t.Errorf("not 64 lowercase hex characters: %s", want)
	}
}

func TestPairwiseSubjectSeparatesSectorsUsersAndSalts(t *testing.T) {
	base := PairwiseSubject("rp.example", "alice", "salt")
	if again := PairwiseSubject("rp.example", "alice", "salt"); again != base {
		t.Errorf("not stable: %s then %s", base, again)
	}
	cases := map[string]string{
		"other sector":  PairwiseSubject("other.example", "alice", "salt"),
		"other subject": PairwiseSubject("rp.example", "bob", "salt"),
		"other salt":    PairwiseSubject("rp.example", "alice", "pepper"),
		"public sub":    "alice",
	}
	for name, got := range cases {
		if got == base {
			t.Errorf("%s gives the same subject", name)
		}
	}
}

func TestSectorIdentifier(t *testing.T) {
	cases := []struct {
		name      string
		sectorURI string
		redirects []string
		want      string
	}{
		{"sector URI wins over redirects", "https://rp.example/sector.json",
			[]string{"https://a.example/cb", "https://b.example/cb"}, "https://rp.example/sector.json"},
		{"single redirect host", "", []string{"https://rp.example/cb"}, "rp.example"},
		{"host keeps its port", "", []string{"https://rp.example:8443/cb"}, "rp.example:8443"},
		{"several redirects, one host", "",
			[]string{"https://rp.example/cb", "https://rp.example/other?x=1"}, "rp.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SectorIdentifier(&client.Client{ID: "c", SectorIdentifierURI: c.sectorURI, RedirectURIs: c.redirects})
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// Without a sector the pairwise subject would be shared with unrelated
// clients (or differ per redirect URI), so these must fail rather than guess.
func TestSectorIdentifierRefuses(t *testing.T) {
	cases := map[string][]string{
		"no redirect URIs":       nil,
		"two hosts":              {"https://a.example/cb", "https://b.example/cb"},
		"same host, other ports": {"https://rp.example/cb", "https://rp.example:8443/cb"},
		"custom scheme, no host": {"com.example.app:/cb"},
		"unparsable":             {"https://rp.example/%zz"},
	}
	for name, redirects := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := SectorIdentifier(&client.Client{ID: "c", RedirectURIs: redirects})
			if !errors.Is(err, ErrNoSectorIdentifier) {
				t.Errorf("got %q, %v; want ErrNoSectorIdentifier", got, err)
			}
		})
	}
}
