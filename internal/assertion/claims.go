package assertion

import (
	"errors"
	"slices"
	"time"
)

// The claim rules of RFC 7523 section 3, as one function driven by Rules.
// The caller states every policy explicitly: who must have issued the
// assertion, about whom, for which audience, and how long it may live.

// Leeway is the clock skew tolerated on exp, nbf and iat: one minute, a
// common choice (RFC 7519 section 4.1.4 allows "some small leeway, usually
// no more than a few minutes"), small enough that an expired assertion is
// not useful for long.
const Leeway = time.Minute

// Claims are an assertion's registered claims. A zero time means the claim
// was absent.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	ID        string
	// Payload is the claims JSON as signed, for callers that need other
	// claims. After Verify it is authentic.
	Payload []byte
}

// Rules say what a verified assertion must claim. Issuer, one of Subject or
// CheckSubject, Audiences, MaxLifetime and Now are required: Verify refuses
// to run with them unset, so no caller can forget a check.
type Rules struct {
	// Issuer is the value "iss" must equal.
	Issuer string
	// Subject is the value "sub" must equal. When it is empty, CheckSubject
	// decides instead (the jwt-bearer grant accepts any subject an issuer is
	// trusted for); "sub" must be present either way.
	Subject      string
	CheckSubject func(sub string) error
	// Audiences lists the values of which "aud" (a string or an array) must
	// contain at least one (RFC 7523 section 3, item 3).
	Audiences []string
	// MaxLifetime bounds how far in the future "exp" may be, so that a
	// stolen assertion, and the replay record of its jti, cannot live
	// forever.
	MaxLifetime time.Duration
	// IATOptional accepts assertions without "iat" (client authentication:
	// RFC 7523 and OIDC Core section 9 make it optional).
	IATOptional bool
	// JTIOptional accepts assertions without "jti". Only a caller that does
	// not need replay protection may set it.
	JTIOptional bool
	// Now is the time the assertion is judged at.
	Now time.Time
}

// errIncompleteRules is a programming error, not the sender's.
var errIncompleteRules = errors.New("assertion: Rules need Issuer, Subject or CheckSubject, Audiences, MaxLifetime and Now")

func (r *Rules) complete() bool {
	return r.Issuer != "" && (r.Subject != "" || r.CheckSubject != nil) &&
		len(r.Audiences) > 0 && r.MaxLifetime > 0 && !r.Now.IsZero()
}

// Check applies r to c. The first violated rule is reported.
func (r *Rules) Check(c *Claims) error {
	if !r.complete() {
		return errIncompleteRules
	}
	for _, check := range []func(*Claims) error{r.checkIssuer, r.checkSubject, r.checkAudience, r.checkTimes, r.checkID} {
		if err := check(c); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rules) checkIssuer(c *Claims) error {
	if c.Issuer == "" {
		return refuse(ErrClaims, "The assertion has no \"iss\" claim.")
	}
	if c.Issuer != r.Issuer {
		return refuse(ErrClaims, "The assertion's \"iss\" claim is not the expected issuer.")
	}
	return nil
}

func (r *Rules) checkSubject(c *Claims) error {
	switch {
	case c.Subject == "":
		return refuse(ErrClaims, "The assertion has no \"sub\" claim.")
	case r.Subject != "" && c.Subject != r.Subject:
		return refuse(ErrClaims, "The assertion's \"sub\" claim is not the expected subject.")
	case r.Subject == "":
		if err := r.CheckSubject(c.Subject); err != nil {
			return refuse(ErrClaims, "The assertion's \"sub\" claim is not accepted.").because(err)
		}
	}
	return nil
}

func (r *Rules) checkAudience(c *Claims) error {
	if len(c.Audience) == 0 {
		return refuse(ErrClaims, "The assertion has no \"aud\" claim.")
	}
	for _, a := range c.Audience {
		if slices.Contains(r.Audiences, a) {
			return nil
		}
	}
	return refuse(ErrClaims, "The assertion's \"aud\" claim must contain one of: %s.", quoteAll(r.Audiences))
}

// checkTimes: exp is required (RFC 7523 section 3, item 4), must not have
// passed and must not be further ahead than MaxLifetime; nbf, when
// present, must have been reached; iat, when present, must not lie in the
// future. Each comparison tolerates Leeway.
func (r *Rules) checkTimes(c *Claims) error {
	now := r.Now
	switch {
	case c.Expiry.IsZero():
		return refuse(ErrClaims, "The assertion has no \"exp\" claim.")
	case !now.Before(c.Expiry.Add(Leeway)):
		return refuse(ErrClaims, "The assertion expired (its \"exp\" claim is in the past).")
	case c.Expiry.After(now.Add(r.MaxLifetime + Leeway)):
		return refuse(ErrClaims, "The assertion's \"exp\" claim is too far in the future: at most %s ahead is accepted.", r.MaxLifetime)
	case !c.NotBefore.IsZero() && now.Add(Leeway).Before(c.NotBefore):
		return refuse(ErrClaims, "The assertion is not valid yet (its \"nbf\" claim is in the future).")
	case c.IssuedAt.IsZero() && !r.IATOptional:
		return refuse(ErrClaims, "The assertion has no \"iat\" claim.")
	case !c.IssuedAt.IsZero() && now.Add(Leeway).Before(c.IssuedAt):
		return refuse(ErrClaims, "The assertion's \"iat\" claim is in the future.")
	}
	return nil
}

func (r *Rules) checkID(c *Claims) error {
	if c.ID == "" && !r.JTIOptional {
		return refuse(ErrClaims, "The assertion has no \"jti\" claim.")
	}
	return nil
}

func quoteAll(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += `"` + s + `"`
	}
	return out
}

// Verify checks the signature with the fitting keys, then the claims by r.
// It returns the claims only when both hold.
func (t *JWT) Verify(keys Keys, r Rules) (*Claims, error) {
	if !r.complete() {
		return nil, errIncompleteRules
	}
	if err := t.verifySignature(keys); err != nil {
		return nil, err
	}
	c := t.claims
	if err := r.Check(&c); err != nil {
		return nil, err
	}
	return &c, nil
}
