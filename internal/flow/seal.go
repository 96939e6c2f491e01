package flow

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

// Purpose says what a sealed string is for. It is bound into the AEAD, so a
// string sealed for one purpose never opens for another: a login challenge
// (which the login app sees and may log) can never be replayed as a login
// verifier.
type Purpose string

// The purposes. Each admits only the states the diagram allows at that
// point (see purposeStates), so the caller cannot seal the wrong step.
const (
	PurposeLoginChallenge   Purpose = "login_challenge"
	PurposeLoginVerifier    Purpose = "login_verifier"
	PurposeConsentChallenge Purpose = "consent_challenge"
	PurposeConsentVerifier  Purpose = "consent_verifier"
	PurposeLogoutChallenge  Purpose = "logout_challenge"
	PurposeDeviceChallenge  Purpose = "device_challenge"
	PurposeDeviceVerifier   Purpose = "device_verifier"
)

// purposeStates lists the states a flow may be sealed in and opened from
// for each purpose; ok is false for an unknown purpose. Logout has no place
// in the login/consent diagram and takes any state (nil).
func purposeStates(p Purpose) (states []State, ok bool) {
	switch p {
	case PurposeLoginChallenge:
		return []State{StateLoginRequested}, true
	case PurposeLoginVerifier:
		return []State{StateLoginAccepted, StateLoginRejected}, true
	case PurposeConsentChallenge:
		return []State{StateConsentRequested}, true
	case PurposeConsentVerifier:
		return []State{StateConsentAccepted, StateConsentRejected}, true
	case PurposeLogoutChallenge:
		return nil, true
	case PurposeDeviceChallenge:
		return []State{StateDeviceRequested}, true
	case PurposeDeviceVerifier:
		return []State{StateInitialised}, true
	}
	return nil, false
}

// ErrInvalidChallenge is the one error Open returns, wrapping the precise
// reason for the logs. Callers render it the same way whatever the reason,
// so a prober learns nothing from the answer.
var ErrInvalidChallenge = errors.New("flow: invalid, expired or unknown challenge")

// ErrTooLarge is returned by Seal when the flow would not fit in a URL
// (very large claims or context from the login or consent app). Open would
// refuse the result, so Seal refuses first and the handler can answer 400.
var ErrTooLarge = errors.New("flow: sealed flow exceeds the maximum length")

// MaxSealedLen bounds a sealed string. Browsers and common proxies accept
// request lines of 8 KiB; the redirect URL around the challenge needs room.
const MaxSealedLen = 6000

// sealPrefix versions the string format. It is checked before decoding and
// bound into the AEAD, so a later format can coexist with this one.
const sealPrefix = "s1."

// expiryLen is the size of the big-endian Unix-seconds expiry that precedes
// the JSON in the plaintext.
const expiryLen = 8

// Sealer turns flows into purpose-bound, expiring, authenticated strings
// and back. It writes nothing anywhere: the string is the state.
type Sealer struct {
	keyring *secret.Keyring
	now     func() time.Time
	ttl     time.Duration
}

// NewSealer returns a Sealer that seals with keyring's first secret, opens
// with any of its secrets, and makes every string expire ttl after Seal
// (ttl.login_consent_request).
func NewSealer(keyring *secret.Keyring, now func() time.Time, ttl time.Duration) *Sealer {
	return &Sealer{keyring: keyring, now: now, ttl: ttl}
}

// Seal encrypts f for purpose p. f must be in a state p admits.
func (s *Sealer) Seal(f *Flow, p Purpose) (string, error) {
	if err := checkPurpose(f, p); err != nil {
		return "", err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	return s.sealBody(body, aad(p), p)
}

// sealBody is the part of sealing every sealed kind shares (flows, logout
// requests): the expiry in front of body, AEAD under the first secret with
// additionalData, the version prefix and the length bound.
func (s *Sealer) sealBody(body, additionalData []byte, p Purpose) (string, error) {
	plain := make([]byte, expiryLen, expiryLen+len(body))
	binary.BigEndian.PutUint64(plain, uint64(s.now().Add(s.ttl).Unix()))
	sealed, err := s.keyring.Seal(append(plain, body...), additionalData)
	if err != nil {
		return "", err
	}
	out := sealPrefix + base64.RawURLEncoding.EncodeToString(sealed)
	if len(out) > MaxSealedLen {
		return "", fmt.Errorf("%w: %d characters for %s (limit %d)", ErrTooLarge, len(out), p, MaxSealedLen)
	}
	return out, nil
}

// Open returns the flow sealed in str for purpose p, with Expires set. Any
// failure is ErrInvalidChallenge wrapping the reason.
func (s *Sealer) Open(str string, p Purpose) (*Flow, error) {
	f, err := s.open(str, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidChallenge, p, err)
	}
	return f, nil
}

func (s *Sealer) open(str string, p Purpose) (*Flow, error) {
	if _, ok := purposeStates(p); !ok {
		return nil, fmt.Errorf("unknown purpose %q", p)
	}
	body, expires, err := s.openBody(str, aad(p))
	if err != nil {
		return nil, err
	}
	f := new(Flow)
	if err := json.Unmarshal(body, f); err != nil {
		return nil, fmt.Errorf("decoding flow: %w", err)
	}
	if err := checkPurpose(f, p); err != nil {
		return nil, err
	}
	f.Expires = expires
	return f, nil
}

// openBody bounds and screens str before any decoding or decryption work,
// opens it with additionalData and checks the expiry; it returns the body
// after the expiry.
func (s *Sealer) openBody(str string, additionalData []byte) ([]byte, time.Time, error) {
	switch {
	case len(str) == 0:
		return nil, time.Time{}, errors.New("empty")
	case len(str) > MaxSealedLen:
		return nil, time.Time{}, fmt.Errorf("%d characters exceeds the limit of %d", len(str), MaxSealedLen)
	case !strings.HasPrefix(str, sealPrefix):
		return nil, time.Time{}, errors.New("unknown format or version")
	}
	enc := str[len(sealPrefix):]
	if !isBase64URL(enc) {
		return nil, time.Time{}, errors.New("not base64url")
	}
	// Strict: a string with non-zero padding bits decodes to the same bytes
	// as the canonical one; refusing it keeps one string per sealed value.
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, time.Time{}, errors.New("not base64url")
	}
	plain, err := s.keyring.Open(sealed, additionalData)
	if err != nil {
		return nil, time.Time{}, errors.New("tampered, truncated, of another purpose, or sealed with a secret no longer configured")
	}
	if len(plain) < expiryLen {
		return nil, time.Time{}, errors.New("plaintext too short")
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0).UTC()
	if s.now().After(expires) {
		return nil, time.Time{}, fmt.Errorf("expired at %s", expires.Format(time.RFC3339))
	}
	return plain[expiryLen:], expires, nil
}

// aad binds the string format version and the purpose into the AEAD.
func aad(p Purpose) []byte {
	return []byte("signet flow " + sealPrefix + string(p))
}

func checkPurpose(f *Flow, p Purpose) error {
	states, ok := purposeStates(p)
	if !ok {
		return fmt.Errorf("flow: unknown purpose %q", p)
	}
	if states == nil {
		return nil
	}
	for _, st := range states {
		if f.State == st {
			return nil
		}
	}
	return fmt.Errorf("%w: a flow in state %s cannot be a %s", ErrTransition, f.State, p)
}

// isBase64URL reports whether s uses only the unpadded base64url alphabet.
// The standard decoder skips \r and \n, which would let altered strings
// open; this check refuses them.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
