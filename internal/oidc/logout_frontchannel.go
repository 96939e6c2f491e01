package oidc

// OpenID Connect Front-Channel Logout 1.0: after a session ends, the
// browser loads every participating client's frontchannel_logout_uri in a
// hidden iframe (section 2; iss and sid added when the client registered
// frontchannel_logout_session_required), then moves on. The page runs no
// script: a meta refresh moves on after frontChannelDelay, and the CSP
// allows frames from exactly the clients' origins.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/signet-oidc/signet/internal/storage"
)

// frontChannelDelay is the seconds the page waits for the iframes; without
// script it cannot know when they have loaded.
const frontChannelDelay = 3

// Consents listed per session: bounded so a subject with a huge history
// cannot make logout unbounded.
const (
	frontChannelPageSize = 100
	frontChannelMaxPages = 10
)

// frontChannelFrame is one iframe: the URL and the origin the CSP allows.
type frontChannelFrame struct {
	URL, Origin string
}

// frontChannelFrames lists the iframes for the clients the user consented
// to during login session sid.
func (l *Logout) frontChannelFrames(ctx context.Context, issuer, subject, sid string) ([]frontChannelFrame, error) {
	if sid == "" {
		return nil, nil
	}
	ids, err := l.sessionClients(ctx, subject, sid)
	if err != nil {
		return nil, err
	}
	var frames []frontChannelFrame
	for _, id := range ids {
		c, err := l.Clients.GetClient(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading client %q for front-channel logout: %w", id, err)
		}
		if c.FrontchannelLogoutURI == "" {
			continue
		}
		f, ok := frontChannelURL(c.FrontchannelLogoutURI, c.FrontchannelLogoutSessionRequired, issuer, sid)
		if !ok {
			l.Log.Warn("front-channel logout URI skipped: not an absolute http(s) URL", "client_id", c.ID)
			continue
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// sessionClients returns the distinct client IDs of the session's
// consents, in the order the store lists them.
func (l *Logout) sessionClients(ctx context.Context, subject, sid string) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	page := storage.Page{Size: frontChannelPageSize}
	for range frontChannelMaxPages {
		cs, next, err := l.Flows.ListConsents(ctx, subject, sid, page)
		if err != nil {
			return nil, fmt.Errorf("listing consents of the ended session: %w", err)
		}
		for _, c := range cs {
			if !seen[c.ClientID] {
				seen[c.ClientID] = true
				ids = append(ids, c.ClientID)
			}
		}
		if next.Next == "" {
			break
		}
		page.Token = next.Next
	}
	return ids, nil
}

// frontChannelURL adds iss and sid (section 2) when the client asked for
// them. ok is false for a URI that is not an absolute http(s) URL with a
// host that is safe to put into the CSP.
func frontChannelURL(raw string, withSession bool, issuer, sid string) (frontChannelFrame, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !cspSafeHost(u.Host) {
		return frontChannelFrame{}, false
	}
	if withSession {
		q := u.Query()
		q.Set("iss", issuer)
		q.Set("sid", sid)
		u.RawQuery = q.Encode()
	}
	return frontChannelFrame{URL: u.String(), Origin: u.Scheme + "://" + u.Host}, true
}

// cspSafeHost admits host[:port] made of the characters a CSP source
// expression allows, so a registered URI cannot widen the policy.
func cspSafeHost(h string) bool {
	if h == "" {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r))
	}) < 0
}

// frontChannelCSP allows frames from exactly the listed origins.
func frontChannelCSP(frames []frontChannelFrame) string {
	seen := map[string]bool{}
	var origins []string
	for _, f := range frames {
		if !seen[f.Origin] {
			seen[f.Origin] = true
			origins = append(origins, f.Origin)
		}
	}
	return "default-src 'none'; frame-src " + strings.Join(origins, " ") +
		"; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
