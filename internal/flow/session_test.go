package flow

import (
	"encoding/base64"
	"errors"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

const testCookieSecret = "cookie-secret-0123456789abcdef"

func newSessionCookies(t testing.TB, opts SessionCookieOptions, secrets ...string) (*SessionCookies, *clock) {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{testCookieSecret}
	}
	c := &clock{t: t0}
	if opts.Keyring == nil {
		opts.Keyring = newKeyring(t, secrets...)
	}
	if opts.Now == nil {
		opts.Now = c.now
	}
	sc, err := NewSessionCookies(opts)
	if err != nil {
		t.Fatal(err)
	}
	return sc, c
}

func testSession() *Session {
	return &Session{ID: "0b7f2c1e-5d3a-4e8b-9c6f-1a2b3c4d5e6f", Subject: "user-4711", AuthTime: t0.Add(-time.Minute),
		Remember: true, ExpiresAt: t0.Add(time.Hour), IdentityProviderSessionID: "idp-session-9"}
}

// written writes s and returns the Set-Cookie headers as parsed cookies
// plus the raw header lines.
func written(t testing.TB, sc *SessionCookies, s *Session) ([]*http.Cookie, []string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := sc.Write(rec, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return rec.Result().Cookies(), rec.Result().Header.Values("Set-Cookie")
}

// requestWith builds a request whose Cookie header is exactly header.
func requestWith(header string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://auth.example.com/oauth2/auth", nil)
	if header != "" {
		r.Header.Set("Cookie", header)
	}
	return r
}

func readValue(sc *SessionCookies, name, value string) (*Session, error) {
	return sc.Read(requestWith(name + "=" + value))
}

func TestSessionCookieRoundTrip(t *testing.T) {
	sc, _ := newSessionCookies(t, SessionCookieOptions{})
	cookies, _ := written(t, sc, testSession())
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies, want 1", len(cookies))
	}
	got, err := readValue(sc, cookies[0].Name, cookies[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if want := testSession(); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the session:\n got %+v\nwant %+v", got, want)
	}
	// Nothing the cookie carries is readable without the secret.
	for _, leak := range []string{"user-4711", "idp-session-9", "0b7f2c1e"} {
		if strings.Contains(cookies[0].Value, leak) || strings.Contains(cookies[0].Value, base64.RawURLEncoding.EncodeToString([]byte(leak))) {
			t.Errorf("cookie value reveals %q", leak)
		}
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	cases := []struct {
		name string
		opts SessionCookieOptions
		want http.Cookie
	}{
		{"defaults are Hydra's", SessionCookieOptions{},
			http.Cookie{Name: "ory_hydra_session", Path: "/", SameSite: http.SameSiteLaxMode}},
		{"everything configured", SessionCookieOptions{Name: "sid_cookie", Path: "/oauth2", Domain: "example.com", Secure: true, SameSite: http.SameSiteStrictMode},
			http.Cookie{Name: "sid_cookie", Path: "/oauth2", Domain: "example.com", Secure: true, SameSite: http.SameSiteStrictMode}},
		{"cross-site", SessionCookieOptions{Secure: true, SameSite: http.SameSiteNoneMode},
			http.Cookie{Name: "ory_hydra_session", Path: "/", Secure: true, SameSite: http.SameSiteNoneMode}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc, _ := newSessionCookies(t, tc.opts)
			cookies, raw := written(t, sc, testSession())
			if len(cookies) != 1 {
				t.Fatalf("got %d cookies (%q), want 1", len(cookies), raw)
			}
			got := cookies[0]
			if got.Name != tc.want.Name || got.Path != tc.want.Path || got.Domain != tc.want.Domain ||
				got.Secure != tc.want.Secure || got.SameSite != tc.want.SameSite || !got.HttpOnly {
				t.Errorf("Set-Cookie %q: attributes differ from %+v", raw[0], tc.want)
			}
			if got.MaxAge != 3600 {
				t.Errorf("Max-Age = %d, want 3600 (ExpiresAt − now)", got.MaxAge)
			}
			if !got.Expires.Equal(t0.Add(time.Hour)) {
				t.Errorf("Expires = %v, want %v", got.Expires, t0.Add(time.Hour))
			}
		})
	}
}

func TestSessionCookieMaxAgeRoundsDown(t *testing.T) {
	sc, c := newSessionCookies(t, SessionCookieOptions{})
	c.t = t0.Add(500 * time.Millisecond)
	cookies, _ := written(t, sc, testSession())
	// The browser must drop the cookie no later than the server refuses it.
	if cookies[0].MaxAge != 3599 {
		t.Errorf("Max-Age = %d, want 3599", cookies[0].MaxAge)
	}
}

func TestSessionCookieLegacyPair(t *testing.T) {
	sc, _ := newSessionCookies(t, SessionCookieOptions{Secure: true, SameSite: http.SameSiteNoneMode, LegacyWorkaround: true})
	cookies, raw := written(t, sc, testSession())
	if len(cookies) != 2 || cookies[0].Name != "ory_hydra_session" || cookies[1].Name != "ory_hydra_session_legacy" {
		t.Fatalf("got %q, want the session cookie and its _legacy twin", raw)
	}
	if cookies[0].SameSite != http.SameSiteNoneMode {
		t.Errorf("main cookie %q lacks SameSite=None", raw[0])
	}
	if strings.Contains(strings.ToLower(raw[1]), "samesite") {
		t.Errorf("legacy cookie %q must carry no SameSite attribute", raw[1])
	}
	if !cookies[1].Secure || !cookies[1].HttpOnly || cookies[1].MaxAge != 3600 || cookies[1].Path != "/" {
		t.Errorf("legacy cookie %q lost attributes", raw[1])
	}
	for _, header := range []string{
		cookies[0].Name + "=" + cookies[0].Value,
		cookies[1].Name + "=" + cookies[1].Value, // old browser: dropped the SameSite=None one
		cookies[1].Name + "=" + cookies[1].Value + "; " + cookies[0].Name + "=" + cookies[0].Value,
	} {
		if got, err := sc.Read(requestWith(header)); err != nil || got.Subject != "user-4711" {
			t.Errorf("Read(%.40q…) = %v, %v", header, got, err)
		}
	}
	// The main cookie wins when present: a broken main is not rescued.
	if _, err := sc.Read(requestWith("ory_hydra_session=garbage; ory_hydra_session_legacy=" + cookies[1].Value)); !errors.Is(err, ErrNoSession) {
		t.Errorf("invalid main cookie with valid legacy: err = %v, want ErrNoSession", err)
	}
}

func TestSessionCookieLegacyOnlyForSameSiteNone(t *testing.T) {
	for _, ss := range []http.SameSite{http.SameSiteLaxMode, http.SameSiteStrictMode} {
		sc, _ := newSessionCookies(t, SessionCookieOptions{SameSite: ss, LegacyWorkaround: true})
		if cookies, raw := written(t, sc, testSession()); len(cookies) != 1 {
			t.Errorf("SameSite %d: got %q, want one cookie", ss, raw)
		}
	}
}

// TestSessionCookieClear drives a real cookie jar: what Clear sends must
// make a browser forget both cookies.
func TestSessionCookieClear(t *testing.T) {
	sc, _ := newSessionCookies(t, SessionCookieOptions{Domain: "example.com", Path: "/oauth2", Secure: true,
		SameSite: http.SameSiteNoneMode, LegacyWorkaround: true})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://auth.example.com/oauth2/auth")
	cookies, _ := written(t, sc, testSession())
	jar.SetCookies(u, cookies)
	if n := len(jar.Cookies(u)); n != 2 {
		t.Fatalf("jar holds %d cookies after Write, want 2", n)
	}

	rec := httptest.NewRecorder()
	sc.Clear(rec)
	cleared := rec.Result().Cookies()
	raw := rec.Result().Header.Values("Set-Cookie")
	if len(cleared) != 2 {
		t.Fatalf("Clear sent %q, want both cookies", raw)
	}
	for i, ck := range cleared {
		if ck.Value != "" || ck.MaxAge != -1 || ck.Path != "/oauth2" || ck.Domain != "example.com" || !ck.Secure || !ck.HttpOnly {
			t.Errorf("Clear sent %q: want empty, Max-Age=0 and the attributes Write used", raw[i])
		}
	}
	if cleared[0].SameSite != http.SameSiteNoneMode || strings.Contains(strings.ToLower(raw[1]), "samesite") {
		t.Errorf("Clear must repeat SameSite exactly as Write did: %q", raw)
	}
	jar.SetCookies(u, cleared)
	if left := jar.Cookies(u); len(left) != 0 {
		t.Errorf("jar still holds %v after Clear", left)
	}
}

func TestReadSessionCookieRejects(t *testing.T) {
	sc, c := newSessionCookies(t, SessionCookieOptions{})
	cookies, _ := written(t, sc, testSession())
	valid := cookies[0].Value
	raw, err := base64.RawURLEncoding.DecodeString(valid[len(sessionPrefix):])
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte{}, raw...)
	flipped[len(flipped)-3] ^= 0x01

	foreign, _ := newSessionCookies(t, SessionCookieOptions{}, "someone-elses-secret-0123456789")
	foreignCookies, _ := written(t, foreign, testSession())

	renamed, _ := newSessionCookies(t, SessionCookieOptions{Name: "other_session"})
	renamedCookies, _ := written(t, renamed, testSession())

	// A login challenge sealed with the very same secret.
	sealer := NewSealer(newKeyring(t, testCookieSecret), c.now, testTTL)
	challenge := mustSeal(t, sealer, flowIn(t, StateLoginRequested), PurposeLoginChallenge)

	cases := []struct {
		name   string
		header string
	}{
		{"no cookie at all", ""},
		{"other cookies only", "csrf=abc; theme=dark"},
		{"empty value", "ory_hydra_session="},
		{"bit flipped", "ory_hydra_session=" + sessionPrefix + base64.RawURLEncoding.EncodeToString(flipped)},
		{"truncated by one character", "ory_hydra_session=" + valid[:len(valid)-1]},
		{"truncated to the header", "ory_hydra_session=" + sessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:17])},
		{"appended character", "ory_hydra_session=" + valid + "A"},
		{"wrong version prefix", "ory_hydra_session=c2." + valid[len(sessionPrefix):]},
		{"no prefix", "ory_hydra_session=" + valid[len(sessionPrefix):]},
		{"padding added", "ory_hydra_session=" + valid + "=="},
		{"standard base64 alphabet", "ory_hydra_session=" + sessionPrefix + base64.RawStdEncoding.EncodeToString(append(raw[:len(raw):len(raw)], 0xfb, 0xff))},
		{"sealed under a foreign secret", "ory_hydra_session=" + foreignCookies[0].Value},
		{"sealed for another cookie name", "ory_hydra_session=" + renamedCookies[0].Value},
		{"flow challenge as session cookie", "ory_hydra_session=" + challenge},
		{"flow challenge body with session prefix", "ory_hydra_session=" + sessionPrefix + challenge[len(sealPrefix):]},
		{"oversized", "ory_hydra_session=" + sessionPrefix + strings.Repeat("A", MaxSessionCookieLen)},
		{"two different session cookies", "ory_hydra_session=" + valid + "; ory_hydra_session=" + foreignCookies[0].Value},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sc.Read(requestWith(tc.header))
			if got != nil || !errors.Is(err, ErrNoSession) {
				t.Fatalf("Read = %+v, %v; want nil, ErrNoSession", got, err)
			}
		})
	}

	// The same value twice (a browser sending a duplicate) is still one session.
	if _, err := sc.Read(requestWith("ory_hydra_session=" + valid + "; ory_hydra_session=" + valid)); err != nil {
		t.Errorf("duplicate identical cookie: %v", err)
	}
}

func TestReadSessionCookieExpiry(t *testing.T) {
	sc, c := newSessionCookies(t, SessionCookieOptions{})
	cookies, _ := written(t, sc, testSession())
	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{t0.Add(time.Hour - time.Second), true},
		{t0.Add(time.Hour), false}, // ExpiresAt itself is already too late
		{t0.Add(48 * time.Hour), false},
	} {
		c.t = tc.at
		_, err := readValue(sc, cookies[0].Name, cookies[0].Value)
		if (err == nil) != tc.ok {
			t.Errorf("at %v: err = %v, want ok=%v", tc.at, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNoSession) {
			t.Errorf("at %v: err = %v, want ErrNoSession", tc.at, err)
		}
	}
}

// A session cookie must not open as any flow string either.
func TestSessionCookieIsNotAChallenge(t *testing.T) {
	sc, c := newSessionCookies(t, SessionCookieOptions{})
	cookies, _ := written(t, sc, testSession())
	sealer := NewSealer(newKeyring(t, testCookieSecret), c.now, testTTL)
	body := cookies[0].Value[len(sessionPrefix):]
	for _, p := range []Purpose{PurposeLoginChallenge, PurposeLoginVerifier, PurposeConsentChallenge, PurposeConsentVerifier, PurposeLogoutChallenge} {
		for _, s := range []string{cookies[0].Value, sealPrefix + body} {
			if f, err := sealer.Open(s, p); err == nil {
				t.Errorf("session cookie opened as %s: %+v", p, f)
			}
		}
	}
}

func TestSessionCookieSecretRotation(t *testing.T) {
	const oldSecret, newSecret = "old-cookie-secret-0123456789", "new-cookie-secret-9876543210"
	before, _ := newSessionCookies(t, SessionCookieOptions{}, oldSecret)
	after, _ := newSessionCookies(t, SessionCookieOptions{}, newSecret, oldSecret)

	oldCookies, _ := written(t, before, testSession())
	if _, err := readValue(after, oldCookies[0].Name, oldCookies[0].Value); err != nil {
		t.Errorf("cookie sealed before the rotation no longer opens: %v", err)
	}
	newCookies, _ := written(t, after, testSession())
	if _, err := readValue(before, newCookies[0].Name, newCookies[0].Value); !errors.Is(err, ErrNoSession) {
		t.Errorf("a server without the new secret opened a cookie sealed with it: %v", err)
	}
	dropped, _ := newSessionCookies(t, SessionCookieOptions{}, newSecret)
	if _, err := readValue(dropped, oldCookies[0].Name, oldCookies[0].Value); !errors.Is(err, ErrNoSession) {
		t.Errorf("cookie opened after its secret was removed: %v", err)
	}
}

func TestCookieSecrets(t *testing.T) {
	system, cookie := []string{"system-secret-0123456789"}, []string{"cookie-secret-0123456789"}
	if got := CookieSecrets(cookie, system); !reflect.DeepEqual(got, cookie) {
		t.Errorf("with secrets.cookie set: %v, want %v", got, cookie)
	}
	for _, unset := range [][]string{nil, {}} {
		if got := CookieSecrets(unset, system); !reflect.DeepEqual(got, system) {
			t.Errorf("with secrets.cookie %v: %v, want secrets.system %v", unset, got, system)
		}
	}
}

func TestSessionCookieWriteRefuses(t *testing.T) {
	sc, _ := newSessionCookies(t, SessionCookieOptions{})
	mod := func(f func(s *Session)) *Session { s := testSession(); f(s); return s }
	cases := []struct {
		name string
		s    *Session
		want error
	}{
		{"nil", nil, nil},
		{"no id", mod(func(s *Session) { s.ID = "" }), nil},
		{"no subject", mod(func(s *Session) { s.Subject = "" }), nil},
		{"no auth time", mod(func(s *Session) { s.AuthTime = time.Time{} }), nil},
		{"no expiry", mod(func(s *Session) { s.ExpiresAt = time.Time{} }), nil},
		{"already expired", mod(func(s *Session) { s.ExpiresAt = t0 }), nil},
		{"too large for a cookie", mod(func(s *Session) { s.Subject = strings.Repeat("u", 3000) }), ErrSessionTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := sc.Write(rec, tc.s)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Write = %v, want an error (%v)", err, tc.want)
			}
			if h := rec.Result().Header.Values("Set-Cookie"); len(h) != 0 {
				t.Errorf("a refused Write still set %q", h)
			}
		})
	}
}

func TestNewSessionCookiesRefusesBadSettings(t *testing.T) {
	k := newKeyring(t, testCookieSecret)
	for name, opts := range map[string]SessionCookieOptions{
		"no keyring":        {},
		"name with space":   {Keyring: k, Name: "my session"},
		"name with ;":       {Keyring: k, Name: "a;b"},
		"path with ;":       {Keyring: k, Path: "/;x"},
		"domain with space": {Keyring: k, Domain: "exa mple.com"},
		"unknown SameSite":  {Keyring: k, SameSite: http.SameSite(42)},
	} {
		if _, err := NewSessionCookies(opts); err == nil {
			t.Errorf("%s: NewSessionCookies accepted %+v", name, opts)
		}
	}
}

func TestParseSameSite(t *testing.T) {
	for in, want := range map[string]http.SameSite{"": http.SameSiteLaxMode, "Lax": http.SameSiteLaxMode,
		"Strict": http.SameSiteStrictMode, "None": http.SameSiteNoneMode, "none": http.SameSiteNoneMode} {
		if got, err := ParseSameSite(in); err != nil || got != want {
			t.Errorf("ParseSameSite(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"Default", "lax ", "0"} {
		if _, err := ParseSameSite(bad); err == nil {
			t.Errorf("ParseSameSite(%q) accepted", bad)
		}
	}
}

// FuzzReadSessionCookie asserts that Read never panics, refuses with
// ErrNoSession only, and accepts nothing but the exact values Write
// produced, returning the session each was written for.
func FuzzReadSessionCookie(f *testing.F) {
	// Fuzzing runs this setup in every worker; a seeded random source
	// makes each of them write exactly the same values.
	k, err := secret.NewKeyring([]string{testCookieSecret}, mrand.NewChaCha8([32]byte{9}))
	if err != nil {
		f.Fatal(err)
	}
	sc, _ := newSessionCookies(f, SessionCookieOptions{Keyring: k})
	produced := map[string]*Session{}
	for i, s := range []*Session{testSession(), {ID: "s", Subject: "ü", AuthTime: t0, ExpiresAt: t0.Add(time.Second)}} {
		cookies, _ := written(f, sc, s)
		v := cookies[0].Value
		produced[v] = s
		raw, _ := base64.RawURLEncoding.DecodeString(v[len(sessionPrefix):])
		flipped := append([]byte{}, raw...)
		flipped[len(flipped)/2] ^= byte(1 << i)
		f.Add(v)
		f.Add(v[:len(v)-1])
		f.Add(v + "A")
		f.Add(sessionPrefix + base64.RawURLEncoding.EncodeToString(flipped))
		f.Add(sessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:20]))
		f.Add(v + "; ory_hydra_session_legacy=" + v)
	}
	f.Add("")
	f.Add(sessionPrefix)
	f.Add("c1.\r\n")
	f.Add("\"" + sessionPrefix + "\"")

	f.Fuzz(func(t *testing.T, value string) {
		// Directly, as the value of the main cookie.
		got, err := sc.open(value)
		if err != nil {
			if got != nil {
				t.Fatalf("open(%q) returned a session with error %v", value, err)
			}
		} else if want, ok := produced[value]; !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("open accepted %q as %+v, which Write did not produce", value, got)
		}
		// Through a request, where the value may smuggle more cookies.
		r := requestWith("ory_hydra_session=" + value)
		got, err = sc.Read(r)
		if err != nil {
			if got != nil || !errors.Is(err, ErrNoSession) {
				t.Fatalf("Read(%q) = %v, %v", value, got, err)
			}
			return
		}
		for _, name := range []string{"ory_hydra_session", "ory_hydra_session_legacy"} {
			for _, ck := range r.CookiesNamed(name) {
				if want, ok := produced[ck.Value]; ok && reflect.DeepEqual(got, want) {
					return
				}
			}
		}
		t.Fatalf("Read accepted %q as %+v, which Write did not produce", value, got)
	})
}
