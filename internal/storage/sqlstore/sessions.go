package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/storage"
)

// Login sessions are remembered authentications, keyed by the id the
// session cookie carries. A zero ExpiresAt is stored as NULL (MySQL cannot
// hold year 1) and read back as zero.

func errLoginNotFound() error { return fmt.Errorf("sqlstore: login session: %w", storage.ErrNotFound) }

// SaveLoginSession inserts or replaces the session with s.ID: one upsert.
func (s *Store) SaveLoginSession(ctx context.Context, ls *flow.LoginSession) error {
	err := checkText("save login session", ident("id", ls.ID), text("subject", ls.Subject),
		text("identity_provider_session_id", ls.IdentityProviderSessionID))
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.flows.saveLogin, ls.ID, ls.Subject, s.d.timeArg(ls.AuthenticatedAt),
		ls.Remember, s.zeroTimeArg(ls.ExpiresAt), ls.IdentityProviderSessionID)
	return s.d.classify("save login session", err)
}

// GetLoginSession returns the session or storage.ErrNotFound. One query,
// none for an id no row can hold.
func (s *Store) GetLoginSession(ctx context.Context, id string) (*flow.LoginSession, error) {
	if !storableID(id) {
		return nil, errLoginNotFound()
	}
	ls, err := scanLogin(s.q().queryRow(ctx, s.flows.getLogin, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errLoginNotFound()
	}
	return ls, err
}

// EndLoginSessions deletes the selected sessions and returns them, in one
// transaction: a SELECT, then a DELETE of exactly the ids it returned, so a
// session saved meanwhile is neither deleted nor reported. A selector that
// matches nothing ends nothing and is not an error.
func (s *Store) EndLoginSessions(ctx context.Context, sel flow.SessionSelector) ([]flow.LoginSession, error) {
	if (sel.ID == "") == (sel.Subject == "") {
		return nil, errors.New("sqlstore: end login sessions: set exactly one of Subject and ID")
	}
	if !storableID(sel.ID) || !storable(sel.Subject) {
		return nil, nil
	}
	stmt, arg := s.flows.getLogin, sel.ID
	if sel.Subject != "" {
		stmt, arg = s.flows.loginsBySubject, sel.Subject
	}
	var out []flow.LoginSession
	err := s.inTx(ctx, func(q counted) error {
		var err error
		out, err = queryLogins(ctx, q, stmt, arg)
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]string, len(out))
		for i := range out {
			ids[i] = out[i].ID
		}
		_, err = s.inList(ctx, q, s.flows.deleteLogins, nil, ids)
		return s.d.classify("end login sessions", err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func queryLogins(ctx context.Context, q counted, stmt string, arg any) ([]flow.LoginSession, error) {
	return queryAll(ctx, q, "read login sessions", func(r rowScanner) (flow.LoginSession, error) {
		ls, err := scanLogin(r)
		if err != nil {
			return flow.LoginSession{}, err
		}
		return *ls, nil
	}, stmt, arg)
}

func scanLogin(r rowScanner) (*flow.LoginSession, error) {
	var (
		ls      flow.LoginSession
		expires *time.Time
	)
	err := r.Scan(&ls.ID, &ls.Subject, timeCol{&ls.AuthenticatedAt}, &ls.Remember,
		nullTimeCol{&expires}, &ls.IdentityProviderSessionID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read login session: %w", err)
	}
	if expires != nil {
		ls.ExpiresAt = *expires
	}
	return &ls, nil
}

// zeroTimeArg binds a time whose zero value means "none" as NULL.
func (s *Store) zeroTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(t)
}
