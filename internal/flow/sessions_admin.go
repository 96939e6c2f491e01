package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// SessionsAdmin serves /admin/oauth2/auth/sessions/{consent,login}: listing
// and revoking a subject's granted consents, and ending login sessions.
// Revoking consents also revokes every token they led to (Store does both
// in one transaction). Ending login sessions tells Notifier what ended, so
// the clients of those sessions hear of it (back-channel logout).
type SessionsAdmin struct {
	Store Store
	// Clients fills consent_request.client; a deleted client is shown by
	// its ID alone (its consents are deleted with it anyway).
	Clients client.Store
	// Notifier is told about every login session this API ends; nil means
	// nobody is. It must return at once (oidc.BackChannel delivers in the
	// background), because the admin response waits for it.
	Notifier SessionNotifier
	Now      func() time.Time
}

// SessionNotifier is told which login sessions ended. The context is the
// request's; an implementation that outlives the request detaches from its
// cancellation itself.
type SessionNotifier interface {
	SessionsEnded(ctx context.Context, ended []LoginSession)
}

// maxConsentsPageSize is the contract's maximum for this listing.
const maxConsentsPageSize = 500

// maxSessionsPageToken bounds page_token; sqlstore's tokens are far shorter.
const maxSessionsPageToken = 1024

// Routes registers the three endpoints; the contract's error shape for all
// three is errorOAuth2 (Renderer.OAuth).
func (a *SessionsAdmin) Routes(mux httpx.Mux, wrap func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("GET /admin/oauth2/auth/sessions/consent", wrap(a.handleListConsents))
	mux.Handle("DELETE /admin/oauth2/auth/sessions/consent", wrap(a.handleRevokeConsents))
	mux.Handle("DELETE /admin/oauth2/auth/sessions/login", wrap(a.handleEndLogins))
}

// ConsentSessionView is the contract's oAuth2ConsentSession.
type ConsentSessionView struct {
	ConsentRequest   ConsentRequestView   `json:"consent_request"`
	ConsentRequestID string               `json:"consent_request_id"`
	GrantScope       []string             `json:"grant_scope"`
	GrantAudience    []string             `json:"grant_access_token_audience"`
	Remember         bool                 `json:"remember"`
	RememberFor      int64                `json:"remember_for"`
	HandledAt        time.Time            `json:"handled_at"`
	Session          ConsentSessionClaims `json:"session"`
	Context          json.RawMessage      `json:"context,omitempty"`
}

// listConsentsQuery is a parsed GET /admin/oauth2/auth/sessions/consent.
type listConsentsQuery struct {
	Subject, LoginSessionID string
	Page                    storage.Page
}

// parseListConsents reads subject (required), login_session_id, page_size
// and page_token, refusing other parameters so a misspelt filter is not
// silently ignored (which would list more than asked).
func parseListConsents(vals url.Values) (listConsentsQuery, error) {
	q := listConsentsQuery{Page: storage.Page{Size: storage.DefaultPageSize}}
	for k, v := range vals {
		switch k {
		case "subject":
			q.Subject = v[0]
		case "login_session_id":
			q.LoginSessionID = v[0]
		case "page_size":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > maxConsentsPageSize {
				return q, httpx.BadRequest("The parameter page_size must be an integer from 1 to %d.", maxConsentsPageSize)
			}
			q.Page.Size = n
		case "page_token":
			if len(v[0]) > maxSessionsPageToken {
				return q, httpx.BadRequest("The parameter page_token is not a token this server issued.")
			}
			q.Page.Token = v[0]
		default:
			return q, httpx.BadRequest("The query parameter %q is not supported; use subject, login_session_id, page_size or page_token.", httpx.Clip(k, 64))
		}
	}
	if q.Subject == "" {
		return q, httpx.BadRequest("The query parameter subject is required.")
	}
	return q, nil
}

func (a *SessionsAdmin) handleListConsents(w http.ResponseWriter, r *http.Request) error {
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		return err
	}
	q, err := parseListConsents(vals)
	if err != nil {
		return err
	}
	list, res, err := a.Store.ListConsents(r.Context(), q.Subject, q.LoginSessionID, q.Page)
	if errors.Is(err, storage.ErrBadPageToken) {
		return httpx.BadRequest("The parameter page_token is not a token this server issued.").Because(err)
	}
	if err != nil {
		return fmt.Errorf("listing consent sessions: %w", err)
	}
	out, err := a.views(r.Context(), list)
	if err != nil {
		return err
	}
	w.Header().Set("Link", consentsLink(r.URL.Path, q, res.Next))
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// views converts a page of consents, reading each distinct client once.
func (a *SessionsAdmin) views(ctx context.Context, list []*ConsentSession) ([]ConsentSessionView, error) {
	clients := map[string]*client.Client{}
	out := make([]ConsentSessionView, 0, len(list))
	for _, cs := range list {
		c, ok := clients[cs.ClientID]
		if !ok {
			var err error
			if c, err = a.displayClient(ctx, cs.ClientID); err != nil {
				return nil, err
			}
			clients[cs.ClientID] = c
		}
		out = append(out, consentView(cs, c))
	}
	return out, nil
}

func (a *SessionsAdmin) displayClient(ctx context.Context, id string) (*client.Client, error) {
	if a.Clients == nil {
		return publicClient(&client.Client{ID: id}), nil
	}
	c, err := a.Clients.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return publicClient(&client.Client{ID: id}), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading client of consent: %w", err)
	}
	return publicClient(c), nil
}

// consentView shapes a stored consent like Hydra's listing. The request as
// it was asked is not stored (only what was granted), so the requested
// scope and audience show the granted ones and request_url is empty; the
// challenge and login challenge show the flow ID.
func consentView(cs *ConsentSession, c *client.Client) ConsentSessionView {
	var rememberFor int64
	if cs.RememberUntil != nil {
		rememberFor = int64(cs.RememberUntil.Sub(cs.HandledAt) / time.Second)
	}
	scopes, aud := nonNil(cs.GrantedScopes), nonNil(cs.GrantedAudience)
	v := ConsentSessionView{
		ConsentRequest: ConsentRequestView{
			Challenge: cs.ID, ConsentRequestID: cs.ID, Client: c,
			RequestedScope: scopes, RequestedAudience: aud,
			Skip: false, Subject: cs.Subject, LoginChallenge: cs.ID,
			LoginSessionID: cs.LoginSessionID, AMR: []string{},
			Context: present(cs.Context),
		},
		ConsentRequestID: cs.ID,
		GrantScope:       scopes,
		GrantAudience:    aud,
		Remember:         cs.Remember,
		RememberFor:      rememberFor,
		HandledAt:        cs.HandledAt.UTC(),
		Session:          sessionClaims(cs.Session),
		Context:          present(cs.Context),
	}
	return v
}

// sessionClaims splits the stored {"access_token":…,"id_token":…} object.
// Both members are always present as objects, as the SDK expects maps.
func sessionClaims(raw []byte) ConsentSessionClaims {
	var s ConsentSessionClaims
	if len(raw) > 0 {
		_ = httpx.DecodeJSONBytes(raw, &s, httpx.AllowUnknown) // written by SaveConsent from valid JSON
	}
	if present(s.AccessToken) == nil {
		s.AccessToken = []byte("{}")
	}
	if present(s.IDToken) == nil {
		s.IDToken = []byte("{}")
	}
	return s
}

// consentsLink is the RFC 8288 Link header, as /admin/clients sends it.
func consentsLink(path string, q listConsentsQuery, next string) string {
	link := func(token, rel string) string {
		v := url.Values{}
		v.Set("subject", q.Subject)
		if q.LoginSessionID != "" {
			v.Set("login_session_id", q.LoginSessionID)
		}
		v.Set("page_size", strconv.Itoa(q.Page.Size))
		if token != "" {
			v.Set("page_token", token)
		}
		return "<" + path + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	parts := []string{link("", "first")}
	if next != "" {
		parts = append(parts, link(next, "next"))
	}
	return strings.Join(parts, ",")
}

// revokeConsentsQuery is a parsed DELETE /admin/oauth2/auth/sessions/consent.
type revokeConsentsQuery struct {
	Subject  string
	ClientID string // "" with All
	All      bool
}

// parseRevokeConsents requires subject and exactly one of client or
// all=true, so that a forgotten client parameter cannot revoke every
// consent of the subject by accident.
func parseRevokeConsents(vals url.Values) (revokeConsentsQuery, error) {
	var q revokeConsentsQuery
	for k, v := range vals {
		switch k {
		case "subject":
			q.Subject = v[0]
		case "client":
			q.ClientID = v[0]
		case "all":
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				return q, httpx.BadRequest("The parameter all must be true or false.")
			}
			q.All = b
		case "consent_request_id":
			return q, httpx.BadRequest("Revoking one consent by consent_request_id is not supported yet; use subject with client or all=true.")
		default:
			return q, httpx.BadRequest("The query parameter %q is not supported; use subject, client or all.", httpx.Clip(k, 64))
		}
	}
	switch {
	case q.Subject == "":
		return q, httpx.BadRequest("The query parameter subject is required.")
	case q.All && q.ClientID != "":
		return q, httpx.BadRequest("Pass either client or all=true, not both.")
	case !q.All && q.ClientID == "":
		return q, httpx.BadRequest("Pass client to revoke one client's consents, or all=true to revoke every consent of the subject.")
	}
	return q, nil
}

func (a *SessionsAdmin) handleRevokeConsents(w http.ResponseWriter, r *http.Request) error {
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		return err
	}
	q, err := parseRevokeConsents(vals)
	if err != nil {
		return err
	}
	if err := a.Store.RevokeConsents(r.Context(), q.Subject, q.ClientID, a.Now()); err != nil {
		return fmt.Errorf("revoking consent sessions: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseEndLogins requires exactly one of subject and sid.
func parseEndLogins(vals url.Values) (SessionSelector, error) {
	var sel SessionSelector
	for k, v := range vals {
		switch k {
		case "subject":
			sel.Subject = v[0]
		case "sid":
			sel.ID = v[0]
		default:
			return sel, httpx.BadRequest("The query parameter %q is not supported; use subject or sid.", httpx.Clip(k, 64))
		}
	}
	if (sel.Subject == "") == (sel.ID == "") {
		return sel, httpx.BadRequest("Pass exactly one of subject (every login session of the subject) or sid (one login session).")
	}
	return sel, nil
}

func (a *SessionsAdmin) handleEndLogins(w http.ResponseWriter, r *http.Request) error {
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		return err
	}
	sel, err := parseEndLogins(vals)
	if err != nil {
		return err
	}
	ended, err := a.Store.EndLoginSessions(r.Context(), sel)
	if err != nil {
		return fmt.Errorf("ending login sessions: %w", err)
	}
	if a.Notifier != nil && len(ended) > 0 {
		a.Notifier.SessionsEnded(r.Context(), ended)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
