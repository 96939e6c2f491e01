package jwk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// ManagerDeps lists what a Manager needs.
type ManagerDeps struct {
	Store   Store
	Keyring *secret.Keyring
	Log     *slog.Logger
	Now     func() time.Time
	Rand    io.Reader
	// RSABits is the modulus size of generated RSA keys (default 4096, as
	// Hydra; at least 2048).
	RSABits int
	// PollInterval is how often Run asks the store whether another instance
	// changed keys (default 5s).
	PollInterval time.Duration
	// Rotation, when set, turns on automatic rotation of the ID token and
	// access token sets (keys.rotation.*): Run then also runs a rotation
	// round at start and every RotationCheck. See rotation.go.
	Rotation *RotationPolicy
	// RotationCheck is how often Run runs a rotation round (default
	// DefaultRotationCheck).
	RotationCheck time.Duration
}

// Manager generates, imports, deletes and serves keys. Reads on the request
// path (Signer, PublicKeys) use an immutable snapshot behind an atomic
// pointer; every change in this process and every change another instance
// makes (seen through Store.KeysVersion) replaces the snapshot.
type Manager struct {
	store   Store
	keyring *secret.Keyring
	log     *slog.Logger
	now     func() time.Time
	rand    io.Reader
	rsaBits int
	poll    time.Duration
	// rotation is nil when automatic rotation is off.
	rotation      *RotationPolicy
	rotationCheck time.Duration

	snap atomic.Pointer[snapshot]
	// reloadMu serialises snapshot rebuilds so two reloads never race to
	// store an older view over a newer one.
	reloadMu sync.Mutex
	// ensureMu keeps concurrent first-start requests in this process from
	// each generating an (expensive, discarded) RSA key.
	ensureMu sync.Mutex
}

// NewManager checks deps and returns a Manager with an empty snapshot; the
// first Signer, PublicKeys, EnsureKeys or Refresh call loads it.
func NewManager(d ManagerDeps) (*Manager, error) {
	if d.Store == nil || d.Keyring == nil || d.Now == nil || d.Rand == nil {
		return nil, errors.New("jwk: ManagerDeps needs Store, Keyring, Now and Rand")
	}
	if d.RSABits == 0 {
		d.RSABits = 4096
	}
	if d.RSABits < 2048 {
		return nil, fmt.Errorf("jwk: RSABits %d is below 2048", d.RSABits)
	}
	if d.PollInterval <= 0 {
		d.PollInterval = 5 * time.Second
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Rotation != nil {
		if err := d.Rotation.check(); err != nil {
			return nil, err
		}
		p := *d.Rotation // a copy: the caller cannot change it later
		d.Rotation = &p
	}
	if d.RotationCheck <= 0 {
		d.RotationCheck = DefaultRotationCheck
	}
	m := &Manager{store: d.Store, keyring: d.Keyring, log: d.Log, now: d.Now, rand: d.Rand,
		rsaBits: d.RSABits, poll: d.PollInterval, rotation: d.Rotation, rotationCheck: d.RotationCheck}
	m.snap.Store(&snapshot{sets: map[string][]*entry{}})
	return m, nil
}

// Run polls Store.KeysVersion every PollInterval and reloads the snapshot
// when it changed, so keys added or removed by another instance are used
// and published within seconds. With rotation configured it also runs a
// rotation round at once and then every RotationCheck. It returns when ctx
// ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.poll)
	defer t.Stop()
	var rotate <-chan time.Time // nil, never ready, when rotation is off
	if m.rotation != nil {
		m.rotateLogged(ctx)
		r := time.NewTicker(m.rotationCheck)
		defer r.Stop()
		rotate = r.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Poll(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("jwk: reloading keys failed; serving the previous snapshot", "error", err.Error())
			}
		case <-rotate:
			m.rotateLogged(ctx)
		}
	}
}

// Poll makes one cheap version check and reloads only when keys changed.
func (m *Manager) Poll(ctx context.Context) error {
	v, err := m.store.KeysVersion(ctx)
	if err != nil {
		return err
	}
	if v == m.snap.Load().version {
		return nil
	}
	return m.Refresh(ctx)
}

// Refresh rebuilds the snapshot of every set loaded so far. A key that
// cannot be opened (the secret that sealed it was removed from
// secrets.system) fails the refresh and the previous snapshot stays.
func (m *Manager) Refresh(ctx context.Context) error {
	return m.reload(ctx)
}

// refreshAfterWrite reloads after a local change. The change is already
// stored, so a failed reload is logged, not returned; the next Poll retries
// because the snapshot version is still the old one.
func (m *Manager) refreshAfterWrite(ctx context.Context) {
	if err := m.reload(ctx); err != nil {
		m.log.Warn("jwk: reloading keys after a change failed", "error", err.Error())
	}
}

// isNotFound reports whether err is storage's not-found.
func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
