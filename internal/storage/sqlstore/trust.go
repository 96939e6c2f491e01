package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/trust"
)

// Trust relationships of the JWT bearer grant (migration 00003). Issuer,
// subject and key ID are identifiers of at most MaxIDLen bytes: the unique
// index over the three must fit every dialect's key limit.

const trustCols = "id, issuer, subject, allow_any_subject, scope, key_id, public_key, expires_at, created_at"

// maxTrustMatches bounds FindTrustGrants: one assertion is checked against
// at most this many keys.
const maxTrustMatches = 100

type trustSQL struct {
	insert, get, delete string
	// list holds listVariants over: issuer, page token.
	list []string
	// find is indexed by whether a key ID is given.
	find [2]string
}

func buildTrustSQL(d dialect) trustSQL {
	base := "SELECT " + trustCols + " FROM trust_jwt_bearer_issuers" +
		" WHERE issuer = ? AND (subject = ? OR allow_any_subject = ?) AND expires_at > ?"
	return trustSQL{
		insert: d.rebind("INSERT INTO trust_jwt_bearer_issuers (" + trustCols + ") VALUES " + placeholders(9)),
		get:    d.rebind("SELECT " + trustCols + " FROM trust_jwt_bearer_issuers WHERE id = ?"),
		delete: d.rebind("DELETE FROM trust_jwt_bearer_issuers WHERE id = ?"),
		list: listVariants(d, "SELECT "+trustCols+" FROM trust_jwt_bearer_issuers WHERE 1 = 1", " ORDER BY id LIMIT ?",
			" AND issuer = ?", " AND id > ?"),
		find: [2]string{
			d.rebind(base + " ORDER BY id LIMIT ?"),
			d.rebind(base + " AND key_id = ? ORDER BY id LIMIT ?"),
		},
	}
}

var _ trust.Store = (*Store)(nil)

func errTrustNotFound() error { return fmt.Errorf("sqlstore: trust grant: %w", storage.ErrNotFound) }

// CreateTrustGrant inserts g: one write. storage.ErrConflict when a grant
// for the same issuer, subject and key ID exists; storage.ErrInvalidValue
// when an identifier is longer than MaxIDLen or not storable text.
func (s *Store) CreateTrustGrant(ctx context.Context, g *trust.Grant) error {
	err := checkText("create trust grant", ident("id", g.ID), ident("issuer", g.Issuer),
		ident("subject", g.Subject), ident("key_id", g.KeyID), textBytes("public_key", g.PublicKey))
	if err != nil {
		return err
	}
	scope, err := jsonText(nonNil(g.Scope))
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.trust.insert, g.ID, g.Issuer, g.Subject, g.AllowAnySubject, scope,
		g.KeyID, string(g.PublicKey), s.d.timeArg(g.ExpiresAt), s.d.timeArg(g.CreatedAt))
	return s.d.classify("create trust grant", err)
}

// GetTrustGrant returns the grant or storage.ErrNotFound; expired grants
// are returned too (the admin API shows them until deleted).
func (s *Store) GetTrustGrant(ctx context.Context, id string) (*trust.Grant, error) {
	if !storableID(id) {
		return nil, errTrustNotFound()
	}
	g, err := scanTrust(s.q().queryRow(ctx, s.trust.get, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTrustNotFound()
	}
	return g, err
}

// DeleteTrustGrant removes the grant; storage.ErrNotFound if absent.
func (s *Store) DeleteTrustGrant(ctx context.Context, id string) error {
	if !storableID(id) {
		return errTrustNotFound()
	}
	n, err := s.q().execN(ctx, s.trust.delete, id)
	if err != nil {
		return s.d.classify("delete trust grant", err)
	}
	if n == 0 {
		return errTrustNotFound()
	}
	return nil
}

// ListTrustGrants returns grants ordered by ID (bytewise) after p.Token,
// at most p.Size (clamped like ListClients), of issuer when non-empty.
func (s *Store) ListTrustGrants(ctx context.Context, issuer string, p storage.Page) ([]*trust.Grant, storage.PageResult, error) {
	after, err := decodeIDToken(p.Token)
	if err != nil {
		return nil, storage.PageResult{}, err
	}
	if !storableID(issuer) {
		return nil, storage.PageResult{}, nil
	}
	var a listArgs
	a.opt(issuer != "", issuer)
	a.opt(p.Token != "", after)
	return queryPage(ctx, s.q(), "list trust grants", scanTrust, trustToken, clampPageSize(p.Size),
		s.trust.list[a.variant], a.args)
}

func trustToken(g *trust.Grant) string { return encodeIDToken(g.ID) }

// FindTrustGrants returns the unexpired grants of issuer that cover
// subject (by name or by allow_any_subject), of keyID when non-empty.
// One query; none when a value no row can hold is asked for.
func (s *Store) FindTrustGrants(ctx context.Context, issuer, subject, keyID string, now time.Time) ([]*trust.Grant, error) {
	if !storableID(issuer) || !storable(subject) || !storableID(keyID) {
		return nil, nil
	}
	// No stored subject is longer than MaxIDLen, so a longer one can only
	// match grants that allow any subject: compare it as "", which no
	// subject-bound grant holds.
	if !storableID(subject) {
		subject = ""
	}
	q, args := s.trust.find[0], []any{issuer, subject, true, s.d.timeArg(now)}
	if keyID != "" {
		q, args = s.trust.find[1], append(args, keyID)
	}
	return queryAll(ctx, s.q(), "find trust grants", scanTrust, q, append(args, maxTrustMatches)...)
}

func scanTrust(r rowScanner) (*trust.Grant, error) {
	var (
		g          trust.Grant
		scope, key string
	)
	err := r.Scan(&g.ID, &g.Issuer, &g.Subject, &g.AllowAnySubject, &scope, &g.KeyID, &key,
		timeCol{&g.ExpiresAt}, timeCol{&g.CreatedAt})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read trust grant: %w", err)
	}
	if err := json.Unmarshal([]byte(scope), &g.Scope); err != nil {
		return nil, fmt.Errorf("sqlstore: decode scope of trust grant %q: %w", g.ID, err)
	}
	g.PublicKey = json.RawMessage(key)
	return &g, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
