package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The logout request of OpenID Connect RP-Initiated Logout 1.0: like a
// login flow it is never stored. It travels sealed, first as the
// logout_challenge the logout app sees, then (after the app accepts) as the
// logout_verifier the browser carries back to /oauth2/sessions/logout,
// where Store.UseVerifier makes it single use.
//
//	/oauth2/sessions/logout ──seal──▶ logout_challenge ──accept──▶ logout_verifier ──▶ /oauth2/sessions/logout
//	                                        │                                              (session ended)
//	                                        └──reject──▶ 204, nothing changes

// PurposeLogoutVerifier is the purpose of a sealed, accepted logout request.
const PurposeLogoutVerifier Purpose = "logout_verifier"

// LogoutRequest is one logout as the browser (or the relying party) asked
// for it, after validation.
type LogoutRequest struct {
	ID                    string    `json:"id"`
	Subject               string    `json:"sub,omitempty"`
	SessionID             string    `json:"sid,omitempty"`
	ClientID              string    `json:"client_id,omitempty"`
	PostLogoutRedirectURI string    `json:"post_logout_redirect_uri,omitempty"`
	State                 string    `json:"state,omitempty"`
	UILocales             []string  `json:"ui_locales,omitempty"`
	RPInitiated           bool      `json:"rp_initiated,omitempty"`
	RequestedAt           time.Time `json:"requested_at"`
	// Expires is set by OpenLogout from the sealed expiry; never sealed.
	Expires time.Time `json:"-"`
}

// VerifierKey is the Store.UseVerifier key that makes the logout verifier
// of this request single use.
func (l *LogoutRequest) VerifierKey() string { return string(PurposeLogoutVerifier) + ":" + l.ID }

// logoutKind is bound into the AEAD next to the purpose, so a Flow sealed
// under PurposeLogoutChallenge never opens as a LogoutRequest.
const logoutKind = " logout request"

// SealLogout seals l for p, which is PurposeLogoutChallenge or
// PurposeLogoutVerifier.
func (s *Sealer) SealLogout(l *LogoutRequest, p Purpose) (string, error) {
	if err := checkLogoutPurpose(p); err != nil {
		return "", err
	}
	body, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	return s.sealBody(body, logoutAAD(p), p)
}

// OpenLogout returns the logout request sealed in str for p, with Expires
// set. Any failure is ErrInvalidChallenge wrapping the reason.
func (s *Sealer) OpenLogout(str string, p Purpose) (*LogoutRequest, error) {
	l, err := s.openLogout(str, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidChallenge, p, err)
	}
	return l, nil
}

func (s *Sealer) openLogout(str string, p Purpose) (*LogoutRequest, error) {
	if err := checkLogoutPurpose(p); err != nil {
		return nil, err
	}
	body, expires, err := s.openBody(str, logoutAAD(p))
	if err != nil {
		return nil, err
	}
	l := new(LogoutRequest)
	if err := json.Unmarshal(body, l); err != nil || l.ID == "" {
		return nil, errors.New("not a logout request")
	}
	l.Expires = expires
	return l, nil
}

func checkLogoutPurpose(p Purpose) error {
	if p != PurposeLogoutChallenge && p != PurposeLogoutVerifier {
		return fmt.Errorf("flow: %q is not a logout purpose", p)
	}
	return nil
}

func logoutAAD(p Purpose) []byte { return append(aad(p), logoutKind...) }
