package assertion

import (
	"errors"
	"fmt"
)

// Kinds of refusal, for errors.Is. A caller maps them to protocol errors:
// all of them are the sender's fault except ErrKeysUnavailable, which may
// also be a network problem between us and the sender's jwks_uri.
var (
	// ErrMalformed: not a compact JWS JWT we accept (too long, bad
	// encoding, disallowed alg, several signatures, bad claims JSON).
	ErrMalformed = errors.New("assertion: malformed")
	// ErrSignature: no candidate key fits, or the signature does not verify.
	ErrSignature = errors.New("assertion: signature not verified")
	// ErrClaims: a claim rule of RFC 7523 section 3 is violated.
	ErrClaims = errors.New("assertion: claims refused")
	// ErrReplayed: the jti was used before (RFC 7523 section 3, item 7).
	ErrReplayed = errors.New("assertion: jti already used")
	// ErrKeysUnavailable: the remote key set could not be fetched or parsed.
	ErrKeysUnavailable = errors.New("assertion: keys unavailable")
)

// Error is a refusal. Message names the header or claim and the rule, and
// is safe to show to whoever sent the assertion: it never contains key
// material, secrets or server internals. The cause is for logs.
type Error struct {
	kind    error
	Message string
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.kind.Error() + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.kind.Error() + ": " + e.Message
}

// Is makes errors.Is(err, ErrClaims) and friends work.
func (e *Error) Is(target error) bool { return target == e.kind }

// Unwrap exposes the cause (a go-jose or storage error) to logs.
func (e *Error) Unwrap() error { return e.cause }

func refuse(kind error, format string, args ...any) *Error {
	return &Error{kind: kind, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) because(cause error) *Error { e.cause = cause; return e }

// Message returns the text of err that is safe to show to the sender, or a
// generic sentence when err is not an *Error.
func Message(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "The assertion could not be verified."
}
