package clientauth

import (
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
)

func TestSecretCache(t *testing.T) {
	c, err := NewSecretCache(rand.Reader, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Verified("hash", "s") {
		t.Fatal("empty cache hit")
	}
	c.Remember("hash", "s")
	if !c.Verified("hash", "s") {
		t.Fatal("miss after success")
	}
	for _, tc := range [][2]string{{"hash2", "s"}, {"hash", "s2"}, {"has", "hs"}, {"hashs", ""}} {
		if c.Verified(tc[0], tc[1]) {
			t.Fatalf("hit for %q/%q", tc[0], tc[1])
		}
	}
	// Bounded: FIFO eviction keeps at most 3 entries.
	for i := range 10 {
		c.Remember(fmt.Sprint("h", i), "s")
	}
	if c.Len() != 3 || c.Verified("hash", "s") || !c.Verified("h9", "s") {
		t.Fatalf("len %d", c.Len())
	}
	// Another process (another key) shares nothing.
	other, _ := NewSecretCache(rand.Reader, 3)
	if other.Verified("h9", "s") {
		t.Fatal("entries are not bound to the process key")
	}
	var nilCache *SecretCache
	nilCache.Remember("a", "b")
	if nilCache.Verified("a", "b") {
		t.Fatal("nil cache remembered")
	}
	if _, err := NewSecretCache(rand.Reader, 0); err == nil {
		t.Fatal("zero size accepted")
	}
}

func TestSecretCacheConcurrent(t *testing.T) {
	c, _ := NewSecretCache(rand.Reader, 50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := fmt.Sprint(g, "-", i)
				c.Remember(k, "s")
				c.Verified(k, "s")
			}
		}()
	}
	wg.Wait()
	if c.Len() != 50 {
		t.Fatalf("len %d, want the bound 50", c.Len())
	}
}
