package jwk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Automatic key rotation (keys.rotation.*, off by default).
//
// A key's stored CreatedAt is also its not-before time: the key that signs
// a set is the newest signing key whose CreatedAt has passed
// (signingIndex). A key an operator adds has CreatedAt = now and signs at
// once, as in Hydra. A key made by rotation is stored with a CreatedAt in
// the future: it is in the JWKS at once (every stored key is published)
// but signs only PublishBefore later, so relying parties that cache the
// JWKS have fetched it by then. This needs no schema change, and every
// instance reading the same rows picks the same signer at the same instant
// without talking to the others.
//
// One set over time, with I = Interval, P = PublishBefore, R = RetainAfter:
//
//	K1 ├──────────── signs ────────────┤ published ├─ R ─┤ deleted
//	K2                   ├ published P ┤──────────── signs ──────────…
//	   ├─────────────── I ─────────────┤
//
// A round (Manager.Rotate; every instance runs one every RotationCheck):
//   - when no key is pending and the signing key has signed for I − P or
//     longer, it creates the successor, with not-before
//     max(signing key's not-before + I, now + P): a round that comes late
//     still publishes P ahead, so a key may sign up to one RotationCheck
//     longer than I;
//   - it deletes every signing key that was overtaken more than R ago.
//
// Several instances: the successor is inserted with
// Store.AddKeyIfNoneAfter(cutoff = now − (I − P)), atomic across
// processes, so of instances rotating at once exactly one inserts; the
// others find its key (CreatedAt > their cutoff) and insert nothing. A key
// another instance deleted first is not an error.

// DefaultRotationCheck is how often each instance runs a rotation round.
// A round costs one query per set when nothing is due.
const DefaultRotationCheck = time.Minute

// RotationPolicy is keys.rotation.*.
type RotationPolicy struct {
	// Interval is how long each key signs before its successor takes over.
	Interval time.Duration
	// PublishBefore is how long a new key is published before it signs.
	PublishBefore time.Duration
	// RetainAfter is how long a key stays published after it stopped
	// signing; it must cover the lifetime of the tokens it signed.
	RetainAfter time.Duration
}

// check refuses a policy that cannot work (config.Validate reports the
// same rules to the operator by key name).
func (p RotationPolicy) check() error {
	switch {
	case p.Interval <= 0:
		return errors.New("jwk: the rotation interval must be positive")
	case p.PublishBefore < 0 || p.PublishBefore >= p.Interval:
		return errors.New("jwk: the rotation's publish-before time must be at least 0 and shorter than its interval")
	case p.RetainAfter < 0:
		return errors.New("jwk: the rotation's retain-after time must not be negative")
	}
	return nil
}

// rotatedSets are the sets automatic rotation looks after.
func rotatedSets() []string { return []string{SetIDToken, SetAccessToken} }

// signable is what choosing the signing key needs to know of a key.
type signable interface {
	activeFrom() time.Time
	canSignTokens() bool
}

func (e *entry) activeFrom() time.Time { return e.notBefore }
func (e *entry) canSignTokens() bool   { return e.signer != nil }

// signingIndex returns the index of the key that signs at now, among keys
// ordered newest first: the newest key that can sign and whose not-before
// time has passed. When every signing key is still pending (an operator
// deleted the signing one), it is the pending key due first: it is
// published already, and signing a little early beats not signing. -1 when
// no key can sign.
func signingIndex[K signable](keys []K, now time.Time) int {
	pending := -1
	for i, k := range keys {
		if !k.canSignTokens() {
			continue
		}
		if !k.activeFrom().After(now) {
			return i
		}
		pending = i // newest first: the last pending key seen is due first
	}
	return pending
}

// keyState is what a rotation round needs of a stored key.
type keyState struct {
	kid       string
	alg       string
	notBefore time.Time
	signs     bool
}

func (k keyState) activeFrom() time.Time { return k.notBefore }
func (k keyState) canSignTokens() bool   { return k.signs }

// keyStates reads recs (newest first) without opening any private half.
func keyStates(recs []*Record) []keyState {
	out := make([]keyState, len(recs))
	for i, rec := range recs {
		var pub struct {
			Alg string `json:"alg"`
		}
		_ = json.Unmarshal(rec.Public, &pub) // a key that does not parse cannot sign either
		out[i] = keyState{kid: rec.KID, alg: pub.Alg, notBefore: rec.CreatedAt, signs: recordCanSign(rec)}
	}
	return out
}

// rotationPlan is what one round does to one set.
type rotationPlan struct {
	// create asks for a successor signing from notBefore, inserted only if
	// no key of the set has a CreatedAt after cutoff: the signing key's is
	// not (that is why it is due), a pending key's always is.
	create    bool
	notBefore time.Time
	cutoff    time.Time
	// retire lists the kids to delete.
	retire []string
}

// planRotation decides one round for a set whose keys are given newest
// first. It is the whole policy, as a plain function of the stored keys and
// the time.
func planRotation(keys []keyState, p RotationPolicy, now time.Time) rotationPlan {
	plan := rotationPlan{cutoff: now.Add(-(p.Interval - p.PublishBefore))}
	active, pending := -1, false
	for i, k := range keys {
		switch {
		case !k.signs:
		case k.notBefore.After(now):
			pending = true
		case active < 0:
			active = i
		}
	}
	switch {
	case pending:
		// The successor exists already.
	case active < 0:
		// Nothing can sign: a key that signs at once beats none at all.
		plan.create, plan.notBefore = true, now
	case !keys[active].notBefore.After(plan.cutoff):
		plan.create = true
		plan.notBefore = keys[active].notBefore.Add(p.Interval)
		if earliest := now.Add(p.PublishBefore); plan.notBefore.Before(earliest) {
			plan.notBefore = earliest // a late round still publishes P ahead
		}
	}
	if active >= 0 {
		plan.retire = retired(keys[active:], p.RetainAfter, now)
	}
	return plan
}

// retired returns the signing keys of keys (the signing key first, then
// older ones) that stopped signing more than retain ago. Each stopped
// signing when the next newer signing key took over.
func retired(keys []keyState, retain time.Duration, now time.Time) []string {
	var out []string
	takeover := keys[0].notBefore
	for _, k := range keys[1:] {
		if !k.signs {
			continue // public-only and encryption keys never signed
		}
		if now.Sub(takeover) > retain {
			out = append(out, k.kid)
		}
		takeover = k.notBefore
	}
	return out
}

// successorAlg keeps the signing key's algorithm when Signet can generate
// it (an operator who moved a set to ES256 stays on ES256), else RS256.
func successorAlg(keys []keyState, now time.Time) string {
	if i := signingIndex(keys, now); i >= 0 && canGenerate(keys[i].alg) {
		return keys[i].alg
	}
	return "RS256"
}

// Rotate runs one rotation round over the ID token and access token sets
// with the configured policy. Every instance may call it at any time:
// rounds racing each other create one key and delete each retired key
// once. It fails when rotation is not configured.
func (m *Manager) Rotate(ctx context.Context) error {
	if m.rotation == nil {
		return errors.New("jwk: automatic key rotation is not enabled (keys.rotation.enabled)")
	}
	var errs []error
	changed := false
	for _, set := range rotatedSets() {
		c, err := m.rotateSet(ctx, set)
		changed = changed || c
		if err != nil {
			errs = append(errs, err)
		}
	}
	if changed {
		m.refreshAfterWrite(ctx)
	}
	return errors.Join(errs...)
}

// rotateSet plans from the stored keys (not the snapshot, which may lag
// another instance's change by a poll) and carries the plan out.
func (m *Manager) rotateSet(ctx context.Context, set string) (changed bool, err error) {
	recs, err := m.store.ListKeys(ctx, set)
	if err != nil && !isNotFound(err) {
		return false, fmt.Errorf("jwk: rotation: listing set %q: %w", set, err)
	}
	sortNewestFirst(recs)
	keys := keyStates(recs)
	now := m.now()
	plan := planRotation(keys, *m.rotation, now)
	if plan.create {
		if changed, err = m.addSuccessor(ctx, set, successorAlg(keys, now), plan); err != nil {
			return false, err
		}
	}
	for _, kid := range plan.retire {
		switch err := m.store.DeleteKey(ctx, set, kid); {
		case err == nil:
			changed = true
			m.log.Info("jwk: rotation deleted a retired key", "set", set, "kid", kid)
		case isNotFound(err):
			// Another instance's round deleted it first.
		default:
			return changed, fmt.Errorf("jwk: rotation: deleting key %q of set %q: %w", kid, set, err)
		}
	}
	return changed, nil
}

// addSuccessor generates the next key and inserts it unless another
// instance did so first.
func (m *Manager) addSuccessor(ctx context.Context, set, alg string, plan rotationPlan) (bool, error) {
	key, err := m.newKey(alg, "sig", "")
	if err != nil {
		return false, err
	}
	rec, err := m.newRecord(set, key)
	if err != nil {
		return false, err
	}
	rec.CreatedAt = plan.notBefore.UTC()
	added, err := m.store.AddKeyIfNoneAfter(ctx, rec, plan.cutoff)
	if err != nil {
		return false, fmt.Errorf("jwk: rotation: adding a key to set %q: %w", set, err)
	}
	if added {
		m.log.Info("jwk: rotation published a new signing key", "set", set, "kid", key.KeyID, "alg", alg,
			"signs_from", rec.CreatedAt.Format(time.RFC3339))
	}
	return added, nil
}

// rotateLogged is a round run by Run: a failure is logged and the next
// round retries.
func (m *Manager) rotateLogged(ctx context.Context) {
	if err := m.Rotate(ctx); err != nil && ctx.Err() == nil {
		m.log.Warn("jwk: key rotation round failed; the next round retries", "error", err.Error())
	}
}
