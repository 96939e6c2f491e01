package flow

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustSeal(t testing.TB, s *Sealer, f *Flow, p Purpose) string {
	t.Helper()
	str, err := s.Seal(f, p)
	if err != nil {
		t.Fatalf("Seal(%s): %v", p, err)
	}
	return str
}

// fullFlow sets every field, so the round trip proves none is lost.
func fullFlow(t *testing.T) *Flow {
	maxAge := int64(0) // 0 must survive: it means "authenticate again"
	req := typicalRequest()
	req.ResponseMode = "form_post"
	req.Prompt = []string{"login", "consent"}
	req.MaxAge = &maxAge
	req.ACRValues = []string{"urn:acr:mfa", "1"}
	req.Display = "popup"
	req.LoginHint = "jane@example.com"
	req.IDTokenHintClaims = json.RawMessage(`{"sub":"user-4711","aud":["c"]}`)
	req.Device = true
	req.DPoPJKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	f, _ := newFlow(t, req)
	if err := f.RequestLogin("sid-1", &RememberedLogin{Subject: "user-4711", AuthTime: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	err := f.AcceptLogin(LoginAccept{Subject: "user-4711", Remember: true, RememberFor: 60, ACR: "2",
		AMR: []string{"pwd", "otp"}, Context: json.RawMessage(`{"k":["v",1]}`), ForceSubjectIdentifier: "pairwise-x",
		ExtendSessionLifespan: true, IdentityProviderSessionID: "idp-7"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RequestConsent(true); err != nil {
		t.Fatal(err)
	}
	err = f.AcceptConsent(ConsentAccept{GrantScope: []string{"openid"}, GrantAudience: []string{"aud"}, Remember: true,
		RememberFor: 90, AccessTokenClaims: json.RawMessage(`{"tier":"gold"}`), IDTokenClaims: json.RawMessage(`{"ü":"✓"}`),
		Context: json.RawMessage(`"ctx"`)}, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSealRoundTripKeepsEveryField(t *testing.T) {
	s, _ := newSealer(t)
	f := fullFlow(t)
	got, err := s.Open(mustSeal(t, s, f, PurposeConsentVerifier), PurposeConsentVerifier)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(testTTL); !got.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", got.Expires, want)
	}
	got.Expires = time.Time{}
	if !reflect.DeepEqual(got, f) {
		t.Errorf("round trip changed the flow:\n got %+v\nwant %+v", got, f)
	}
	// Guard against a field added later without a value in fullFlow.
	assertNoZeroFields(t, reflect.ValueOf(*f), "Flow", map[string]bool{"Flow.Expires": true, "Flow.Error": true})
}

// assertNoZeroFields walks structs and fails on a zero field not in skip.
func assertNoZeroFields(t *testing.T, v reflect.Value, path string, skip map[string]bool) {
	for i := 0; i < v.NumField(); i++ {
		name := path + "." + v.Type().Field(i).Name
		fv := v.Field(i)
		switch {
		case skip[name]:
		case fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}):
			assertNoZeroFields(t, fv, name, skip)
		case fv.IsZero():
			t.Errorf("%s is zero in fullFlow; set it so the round trip covers it", name)
		}
	}
}

func TestSealRoundTripRejectError(t *testing.T) {
	s, _ := newSealer(t)
	f := flowIn(t, StateLoginRejected)
	got, err := s.Open(mustSeal(t, s, f, PurposeLoginVerifier), PurposeLoginVerifier)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Error, f.Error) || got.Error == nil {
		t.Errorf("Error = %+v, want %+v", got.Error, f.Error)
	}
}

func TestSealIsRandomised(t *testing.T) {
	// Two seals of one flow differ, so observers cannot tell two challenges
	// carry the same flow.
	s, _ := newSealer(t)
	f := flowIn(t, StateLoginRequested)
	if mustSeal(t, s, f, PurposeLoginChallenge) == mustSeal(t, s, f, PurposeLoginChallenge) {
		t.Fatal("two seals are identical")
	}
}

func TestSealOutputIsURLSafe(t *testing.T) {
	s, _ := newSealer(t)
	str := mustSeal(t, s, fullFlow(t), PurposeConsentVerifier)
	if !strings.HasPrefix(str, sealPrefix) || !isBase64URL(str[len(sealPrefix):]) || strings.Contains(str, "=") {
		t.Fatalf("sealed string %q is not prefixed unpadded base64url", str)
	}
}

func TestSealRefusesStateNotMatchingPurpose(t *testing.T) {
	s, _ := newSealer(t)
	cases := []struct {
		st State
		p  Purpose
	}{
		{StateInitialised, PurposeLoginChallenge},
		{StateLoginAccepted, PurposeLoginChallenge},
		{StateLoginRequested, PurposeLoginVerifier},
		{StateLoginAccepted, PurposeConsentChallenge},
		{StateConsentRequested, PurposeConsentVerifier},
		{StateCodeIssued, PurposeConsentVerifier},
	}
	for _, c := range cases {
		if _, err := s.Seal(flowIn(t, c.st), c.p); !errors.Is(err, ErrTransition) {
			t.Errorf("Seal(%s flow, %s) = %v, want ErrTransition", c.st, c.p, err)
		}
	}
	if _, err := s.Seal(flowIn(t, StateLoginRequested), Purpose("login")); err == nil {
		t.Error("Seal accepted an unknown purpose")
	}
}

func TestSealRefusesWhatOpenWouldRefuse(t *testing.T) {
	s, _ := newSealer(t)
	f := flowIn(t, StateConsentRequested)
	f.Request.IDTokenHintClaims = json.RawMessage(`{"big":"` + strings.Repeat("a", MaxSealedLen) + `"}`)
	if _, err := s.Seal(f, PurposeConsentChallenge); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Seal of an oversized flow = %v, want ErrTooLarge", err)
	}
}

func TestOpenAfterSecretRotation(t *testing.T) {
	const oldSecret, newSecret = "old-system-secret-0123456789", "new-system-secret-9876543210"
	before, c := newSealer(t, oldSecret)
	str := mustSeal(t, before, flowIn(t, StateLoginRequested), PurposeLoginChallenge)

	rotated := NewSealer(newKeyring(t, newSecret, oldSecret), c.now, testTTL)
	if _, err := rotated.Open(str, PurposeLoginChallenge); err != nil {
		t.Fatalf("challenge sealed before rotation does not open after it: %v", err)
	}
	retired := NewSealer(newKeyring(t, newSecret), c.now, testTTL)
	if _, err := retired.Open(str, PurposeLoginChallenge); !errors.Is(err, ErrInvalidChallenge) {
		t.Fatalf("challenge opens after its secret was removed: %v", err)
	}
}

func TestOpenExpiry(t *testing.T) {
	s, c := newSealer(t)
	str := mustSeal(t, s, flowIn(t, StateLoginRequested), PurposeLoginChallenge)
	c.t = t0.Add(testTTL)
	if _, err := s.Open(str, PurposeLoginChallenge); err != nil {
		t.Fatalf("challenge refused at its last valid second: %v", err)
	}
	c.t = t0.Add(testTTL + time.Second)
	if _, err := s.Open(str, PurposeLoginChallenge); !errors.Is(err, ErrInvalidChallenge) {
		t.Fatalf("challenge opens one second after expiry: %v", err)
	}
}

// TestOpenRejects lists every way a stranger can alter a sealed string.
func TestOpenRejects(t *testing.T) {
	s, _ := newSealer(t)
	valid := mustSeal(t, s, flowIn(t, StateLoginRequested), PurposeLoginChallenge)
	body := valid[len(sealPrefix):]
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	reencode := func(b []byte) string { return sealPrefix + base64.RawURLEncoding.EncodeToString(b) }
	foreign, _ := newSealer(t, "another-deployment-secret-000")

	cases := map[string]struct {
		str string
		p   Purpose
	}{
		"empty":                     {"", PurposeLoginChallenge},
		"prefix only":               {sealPrefix, PurposeLoginChallenge},
		"garbage":                   {"hello world", PurposeLoginChallenge},
		"garbage with prefix":       {sealPrefix + "not*base64!", PurposeLoginChallenge},
		"unknown version":           {"s2." + body, PurposeLoginChallenge},
		"no prefix":                 {body, PurposeLoginChallenge},
		"padded":                    {valid + "=", PurposeLoginChallenge},
		"newline inside":            {valid[:20] + "\n" + valid[20:], PurposeLoginChallenge},
		"standard alphabet":         {sealPrefix + base64.RawStdEncoding.EncodeToString(raw), PurposeLoginChallenge},
		"truncated by one char":     {valid[:len(valid)-1], PurposeLoginChallenge},
		"truncated by one byte":     {reencode(raw[:len(raw)-1]), PurposeLoginChallenge},
		"truncated to header":       {reencode(raw[:17]), PurposeLoginChallenge},
		"extended by one byte":      {reencode(append(append([]byte{}, raw...), 0)), PurposeLoginChallenge},
		"login verifier purpose":    {valid, PurposeLoginVerifier},
		"consent challenge purpose": {valid, PurposeConsentChallenge},
		"logout purpose":            {valid, PurposeLogoutChallenge},
		"unknown purpose":           {valid, Purpose("")},
		"foreign secret":            {mustSeal(t, foreign, flowIn(t, StateLoginRequested), PurposeLoginChallenge), PurposeLoginChallenge},
		"huge":                      {sealPrefix + strings.Repeat("A", MaxSealedLen), PurposeLoginChallenge},
		"huge garbage":              {strings.Repeat("\xff", 1<<20), PurposeLoginChallenge},
	}
	// Canonical form only: changing the unused low bits of the last
	// character decodes to the same bytes but is not what Seal produced.
	if last := body[len(body)-1]; len(raw)%3 != 0 {
		alt := base64.RawURLEncoding.EncodeToString(raw)
		for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
			if byte(c) != last {
				alt = alt[:len(alt)-1] + string(c)
				if b, err := base64.RawURLEncoding.DecodeString(alt); err == nil && bytes.Equal(b, raw) {
					cases["non-canonical last character"] = struct {
						str string
						p   Purpose
					}{sealPrefix + alt, PurposeLoginChallenge}
					break
				}
			}
		}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assertRefused(t, s, c.str, c.p)
		})
	}
}

// TestOpenRejectsEveryTamperedByte flips each byte of the sealed data in
// turn (version, key id, nonce, ciphertext, tag).
func TestOpenRejectsEveryTamperedByte(t *testing.T) {
	s, _ := newSealer(t)
	valid := mustSeal(t, s, flowIn(t, StateLoginRequested), PurposeLoginChallenge)
	raw, _ := base64.RawURLEncoding.DecodeString(valid[len(sealPrefix):])
	for i := range raw {
		b := append([]byte{}, raw...)
		b[i] ^= 0x01
		assertRefused(t, s, sealPrefix+base64.RawURLEncoding.EncodeToString(b), PurposeLoginChallenge)
	}
	for i := 0; i < len(sealPrefix); i++ { // and each character of the prefix
		b := []byte(valid)
		b[i] ^= 0x01
		assertRefused(t, s, string(b), PurposeLoginChallenge)
	}
}

func assertRefused(t *testing.T, s *Sealer, str string, p Purpose) {
	t.Helper()
	f, err := s.Open(str, p)
	if f != nil || !errors.Is(err, ErrInvalidChallenge) {
		t.Fatalf("Open(%.40q, %s) = %v, %v; want nil, ErrInvalidChallenge", str, p, f, err)
	}
}

func TestOpenErrorDoesNotLeakContent(t *testing.T) {
	// The wrapped reason goes to logs; it must not echo the input.
	s, _ := newSealer(t)
	_, err := s.Open(sealPrefix+"secretlooking_VALUE_123", PurposeLoginChallenge)
	if err == nil || strings.Contains(err.Error(), "VALUE") {
		t.Fatalf("error %v echoes the input", err)
	}
}

// TestTypicalChallengeLength records sizes for the report and guards the
// URL budget: a typical challenge must stay well under browser limits.
func TestTypicalChallengeLength(t *testing.T) {
	s, _ := newSealer(t)
	for _, c := range []struct {
		st State
		p  Purpose
	}{
		{StateLoginRequested, PurposeLoginChallenge},
		{StateLoginAccepted, PurposeLoginVerifier},
		{StateConsentRequested, PurposeConsentChallenge},
		{StateConsentAccepted, PurposeConsentVerifier},
	} {
		f := flowIn(t, c.st)
		str := mustSeal(t, s, f, c.p)
		body, _ := json.Marshal(f)
		var z bytes.Buffer
		w, _ := flate.NewWriter(&z, flate.DefaultCompression)
		w.Write(body)
		w.Close()
		t.Logf("%-17s %4d chars (JSON %d bytes, deflated %d bytes)", c.p, len(str), len(body), z.Len())
		if len(str) > 1500 {
			t.Errorf("typical %s is %d characters, over the 1500 budget", c.p, len(str))
		}
	}
}
