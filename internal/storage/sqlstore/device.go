package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Device authorization requests (RFC 8628, migration 00005). Every state
// change is one conditional UPDATE whose RowsAffected decides, so of
// concurrent callers exactly one succeeds, on every dialect:
//
//   - the user code is accepted once (user_code_used_at);
//   - the browser half ends once, approved or denied;
//   - a poll is recorded only if no other poll was recorded since the one
//     the caller read (last_polled_at compared with its old value);
//   - the tokens are issued once (used_at).

const deviceCols = "device_digest, user_digest, request_id, client_id, scopes, audience, issued_at, expires_at, " +
	"interval_ms, last_polled_at, user_code_used_at, approved_at, denied_at, subject, granted_scopes, " +
	"granted_audience, session, used_at"

type deviceSQL struct {
	insert, get, getByUser, useUserCode, approve, deny, consume string
	// poll is indexed by whether a previous poll is compared.
	poll [2]string
}

func buildDeviceSQL(d dialect) deviceSQL {
	const open = " AND approved_at IS NULL AND denied_at IS NULL"
	return deviceSQL{
		insert:    d.rebind("INSERT INTO device_codes (" + deviceCols + ") VALUES " + placeholders(18)),
		get:       d.rebind("SELECT " + deviceCols + " FROM device_codes WHERE device_digest = ?"),
		getByUser: d.rebind("SELECT " + deviceCols + " FROM device_codes WHERE user_digest = ?"),
		useUserCode: d.rebind("UPDATE device_codes SET user_code_used_at = ?" +
			" WHERE user_digest = ? AND user_code_used_at IS NULL AND expires_at > ?" + open),
		approve: d.rebind("UPDATE device_codes SET approved_at = ?, subject = ?, granted_scopes = ?," +
			" granted_audience = ?, session = ? WHERE request_id = ? AND expires_at > ?" + open),
		deny: d.rebind("UPDATE device_codes SET denied_at = ? WHERE request_id = ?" + open),
		consume: d.rebind("UPDATE device_codes SET used_at = ?" +
			" WHERE device_digest = ? AND approved_at IS NOT NULL AND used_at IS NULL"),
		poll: [2]string{
			d.rebind("UPDATE device_codes SET last_polled_at = ?, interval_ms = ? WHERE device_digest = ? AND last_polled_at IS NULL"),
			d.rebind("UPDATE device_codes SET last_polled_at = ?, interval_ms = ? WHERE device_digest = ? AND last_polled_at = ?"),
		},
	}
}

var _ token.DeviceStore = (*Store)(nil)

func errDeviceNotFound() error {
	return fmt.Errorf("sqlstore: device request: %w", storage.ErrNotFound)
}

// CreateDevice stores a new request: one write. storage.ErrConflict when a
// digest or the request ID exists, storage.ErrNotFound for an unknown
// client.
func (s *Store) CreateDevice(ctx context.Context, r *token.DeviceRecord) error {
	if err := checkText("create device request", ident("client_id", r.ClientID), ident("request_id", r.RequestID),
		text("subject", r.Subject), textBytes("session", r.Session)); err != nil {
		return err
	}
	lists := make([]string, 4)
	for i, l := range [][]string{r.Scopes, r.Audience, r.GrantedScopes, r.GrantedAudience} {
		var err error
		if lists[i], err = jsonText(l); err != nil {
			return err
		}
	}
	_, err := s.q().exec(ctx, s.device.insert, r.DeviceDigest, r.UserDigest, r.RequestID, r.ClientID,
		lists[0], lists[1], s.d.timeArg(r.IssuedAt), s.d.timeArg(r.ExpiresAt), r.Interval.Milliseconds(),
		s.d.nullTimeArg(r.LastPolledAt), s.d.nullTimeArg(r.UserCodeUsedAt), s.d.nullTimeArg(r.ApprovedAt),
		s.d.nullTimeArg(r.DeniedAt), r.Subject, lists[2], lists[3], rawOrNil(r.Session), s.d.nullTimeArg(r.UsedAt))
	return s.d.classify("create device request", err)
}

// GetDevice reads a request by its device code digest: one read.
func (s *Store) GetDevice(ctx context.Context, deviceDigest []byte) (*token.DeviceRecord, error) {
	r, err := scanDevice(s.q().queryRow(ctx, s.device.get, deviceDigest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errDeviceNotFound()
	}
	return r, err
}

// UseUserCode accepts a user code once: the conditional UPDATE decides,
// then a read by the unique user digest returns the request. On a code
// that was used, or belongs to a finished or expired request, the read
// tells which error to return.
func (s *Store) UseUserCode(ctx context.Context, userDigest []byte, now time.Time) (*token.DeviceRecord, error) {
	n, err := s.q().execN(ctx, s.device.useUserCode, s.d.timeArg(now), userDigest, s.d.timeArg(now))
	if err != nil {
		return nil, s.d.classify("use user code", err)
	}
	r, err := scanDevice(s.q().queryRow(ctx, s.device.getByUser, userDigest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errDeviceNotFound()
	}
	if err != nil {
		return nil, err
	}
	if n == 0 {
		if !now.Before(r.ExpiresAt) {
			return nil, errDeviceNotFound()
		}
		return nil, fmt.Errorf("sqlstore: user code: %w", storage.ErrAlreadyUsed)
	}
	return r, nil
}

// ApproveDevice records the grant of an unexpired request: one
// conditional write.
func (s *Store) ApproveDevice(ctx context.Context, requestID string, a *token.DeviceApproval, now time.Time) error {
	if err := checkText("approve device request", ident("request_id", requestID), text("subject", a.Subject),
		textBytes("session", a.Session)); err != nil {
		return err
	}
	scopes, err := jsonText(a.GrantedScopes)
	if err != nil {
		return err
	}
	aud, err := jsonText(a.GrantedAudience)
	if err != nil {
		return err
	}
	n, err := s.q().execN(ctx, s.device.approve, s.d.timeArg(now), a.Subject, scopes, aud, rawOrNil(a.Session), requestID,
		s.d.timeArg(now))
	if err != nil {
		return s.d.classify("approve device request", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: device request already decided, expired or unknown: %w", storage.ErrAlreadyUsed)
	}
	return nil
}

// DenyDevice records the refusal: one conditional write.
func (s *Store) DenyDevice(ctx context.Context, requestID string, now time.Time) error {
	if err := checkText("deny device request", ident("request_id", requestID)); err != nil {
		return err
	}
	n, err := s.q().execN(ctx, s.device.deny, s.d.timeArg(now), requestID)
	if err != nil {
		return s.d.classify("deny device request", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: device request already decided or unknown: %w", storage.ErrAlreadyUsed)
	}
	return nil
}

// PollDevice records a poll if none was recorded since prev: one write.
func (s *Store) PollDevice(ctx context.Context, deviceDigest []byte, prev *time.Time, now time.Time, interval time.Duration) (bool, error) {
	var n int64
	var err error
	if prev == nil {
		n, err = s.q().execN(ctx, s.device.poll[0], s.d.timeArg(now), interval.Milliseconds(), deviceDigest)
	} else {
		n, err = s.q().execN(ctx, s.device.poll[1], s.d.timeArg(now), interval.Milliseconds(), deviceDigest, s.d.timeArg(*prev))
	}
	if err != nil {
		return false, s.d.classify("poll device request", err)
	}
	return n == 1, nil
}

// ConsumeDevice marks the tokens of an approved request issued: one
// conditional write; a second call (or a loser of a race) gets
// storage.ErrAlreadyUsed.
func (s *Store) ConsumeDevice(ctx context.Context, deviceDigest []byte, now time.Time) error {
	n, err := s.q().execN(ctx, s.device.consume, s.d.timeArg(now), deviceDigest)
	if err != nil {
		return s.d.classify("consume device request", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: device request: %w", storage.ErrAlreadyUsed)
	}
	return nil
}

func scanDevice(r rowScanner) (*token.DeviceRecord, error) {
	var (
		d                   token.DeviceRecord
		scopes, aud, gs, ga string
		intervalMS          int64
		session             sql.NullString
	)
	err := r.Scan(&d.DeviceDigest, &d.UserDigest, &d.RequestID, &d.ClientID, &scopes, &aud,
		timeCol{&d.IssuedAt}, timeCol{&d.ExpiresAt}, &intervalMS, nullTimeCol{&d.LastPolledAt},
		nullTimeCol{&d.UserCodeUsedAt}, nullTimeCol{&d.ApprovedAt}, nullTimeCol{&d.DeniedAt}, &d.Subject,
		&gs, &ga, &session, nullTimeCol{&d.UsedAt})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read device request: %w", err)
	}
	if err := decodeLists(scopes, aud, &d.Scopes, &d.Audience); err != nil {
		return nil, err
	}
	if err := decodeLists(gs, ga, &d.GrantedScopes, &d.GrantedAudience); err != nil {
		return nil, err
	}
	d.Interval = time.Duration(intervalMS) * time.Millisecond
	d.Session = rawFrom(session)
	return &d, nil
}

// DeleteExpiredDeviceCodes deletes at most n device requests that expired
// before before, whatever their state: the device code is refused as
// expired by then, and the tokens it led to carry their own records.
func (s *Store) DeleteExpiredDeviceCodes(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "device codes", s.d.boundedDelete("device_codes", "expires_at"), before, n)
}
