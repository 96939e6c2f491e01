package oidc

// OpenID Connect Back-Channel Logout 1.0: when login sessions end (the
// logout flow or DELETE /admin/oauth2/auth/sessions/login), every client
// that took part in them and registered a backchannel_logout_uri is sent a
// signed logout_token by direct POST. Delivery happens in the background:
// a slow or dead client must never hold up the browser or the admin API.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// BackChannelLogoutEvent is the events member that marks a logout token.
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

const (
	defaultBackChannelTimeout = 5 * time.Second
	// logoutTokenLifetime is short: the token is delivered at once or never.
	logoutTokenLifetime = 2 * time.Minute
	// maxParticipantPages bounds the consent listing per ended session
	// (pages of 500), so a pathological subject cannot make one logout
	// read without end.
	maxParticipantPages = 20
	participantPageSize = 500
	// maxDrainBytes is how much of a client's response is read before the
	// connection is closed (read only so the connection can be reused).
	maxDrainBytes = 4 << 10
)

// ConsentLister is the part of flow.Store BackChannel reads: the consents
// granted within a login session name the clients that took part in it.
type ConsentLister interface {
	ListConsents(ctx context.Context, subject, loginSessionID string, p storage.Page) ([]*flow.ConsentSession, storage.PageResult, error)
}

// TypedSigner is optionally implemented by the SignerSource to sign with an
// explicit JWT "typ" header. The spec recommends typ "logout+jwt" so a
// logout token can never be confused with an ID token; when the source
// cannot do it, the key's default header is used.
type TypedSigner interface {
	TypedSigner(ctx context.Context, set, typ string) (jose.Signer, jose.JSONWebKey, error)
}

// BackChannel delivers logout tokens. Use it by pointer; it implements the
// notifier flow.SessionsAdmin and the logout flow call.
type BackChannel struct {
	Clients  client.Store
	Consents ConsentLister
	Signer   jwk.SignerSource
	Issuer   func() string
	// HTTP should come from httpx.NewOutboundClient so that
	// clients.http.disallow_private_ip_ranges applies.
	HTTP *http.Client
	Log  *slog.Logger
	Now  func() time.Time
	Rand io.Reader
	// Timeout bounds each delivery; zero means 5s.
	Timeout time.Duration

	wg sync.WaitGroup
}

// delivery is one logout token for one client about one session.
type delivery struct {
	clientID, uri string
	session       flow.LoginSession
}

// SessionsEnded starts back-channel logout for the ended sessions and
// returns at once. The work runs on a context detached from ctx's
// cancellation (the request that ended the sessions is over long before a
// slow client answers) but keeps its values.
func (b *BackChannel) SessionsEnded(ctx context.Context, ended []flow.LoginSession) {
	if len(ended) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	sessions := append([]flow.LoginSession(nil), ended...)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for _, d := range b.participants(ctx, sessions) {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.deliver(ctx, d)
			}()
		}
	}()
}

// Wait blocks until every delivery started so far has finished; tests and
// graceful shutdown use it.
func (b *BackChannel) Wait() { b.wg.Wait() }

// participants lists, per session, the distinct clients with a consent in
// it that registered a backchannel_logout_uri.
func (b *BackChannel) participants(ctx context.Context, sessions []flow.LoginSession) []delivery {
	var out []delivery
	for _, s := range sessions {
		if s.ID == "" || s.Subject == "" {
			continue // ListConsents treats "" as "any session": never widen
		}
		ids, err := b.clientIDs(ctx, s)
		if err != nil {
			b.Log.Warn("back-channel logout: listing the session's clients failed",
				"sid", s.ID, "error", err)
		}
		for _, id := range ids {
			c, err := b.Clients.GetClient(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted since: nobody to tell
			}
			if err != nil {
				b.Log.Warn("back-channel logout: reading client failed", "client_id", id, "error", err)
				continue
			}
			if c.BackchannelLogoutURI != "" {
				out = append(out, delivery{clientID: c.ID, uri: c.BackchannelLogoutURI, session: s})
			}
		}
	}
	return out
}

// clientIDs returns the distinct client IDs of the session's consents, in
// first-seen order; on error it returns those found so far.
func (b *BackChannel) clientIDs(ctx context.Context, s flow.LoginSession) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	page := storage.Page{Size: participantPageSize}
	for range maxParticipantPages {
		list, res, err := b.Consents.ListConsents(ctx, s.Subject, s.ID, page)
		if err != nil {
			return ids, err
		}
		for _, cs := range list {
			if cs.LoginSessionID == s.ID && !seen[cs.ClientID] {
				seen[cs.ClientID] = true
				ids = append(ids, cs.ClientID)
			}
		}
		if res.Next == "" {
			return ids, nil
		}
		page.Token = res.Next
	}
	return ids, nil
}

// deliver signs and POSTs one logout token, logging any failure. The
// token itself is never logged.
func (b *BackChannel) deliver(ctx context.Context, d delivery) {
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = defaultBackChannelTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := b.LogoutToken(ctx, d.clientID, d.session)
	if err != nil {
		b.Log.Warn("back-channel logout: minting the logout token failed", "client_id", d.clientID, "error", err)
		return
	}
	status, err := b.post(ctx, d.uri, raw)
	if err != nil {
		b.Log.Warn("back-channel logout: delivery failed", "client_id", d.clientID, "error", err)
		return
	}
	if status < 200 || status > 299 {
		b.Log.Warn("back-channel logout: client refused the logout token", "client_id", d.clientID, "status", status)
	}
}

func (b *BackChannel) post(ctx context.Context, uri, raw string) (int, error) {
	body := url.Values{"logout_token": {raw}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrainBytes)
	return resp.StatusCode, nil
}

// logoutClaims are the claims of section 2.4. nonce is deliberately
// absent: its presence is what lets an RP tell an ID token from a logout
// token, and RPs must reject logout tokens that carry one.
type logoutClaims struct {
	Issuer    string              `json:"iss"`
	Audience  []string            `json:"aud"`
	IssuedAt  int64               `json:"iat"`
	ExpiresAt int64               `json:"exp"`
	JTI       string              `json:"jti"`
	Events    map[string]struct{} `json:"events"`
	Subject   string              `json:"sub,omitempty"`
	SessionID string              `json:"sid,omitempty"`
}

// LogoutToken mints the logout token for clientID about session s, signed
// with the newest ID token key. sid and sub are always included: both are
// known, and a client that requires sid (backchannel_logout_session_required)
// gets it, while one that does not can ignore it.
func (b *BackChannel) LogoutToken(ctx context.Context, clientID string, s flow.LoginSession) (string, error) {
	signer, _, err := b.signer(ctx)
	if err != nil {
		return "", fmt.Errorf("oidc: logout token signer: %w", err)
	}
	jti, err := secret.RandomString(b.Rand, 32)
	if err != nil {
		return "", fmt.Errorf("oidc: logout token jti: %w", err)
	}
	now := b.now()
	payload, err := json.Marshal(logoutClaims{
		Issuer:    b.Issuer(),
		Audience:  []string{clientID},
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(logoutTokenLifetime).Unix(),
		JTI:       jti,
		Events:    map[string]struct{}{BackChannelLogoutEvent: {}},
		Subject:   s.Subject,
		SessionID: s.ID,
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: signing logout token: %w", err)
	}
	return jws.CompactSerialize()
}

func (b *BackChannel) signer(ctx context.Context) (jose.Signer, jose.JSONWebKey, error) {
	if ts, ok := b.Signer.(TypedSigner); ok {
		return ts.TypedSigner(ctx, jwk.SetIDToken, "logout+jwt")
	}
	return b.Signer.Signer(ctx, jwk.SetIDToken)
}

func (b *BackChannel) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}
