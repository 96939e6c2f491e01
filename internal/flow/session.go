package flow

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

// Session is what the authentication session cookie carries: enough for
// GET /oauth2/auth to offer the login app `skip: true` without a database
// read. The server keeps its own login session record as well (so an admin
// can end a session the browser still holds); the cookie alone never
// outranks that record once it exists.
//
// Times are kept to the second, the precision of auth_time in ID tokens.
type Session struct {
	ID                        string    // sid: random, shown as session_id and in ID tokens
	Subject                   string    // who logged in
	AuthTime                  time.Time // when the user last authenticated
	Remember                  bool      // the login app asked to remember this login
	ExpiresAt                 time.Time // the cookie and its sealed value stop working here
	IdentityProviderSessionID string    // identity_provider_session_id from login accept
}

// ErrNoSession is the one error Read returns. It wraps the precise reason
// (missing, tampered, expired, …) for the logs. Callers treat every reason
// alike, as "the user must log in", so a prober learns nothing.
var ErrNoSession = errors.New("flow: no valid authentication session cookie")

// ErrSessionTooLarge is returned by Write when the sealed session would not
// fit in a cookie (a very long subject or identity provider session id
// from the login app). The login accept handler can answer 400 with it.
var ErrSessionTooLarge = errors.New("flow: authentication session exceeds the cookie size limit")

// MaxSessionCookieLen bounds a session cookie, name and value together:
// browsers keep at most 4096 bytes per cookie and drop larger ones
// silently. Read refuses longer values before decoding anything.
const MaxSessionCookieLen = 4096

// DefaultSessionCookieName is Hydra's name, kept so that existing
// deployments (and their proxies' cookie rules) need no change.
const DefaultSessionCookieName = "ory_hydra_session"

// legacySuffix names the second cookie the SameSite legacy workaround sets.
const legacySuffix = "_legacy"

// sessionPrefix versions the cookie value format. It is checked before
// decoding and bound into the AEAD.
const sessionPrefix = "c1."

// sessionPurpose is bound into the AEAD together with the cookie name, so
// neither a flow challenge nor a value cut from another cookie (sealed with
// the same secrets) ever opens as a session.
const sessionPurpose = "auth session cookie"

// CookieSecrets returns the secrets that seal and open cookies:
// secrets.cookie when configured, else secrets.system (Hydra's fallback).
// Build the keyring from the result with secret.NewKeyring.
func CookieSecrets(cookie, system []string) []string {
	if len(cookie) > 0 {
		return cookie
	}
	return system
}

// ParseSameSite maps serve.cookies.same_site_mode to http.SameSite. The
// empty string is Hydra's default, Lax. Matching ignores case.
func ParseSameSite(mode string) (http.SameSite, error) {
	switch strings.ToLower(mode) {
	case "", "lax":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("serve.cookies.same_site_mode: %q is not one of Strict, Lax, None", mode)
}

// SessionCookieOptions configures SessionCookies; see NewSessionCookies for
// the defaults.
//
// SameSite=None and Secure: browsers since 2020 (Chrome 80, Firefox 69 and
// later, Safari 13.1) reject a Set-Cookie that says SameSite=None without
// Secure, because a cookie sent on every cross-site request is exactly what
// a network attacker wants to read or plant over plain http. The rejection
// is silent: the response looks fine, but the browser stores nothing and
// sends nothing back. In development over http://, with SameSite=None and
// Secure off, the symptom is that every flow "forgets" the browser: the
// CSRF cookie is missing when the login or consent verifier comes back, and
// remembered logins never skip. The fixes are to serve over https, use
// SameSite=Lax for a same-site setup, or (dev only) keep Secure and use
// http://localhost, which browsers treat as a secure context. The error
// page for a missing CSRF cookie should say this in words.
type SessionCookieOptions struct {
	Keyring          *secret.Keyring  // required; from CookieSecrets(secrets.cookie, secrets.system)
	Name             string           // serve.cookies.names.session; default DefaultSessionCookieName
	Path             string           // serve.cookies.paths.session; default "/"
	Domain           string           // serve.cookies.domain; empty means host-only
	Secure           bool             // serve.cookies.secure
	SameSite         http.SameSite    // from ParseSameSite; zero means Lax
	LegacyWorkaround bool             // serve.cookies.same_site_legacy_workaround
	Now              func() time.Time // default time.Now
}

// SessionCookies writes, reads and clears the authentication session cookie.
// It is safe for concurrent use: it holds only configuration.
type SessionCookies struct {
	keyring  *secret.Keyring
	name     string
	path     string
	domain   string
	secure   bool
	sameSite http.SameSite
	legacy   bool
	now      func() time.Time
}

// NewSessionCookies checks opts and fills in the defaults. It refuses names,
// paths and domains that net/http would silently drop from Set-Cookie, so
// a misconfiguration fails at startup rather than as missing cookies.
func NewSessionCookies(opts SessionCookieOptions) (*SessionCookies, error) {
	if opts.Keyring == nil {
		return nil, errors.New("flow: session cookies need a keyring")
	}
	c := &SessionCookies{keyring: opts.Keyring, name: opts.Name, path: opts.Path, domain: opts.Domain,
		secure: opts.Secure, sameSite: opts.SameSite, legacy: opts.LegacyWorkaround, now: opts.Now}
	if c.name == "" {
		c.name = DefaultSessionCookieName
	}
	if c.path == "" {
		c.path = "/"
	}
	if c.sameSite == 0 || c.sameSite == http.SameSiteDefaultMode {
		c.sameSite = http.SameSiteLaxMode
	}
	if c.sameSite != http.SameSiteLaxMode && c.sameSite != http.SameSiteStrictMode && c.sameSite != http.SameSiteNoneMode {
		return nil, fmt.Errorf("flow: unknown SameSite mode %d", c.sameSite)
	}
	if c.now == nil {
		c.now = time.Now
	}
	probe := c.cookie(c.name + legacySuffix)
	probe.Value = "x"
	if err := probe.Valid(); err != nil {
		return nil, fmt.Errorf("flow: session cookie settings (serve.cookies.*): %w", err)
	}
	return c, nil
}

// Name returns the session cookie name, for error pages that list the
// cookies a browser should have sent.
func (c *SessionCookies) Name() string { return c.name }

// Write seals s into the session cookie (and its legacy twin, when the
// workaround is on and SameSite is None). The cookie lives until
// s.ExpiresAt, which must be in the future.
func (c *SessionCookies) Write(w http.ResponseWriter, s *Session) error {
	value, maxAge, err := c.seal(s)
	if err != nil {
		return err
	}
	for _, name := range c.names() {
		ck := c.cookie(name)
		ck.Value = value
		ck.MaxAge = maxAge
		// Expires as well as Max-Age: browsers that predate Max-Age
		// would otherwise keep the cookie only for the browser session.
		ck.Expires = time.Unix(s.ExpiresAt.Unix(), 0).UTC()
		http.SetCookie(w, ck)
	}
	return nil
}

// Read returns the session in the request's cookie, falling back to the
// legacy cookie only when the main one is absent. Every failure is
// ErrNoSession wrapping the reason.
func (c *SessionCookies) Read(r *http.Request) (*Session, error) {
	name, value, err := c.pick(r)
	if err == nil {
		var s *Session
		if s, err = c.open(value); err == nil {
			return s, nil
		}
		err = fmt.Errorf("cookie %s: %w", name, err)
	}
	return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
}

// Clear expires the session cookie and its legacy twin. Browsers delete a
// cookie only when name, path and domain match the stored one, so both use
// the attributes Write used. The legacy cookie is cleared even when the
// workaround is now off, in case it was on when the cookie was written.
func (c *SessionCookies) Clear(w http.ResponseWriter) {
	for _, name := range []string{c.name, c.name + legacySuffix} {
		ck := c.cookie(name)
		ck.MaxAge = -1 // rendered as Max-Age=0
		ck.Expires = time.Unix(0, 0).UTC()
		http.SetCookie(w, ck)
	}
}

// names lists the cookies Write sets. The legacy twin omits SameSite, for
// old browsers (Safari 12, Chrome 51–66) that treat SameSite=None as
// Strict or reject the cookie.
func (c *SessionCookies) names() []string {
	if c.legacy && c.sameSite == http.SameSiteNoneMode {
		return []string{c.name, c.name + legacySuffix}
	}
	return []string{c.name}
}

// cookie returns the configured attributes for name, without a value.
func (c *SessionCookies) cookie(name string) *http.Cookie {
	ck := &http.Cookie{Name: name, Path: c.path, Domain: c.domain, Secure: c.secure, HttpOnly: true, SameSite: c.sameSite}
	if name != c.name {
		ck.SameSite = 0 // legacy twin: no SameSite attribute at all
	}
	return ck
}

// pick finds the cookie value to open. Two different values under the
// main name (one planted by a sibling subdomain, say) are refused rather
// than guessed between: the worst an attacker gets is a fresh login.
func (c *SessionCookies) pick(r *http.Request) (name, value string, err error) {
	for _, name := range []string{c.name, c.name + legacySuffix} {
		var found []string
		for _, ck := range r.CookiesNamed(name) {
			if len(found) == 0 || found[0] != ck.Value {
				found = append(found, ck.Value)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return name, found[0], nil
		default:
			return "", "", fmt.Errorf("%d different %s cookies", len(found), name)
		}
	}
	return "", "", fmt.Errorf("no %s cookie", c.name)
}

// sessionWire is the sealed plaintext: short keys keep the cookie small.
type sessionWire struct {
	ID        string `json:"sid"`
	Subject   string `json:"sub"`
	AuthTime  int64  `json:"at"`
	Remember  bool   `json:"rm,omitempty"`
	ExpiresAt int64  `json:"exp"`
	IDPSID    string `json:"idp,omitempty"`
}

func (c *SessionCookies) seal(s *Session) (value string, maxAge int, err error) {
	switch {
	case s == nil:
		return "", 0, errors.New("flow: nil session")
	case s.ID == "" || s.Subject == "":
		return "", 0, errors.New("flow: a session needs an id and a subject")
	case s.AuthTime.IsZero() || s.ExpiresAt.IsZero():
		return "", 0, errors.New("flow: a session needs an auth time and an expiry")
	}
	// Whole seconds, rounded down, so the browser drops the cookie no
	// later than the server stops accepting it.
	maxAge = int(time.Unix(s.ExpiresAt.Unix(), 0).Sub(c.now()) / time.Second)
	if maxAge <= 0 {
		return "", 0, fmt.Errorf("flow: session expires at %s, which is not in the future", s.ExpiresAt.UTC().Format(time.RFC3339))
	}
	body, err := json.Marshal(sessionWire{ID: s.ID, Subject: s.Subject, AuthTime: s.AuthTime.Unix(),
		Remember: s.Remember, ExpiresAt: s.ExpiresAt.Unix(), IDPSID: s.IdentityProviderSessionID})
	if err != nil {
		return "", 0, err
	}
	sealed, err := c.keyring.Seal(body, c.aad())
	if err != nil {
		return "", 0, err
	}
	value = sessionPrefix + base64.RawURLEncoding.EncodeToString(sealed)
	if n := len(c.name) + len(legacySuffix) + len(value); n > MaxSessionCookieLen {
		return "", 0, fmt.Errorf("%w: %d bytes (limit %d)", ErrSessionTooLarge, n, MaxSessionCookieLen)
	}
	return value, maxAge, nil
}

func (c *SessionCookies) open(value string) (*Session, error) {
	// Bound and screen the input before any decoding or decryption work.
	switch {
	case value == "":
		return nil, errors.New("empty")
	case len(value) > MaxSessionCookieLen:
		return nil, fmt.Errorf("%d bytes exceeds the limit of %d", len(value), MaxSessionCookieLen)
	case !strings.HasPrefix(value, sessionPrefix):
		return nil, errors.New("unknown format or version")
	}
	enc := value[len(sessionPrefix):]
	if !isBase64URL(enc) {
		return nil, errors.New("not base64url")
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, errors.New("not base64url")
	}
	plain, err := c.keyring.Open(sealed, c.aad())
	if err != nil {
		return nil, errors.New("tampered, truncated, not a session cookie, or sealed with a secret no longer configured")
	}
	var sw sessionWire
	if err := json.Unmarshal(plain, &sw); err != nil {
		return nil, fmt.Errorf("decoding session: %w", err)
	}
	if sw.ID == "" || sw.Subject == "" {
		return nil, errors.New("session without id or subject")
	}
	expires := time.Unix(sw.ExpiresAt, 0).UTC()
	if !c.now().Before(expires) {
		return nil, fmt.Errorf("expired at %s", expires.Format(time.RFC3339))
	}
	return &Session{ID: sw.ID, Subject: sw.Subject, AuthTime: time.Unix(sw.AuthTime, 0).UTC(), Remember: sw.Remember,
		ExpiresAt: expires, IdentityProviderSessionID: sw.IDPSID}, nil
}

// aad binds the format version, the purpose and the cookie name into the
// AEAD. The legacy twin carries the same value, so the main name is used.
func (c *SessionCookies) aad() []byte {
	return []byte("signet " + sessionPurpose + " " + sessionPrefix + c.name)
}
