package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// The durable half of the device authorization grant (RFC 8628): the
// record that links the device (which holds the device_code and polls the
// token endpoint) with the browser (where the user types the user_code and
// signs in). Both codes are stored only as digests.

// PrefixDeviceCode marks device codes (RFC 8628 section 3.2 "device_code").
const PrefixDeviceCode = "signet_dc_"

// DeviceRecord is one device authorization request.
type DeviceRecord struct {
	// DeviceDigest is the Digest of the device_code; the primary key.
	DeviceDigest []byte
	// UserDigest is UserCodeFormat.Digest of the normalised user_code.
	UserDigest []byte
	// RequestID is the grant's request ID: the flow ID of the browser
	// half, and the RequestID of every token the grant issues.
	RequestID string
	ClientID  string
	// Scopes and Audience are what the device asked for.
	Scopes   []string
	Audience []string
	IssuedAt time.Time
	// ExpiresAt ends both codes (ttl.device_user_code).
	ExpiresAt time.Time
	// Interval is the minimum time between two polls; slow_down adds
	// five seconds to it (RFC 8628 section 3.5).
	Interval time.Duration
	// LastPolledAt is the last poll that was answered (nil: never polled).
	LastPolledAt *time.Time
	// UserCodeUsedAt is set when the user code was accepted in a browser;
	// it is accepted once.
	UserCodeUsedAt *time.Time
	// The outcome of the browser half: ApprovedAt with what was granted,
	// or DeniedAt.
	ApprovedAt      *time.Time
	DeniedAt        *time.Time
	Subject         string
	GrantedScopes   []string
	GrantedAudience []string
	// Session is the GrantSession the token endpoint mints from, as JSON.
	Session json.RawMessage
	// UsedAt is set when the token endpoint issued the tokens (once).
	UsedAt *time.Time
}

// DeviceApproval is what the browser half grants to a device request.
type DeviceApproval struct {
	Subject         string
	GrantedScopes   []string
	GrantedAudience []string
	Session         json.RawMessage
}

// DeviceStore persists device authorization requests. Every state change
// is one conditional write, atomic across processes.
type DeviceStore interface {
	// CreateDevice stores a new request: storage.ErrConflict when either
	// digest exists (the caller draws new codes).
	CreateDevice(ctx context.Context, d *DeviceRecord) error
	// GetDevice returns the request with this device code digest, whatever
	// its state, or storage.ErrNotFound.
	GetDevice(ctx context.Context, deviceDigest []byte) (*DeviceRecord, error)
	// UseUserCode marks the user code of a pending, unexpired request used
	// at now and returns the request. storage.ErrNotFound when no such
	// request exists or it expired; storage.ErrAlreadyUsed when its user
	// code was accepted before or the request was already decided.
	UseUserCode(ctx context.Context, userDigest []byte, now time.Time) (*DeviceRecord, error)
	// ApproveDevice records the grant of the request with requestID if it
	// is neither approved nor denied and has not expired at now (the
	// device could no longer redeem it); storage.ErrAlreadyUsed otherwise,
	// an unknown requestID included.
	ApproveDevice(ctx context.Context, requestID string, a *DeviceApproval, now time.Time) error
	// DenyDevice records the refusal under the same condition.
	DenyDevice(ctx context.Context, requestID string, now time.Time) error
	// PollDevice records a poll at now if the last one is still prev (nil:
	// never polled), with the interval the device must keep from now on.
	// It returns false when another poll was recorded meanwhile.
	PollDevice(ctx context.Context, deviceDigest []byte, prev *time.Time, now time.Time, interval time.Duration) (bool, error)
	// ConsumeDevice marks an approved request's tokens issued at now:
	// storage.ErrAlreadyUsed when nothing was marked (the tokens were
	// issued, or the request is unknown or not approved). Of concurrent
	// calls one wins.
	ConsumeDevice(ctx context.Context, deviceDigest []byte, now time.Time) error
}

// User codes (RFC 8628 section 6.1): short enough to type, drawn from an
// alphabet without characters people confuse, and compared after
// normalisation (upper case, dashes and spaces removed), so "bcdf-ghjk"
// matches "BCDFGHJK".

// DefaultUserCodeAlphabet is RFC 8628 section 6.1's example set: 20
// consonants, no vowels (no words), none confusable with a digit.
const DefaultUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// The entropy presets of oauth2.device_authorization.user_code.entropy_
// preset: characters of DefaultUserCodeAlphabet (about 4.32 bits each),
// except "low", which uses digits only for numeric keypads.
var userCodePresets = map[string]struct {
	alphabet string
	length   int
}{
	"high":   {DefaultUserCodeAlphabet, 12}, // 51.9 bits
	"medium": {DefaultUserCodeAlphabet, 8},  // 34.6 bits, RFC 8628's example
	"low":    {"0123456789", 9},             // 29.9 bits
}

// MaxUserCodeLen bounds a user code as typed (with dashes and spaces).
const MaxUserCodeLen = 64

// UserCodeFormat mints and digests user codes.
type UserCodeFormat struct {
	Alphabet string
	Length   int
	// MACKeys key the digest, so a database dump does not let anyone
	// enumerate the (small) code space offline; the first key digests.
	MACKeys [][]byte
	Rand    io.Reader
}

// NewUserCodeFormat builds the format from the configuration: a preset,
// or length and character set, or the "medium" default.
func NewUserCodeFormat(preset string, length int, charset string, macKeys [][]byte, r io.Reader) (UserCodeFormat, error) {
	f := UserCodeFormat{MACKeys: macKeys, Rand: r}
	switch {
	case charset != "":
		f.Alphabet, f.Length = strings.ToUpper(charset), length
	case preset != "":
		p, ok := userCodePresets[preset]
		if !ok {
			return f, fmt.Errorf("unknown entropy preset %q", preset)
		}
		f.Alphabet, f.Length = p.alphabet, p.length
	default:
		f.Alphabet, f.Length = userCodePresets["medium"].alphabet, userCodePresets["medium"].length
	}
	return f, f.check()
}

// check refuses an alphabet that normalisation would make ambiguous.
func (f UserCodeFormat) check() error {
	if len(f.MACKeys) == 0 {
		return errors.New("user code format has no MAC key")
	}
	if f.Length < 6 || f.Length > 32 {
		return fmt.Errorf("user code length %d: use 6 to 32 characters", f.Length)
	}
	seen := map[byte]bool{}
	for i := 0; i < len(f.Alphabet); i++ {
		c := f.Alphabet[i]
		switch {
		case c >= utf8.RuneSelf || c <= ' ' || c == '-' || c == 0x7f:
			return errors.New("the user code character set must be printable ASCII without spaces or dashes")
		case seen[c]:
			return fmt.Errorf("the user code character set has %q twice (letters are compared case-insensitively)", c)
		}
		seen[c] = true
	}
	if len(seen) < 8 {
		return errors.New("the user code character set needs at least 8 distinct characters")
	}
	return nil
}

// New returns a fresh user code for display: groups of four joined by
// dashes ("BCDF-GHJK"). Each character is drawn uniformly (rejection
// sampling, no modulo bias).
func (f UserCodeFormat) New() (string, error) {
	n := len(f.Alphabet)
	limit := 256 - 256%n
	out := make([]byte, 0, f.Length+f.Length/4)
	buf := make([]byte, 1)
	for drawn := 0; drawn < f.Length; {
		if _, err := io.ReadFull(f.Rand, buf); err != nil {
			return "", err
		}
		if int(buf[0]) >= limit {
			continue
		}
		if drawn > 0 && drawn%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, f.Alphabet[int(buf[0])%n])
		drawn++
	}
	return string(out), nil
}

// Normalize is what a typed code is compared as: upper case, without
// dashes and white space. ok is false when the result cannot be a code of
// this format (wrong length, a character outside the alphabet), so a
// typo costs no storage access.
func (f UserCodeFormat) Normalize(typed string) (string, bool) {
	if len(typed) > MaxUserCodeLen {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= utf8.RuneSelf || !strings.ContainsRune(f.Alphabet, r):
			return "", false
		}
		b.WriteRune(r)
	}
	s := b.String()
	return s, len(s) == f.Length
}

// Digest is the stored form of a normalised user code.
func (f UserCodeFormat) Digest(normalized string) []byte {
	m := hmac.New(sha256.New, f.MACKeys[0])
	m.Write([]byte("signet user code\x00"))
	m.Write([]byte(normalized))
	return m.Sum(nil)
}
