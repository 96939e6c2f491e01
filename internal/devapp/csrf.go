package devapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
)

// Cross-site request forgery on the dev forms.
//
// What the challenge already gives: it is sealed (AES-GCM under
// secrets.system), unguessable, expiring and bound to its step, and the
// authorization endpoint continues a flow only in the browser that holds
// the flow's login_csrf/consent_csrf cookie. A forged POST with a challenge
// the attacker cannot know fails; one with the attacker's own challenge
// leads nowhere, because the victim's browser lacks that flow's cookie.
//
// What the form token adds: a POST counts only if this browser was shown
// the form, that is, only if the person clicked. The token is an HMAC (key
// derived from secrets.system) over the step, the challenge and a random
// nonce kept in a SameSite=Lax, HttpOnly cookie. A cross-site page cannot
// make the browser send that cookie with a POST, and a token copied from
// another browser does not match this browser's nonce. So a challenge that
// leaked (a log line, a screenshot) cannot be used to press Allow in the
// victim's own browser, where the flow cookie is present and the code
// would be issued, nor to sign the victim out.
//
// Lax rather than Strict: the sign-in reaches the dev pages through a
// redirect from the client, often another site (localhost vs 127.0.0.1);
// a Strict cookie is not sent with that GET, so every page view would
// replace the nonce and break the same form open in another tab. Lax
// still keeps the cookie off cross-site POSTs, which is what matters here.

// formCookie holds the browser's nonce. Cookies ignore ports, so two
// Signet instances on one host share it, which is harmless: each binds
// its tokens with its own key.
const formCookie = "signet_dev_csrf"

// nonceBytes is the entropy of the nonce (256 bits).
const nonceBytes = 32

// macPurpose separates the form-token keys from every other key derived
// from secrets.system.
const macPurpose = "devapp form token"

// formGuard issues and checks the form tokens.
type formGuard struct {
	keys   [][]byte // first signs; all verify (secrets.system rotation)
	path   string   // cookie path: the pages' folder
	secure bool
	rand   io.Reader
}

func newFormGuard(keyring *secret.Keyring, path string, secure bool, rand io.Reader) formGuard {
	return formGuard{keys: keyring.MACKeys(macPurpose), path: path, secure: secure, rand: rand}
}

// issue returns the token for a form about challenge at step p, setting
// the nonce cookie when the browser has none.
func (g formGuard) issue(w http.ResponseWriter, r *http.Request, p flow.Purpose, challenge string) (string, error) {
	nonce := g.nonce(r)
	if nonce == "" {
		n, err := secret.RandomString(g.rand, nonceBytes)
		if err != nil {
			return "", err
		}
		nonce = n
		http.SetCookie(w, &http.Cookie{Name: formCookie, Value: nonce, Path: g.path,
			HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteLaxMode})
	}
	return formToken(g.keys[0], p, nonce, challenge), nil
}

// check accepts token only if this browser's nonce and challenge produce
// it under one of the keys; the comparison is constant-time.
func (g formGuard) check(r *http.Request, p flow.Purpose, challenge, token string) error {
	nonce := g.nonce(r)
	if nonce == "" {
		return formRefused("The browser did not send back the cookie this page set.").
			WithHint("Allow cookies for this site, and use one host name throughout (localhost and 127.0.0.1 are different sites to a browser); then reload the page the application sent you to.")
	}
	for _, k := range g.keys {
		if hmac.Equal([]byte(formToken(k, p, nonce, challenge)), []byte(token)) {
			return nil
		}
	}
	return formRefused("The form was not the one this browser was shown.").
		WithHint("Reload the page and submit it again. A form sent from another site or another browser is refused on purpose.")
}

// nonce reads the cookie; a value of the wrong shape counts as none.
func (g formGuard) nonce(r *http.Request) string {
	c, err := r.Cookie(formCookie)
	if err != nil {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil || len(b) != nonceBytes {
		return ""
	}
	return c.Value
}

func formToken(key []byte, p flow.Purpose, nonce, challenge string) string {
	m := hmac.New(sha256.New, key)
	for _, part := range []string{string(p), nonce, challenge} {
		// Length-prefixed, so no choice of parts can run into another.
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
		m.Write([]byte(part))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func formRefused(description string) *httpx.Error {
	return httpx.NewError(http.StatusForbidden, "request_forbidden", "%s", description)
}
