package assertion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// memReplay is a ReplayStore in memory.
type memReplay struct {
	mu   sync.Mutex
	used map[string]time.Time
	fail error
}

func (m *memReplay) UseJTI(_ context.Context, key string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if _, ok := m.used[key]; ok {
		return fmt.Errorf("jti %s: %w", key, storage.ErrAlreadyUsed)
	}
	m.used[key] = expires
	return nil
}

func TestConsumeJTI(t *testing.T) {
	store := &memReplay{used: map[string]time.Time{}}
	ctx := context.Background()
	c := &Claims{ID: "jti-1", Expiry: t0.Add(5 * time.Minute)}
	if err := ConsumeJTI(ctx, store, ClientAssertionScope("client-1"), c); err != nil {
		t.Fatal(err)
	}
	key := ReplayKey(ClientAssertionScope("client-1"), "jti-1")
	if got := store.used[key]; !got.Equal(c.Expiry.Add(Leeway)) {
		t.Fatalf("remembered until %v, want exp plus leeway", got)
	}
	err := ConsumeJTI(ctx, store, ClientAssertionScope("client-1"), c)
	if !isKind(err, ErrReplayed) || !strings.Contains(Message(err), "used before") {
		t.Fatalf("replay: %v", err)
	}
	// The same jti from another client or for the other purpose is not a replay.
	for _, scope := range []string{ClientAssertionScope("client-2"), JWTBearerScope("client-1")} {
		if err := ConsumeJTI(ctx, store, scope, c); err != nil {
			t.Fatalf("%q: %v", scope, err)
		}
	}
	if err := ConsumeJTI(ctx, store, "s", &Claims{Expiry: t0}); !isKind(err, ErrClaims) {
		t.Fatalf("no jti: %v", err)
	}
	store.fail = errors.New("db down")
	if err := ConsumeJTI(ctx, store, "s", &Claims{ID: "x", Expiry: t0}); err == nil || isKind(err, ErrReplayed) || isKind(err, ErrClaims) {
		t.Fatalf("storage failure: %v", err)
	}
}

// TestReplayKeyIsBoundedAndUnambiguous: the key has a fixed length however
// long the inputs, and moving the separator changes it.
func TestReplayKeyIsBoundedAndUnambiguous(t *testing.T) {
	long := ReplayKey(JWTBearerScope(strings.Repeat("i", 5000)), strings.Repeat("j", 5000))
	if len(long) != 64 || len(ReplayKey("", "")) != 64 {
		t.Fatalf("key length %d", len(long))
	}
	if ReplayKey(ClientAssertionScope("a"), "b\x00c") == ReplayKey(ClientAssertionScope("a\x00b"), "c") ||
		ReplayKey("ab", "c") == ReplayKey("a", "bc") {
		t.Fatal("scope and jti boundaries are ambiguous")
	}
}
