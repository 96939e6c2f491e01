package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/storage"
)

// Consent sessions: every consent that led to tokens, keyed by the flow id,
// which is also the RequestID of those tokens. Revoking consents therefore
// finds their tokens by request_id, in the same transaction.

func errConsentNotFound() error {
	return fmt.Errorf("sqlstore: consent session: %w", storage.ErrNotFound)
}

// SaveConsent inserts c: one write. storage.ErrConflict if its ID exists,
// storage.ErrNotFound if its client does not, storage.ErrInvalidValue if a
// text column cannot be stored.
func (s *Store) SaveConsent(ctx context.Context, c *flow.ConsentSession) error {
	err := checkText("save consent", ident("id", c.ID), text("subject", c.Subject),
		ident("client_id", c.ClientID), ident("login_session_id", c.LoginSessionID),
		textBytes("session", c.Session), textBytes("context", c.Context))
	if err != nil {
		return err
	}
	scopes, err := jsonText(c.GrantedScopes)
	if err != nil {
		return err
	}
	aud, err := jsonText(c.GrantedAudience)
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.flows.insertConsent, c.ID, c.Subject, c.ClientID, c.LoginSessionID,
		scopes, aud, c.Remember, s.d.nullTimeArg(c.RememberUntil), rawOrNil(c.Session), rawOrNil(c.Context),
		s.d.timeArg(c.RequestedAt), s.d.timeArg(c.HandledAt))
	return s.d.classify("save consent", err)
}

// FindRememberedConsent returns the most recently handled remembered
// consent of subject for clientID still valid at now (RememberUntil nil or
// not before now), or storage.ErrNotFound. One query.
func (s *Store) FindRememberedConsent(ctx context.Context, subject, clientID string, now time.Time) (*flow.ConsentSession, error) {
	if !storable(subject) || !storableID(clientID) {
		return nil, errConsentNotFound()
	}
	c, err := scanConsent(s.q().queryRow(ctx, s.flows.findConsent, subject, clientID, true, s.d.timeArg(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errConsentNotFound()
	}
	return c, err
}

// getConsentSQL reads one consent by its primary key. It is rebound per
// call (a string scan, no allocation on SQLite and MySQL) so that this
// method stays within the consents file.
const getConsentSQL = "SELECT " + consentCols + " FROM consent_sessions WHERE id = ?"

// GetConsent returns the consent with ID id, remembered or not, or
// storage.ErrNotFound. One indexed read; none when id is a value no row can
// hold.
func (s *Store) GetConsent(ctx context.Context, id string) (*flow.ConsentSession, error) {
	if id == "" || !storableID(id) {
		return nil, errConsentNotFound()
	}
	c, err := scanConsent(s.q().queryRow(ctx, s.d.rebind(getConsentSQL), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errConsentNotFound()
	}
	return c, err
}

// ListConsents lists the subject's consents newest first (handled_at, then
// id, both descending), optionally only those of one login session, after
// p.Token, at most p.Size (clamped like ListClients). One query; none when
// a filter holds a value no row can hold.
func (s *Store) ListConsents(ctx context.Context, subject, loginSessionID string, p storage.Page) ([]*flow.ConsentSession, storage.PageResult, error) {
	afterAt, afterID, err := decodeConsentToken(p.Token)
	if err != nil {
		return nil, storage.PageResult{}, err
	}
	if !storable(subject) || !storableID(loginSessionID) {
		return nil, storage.PageResult{}, nil
	}
	a := listArgs{args: []any{subject}}
	at := s.d.timeArg(afterAt)
	a.opt(loginSessionID != "", loginSessionID)
	a.opt(p.Token != "", at, at, afterID)
	return queryPage(ctx, s.q(), "list consents", scanConsent, encodeConsentToken, clampPageSize(p.Size),
		s.flows.listConsents[a.variant], a.args)
}

// A consent page token is the last row's handled_at (microseconds, 8 bytes
// big-endian) followed by its id, base64url: opaque to callers, and
// checked on the way back in.
func encodeConsentToken(c *flow.ConsentSession) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(c.HandledAt.UnixMicro()))
	return base64.RawURLEncoding.EncodeToString(append(b, c.ID...))
}

func decodeConsentToken(tok string) (time.Time, string, error) {
	if tok == "" {
		return time.Time{}, "", nil
	}
	if len(tok) > maxPageToken {
		return time.Time{}, "", storage.ErrBadPageToken
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 9 || len(b) > 8+MaxIDLen || !storableBytes(b[8:]) {
		return time.Time{}, "", storage.ErrBadPageToken
	}
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b))).UTC(), string(b[8:]), nil
}

// RevokeConsents deletes the subject's consents for clientID (every client
// when clientID is "") and revokes the tokens and unused codes they issued,
// in one transaction: the ids are read first, and only those are revoked
// and deleted, so a consent granted meanwhile survives whole. Statements:
// one SELECT, then per 500 consents three UPDATEs and one DELETE.
func (s *Store) RevokeConsents(ctx context.Context, subject, clientID string, at time.Time) error {
	if !storable(subject) || !storableID(clientID) {
		return nil // no row can hold them: nothing to revoke
	}
	stmt, args := s.flows.consentsOf[0], []any{subject}
	if clientID != "" {
		stmt, args = s.flows.consentsOf[1], append(args, clientID)
	}
	return s.inTx(ctx, func(q counted) error {
		ids, err := queryStrings(ctx, q, stmt, args...)
		if err != nil || len(ids) == 0 {
			return err
		}
		if err := s.revokeFamilies(ctx, q, ids, at); err != nil {
			return err
		}
		_, err = s.inList(ctx, q, s.flows.deleteConsents, nil, ids)
		return s.d.classify("revoke consents", err)
	})
}

// queryStrings returns the single text column of a query's rows.
func queryStrings(ctx context.Context, q counted, stmt string, args ...any) ([]string, error) {
	return queryAll(ctx, q, "read ids", scanString, stmt, args...)
}

func scanString(r rowScanner) (string, error) {
	var v string
	if err := r.Scan(&v); err != nil {
		return "", fmt.Errorf("sqlstore: read ids: %w", err)
	}
	return v, nil
}

func scanConsent(r rowScanner) (*flow.ConsentSession, error) {
	var (
		c                   flow.ConsentSession
		scopes, aud         string
		session, consentCtx sql.NullString
		until               *time.Time
	)
	err := r.Scan(&c.ID, &c.Subject, &c.ClientID, &c.LoginSessionID, &scopes, &aud, &c.Remember,
		nullTimeCol{&until}, &session, &consentCtx, timeCol{&c.RequestedAt}, timeCol{&c.HandledAt})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read consent: %w", err)
	}
	if err := json.Unmarshal([]byte(scopes), &c.GrantedScopes); err != nil {
		return nil, fmt.Errorf("sqlstore: decode granted scopes: %w", err)
	}
	if err := json.Unmarshal([]byte(aud), &c.GrantedAudience); err != nil {
		return nil, fmt.Errorf("sqlstore: decode granted audience: %w", err)
	}
	c.RememberUntil = until
	c.Session, c.Context = rawFrom(session), rawFrom(consentCtx)
	return &c, nil
}

// rawFrom is the inverse of rawOrNil.
func rawFrom(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}
