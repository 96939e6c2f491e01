package storetest

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Device authorization requests (token.DeviceStore, RFC 8628).

func newDevice(name, clientID string) *token.DeviceRecord {
	return &token.DeviceRecord{DeviceDigest: digest("dc-" + name), UserDigest: digest("uc-" + name),
		RequestID: "req-" + name, ClientID: clientID, Scopes: []string{"openid", "offline_access"},
		Audience: []string{"https://api/'; --"}, GrantedScopes: []string{}, GrantedAudience: []string{},
		IssuedAt: baseTime(), ExpiresAt: baseTime().Add(10 * time.Minute), Interval: 5 * time.Second}
}

func testDeviceRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "tv")
	in := newDevice("a", "tv")
	if err := s.CreateDevice(c, in); err != nil {
		t.Fatal(err)
	}
	dup := newDevice("b", "tv")
	dup.UserDigest = in.UserDigest
	if err := s.CreateDevice(c, dup); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate user code: err = %v, want ErrConflict", err)
	}
	notFound(t, "unknown client", s.CreateDevice(c, newDevice("c", "no-such-client")))
	got, err := s.GetDevice(c, in.DeviceDigest)
	if err != nil {
		t.Fatal(err)
	}
	g, w := *got, *in
	sameRecord(t, "device request", &g, &w, [2]*time.Time{&g.IssuedAt, &w.IssuedAt}, [2]*time.Time{&g.ExpiresAt, &w.ExpiresAt})
	if _, err := s.GetDevice(c, digest("nope")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown device code: %v, want ErrNotFound", err)
	}
}

func testDeviceUserCode(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "tv")
	in := newDevice("a", "tv")
	if err := s.CreateDevice(c, in); err != nil {
		t.Fatal(err)
	}
	now := baseTime().Add(time.Minute)
	got, err := s.UseUserCode(c, in.UserDigest, now)
	if err != nil || got.RequestID != in.RequestID || got.UserCodeUsedAt == nil {
		t.Fatalf("first use: %+v, %v", got, err)
	}
	sameTime(t, "user_code_used_at", *got.UserCodeUsedAt, now)
	if _, err := s.UseUserCode(c, in.UserDigest, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("second use: %v, want ErrAlreadyUsed", err)
	}
	if _, err := s.UseUserCode(c, digest("nope"), now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown user code: %v, want ErrNotFound", err)
	}
	late := newDevice("late", "tv")
	if err := s.CreateDevice(c, late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseUserCode(c, late.UserDigest, late.ExpiresAt); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired user code: %v, want ErrNotFound", err)
	}
}

func testDeviceDecide(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "tv")
	ok, no := newDevice("ok", "tv"), newDevice("no", "tv")
	for _, d := range []*token.DeviceRecord{ok, no} {
		if err := s.CreateDevice(c, d); err != nil {
			t.Fatal(err)
		}
	}
	now := baseTime().Add(time.Minute)
	if err := s.ConsumeDevice(c, ok.DeviceDigest, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("consume before approval: %v, want ErrAlreadyUsed", err)
	}
	if err := s.ConsumeDevice(c, digest("nope"), now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("consume an unknown request: %v, want ErrAlreadyUsed", err)
	}
	if err := s.DenyDevice(c, "nope", now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("deny an unknown request: %v, want ErrAlreadyUsed", err)
	}
	late := newDevice("late", "tv")
	if err := s.CreateDevice(c, late); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(c, late.RequestID, &token.DeviceApproval{Subject: "u"}, late.ExpiresAt); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("approve an expired request: %v, want ErrAlreadyUsed", err)
	}
	a := &token.DeviceApproval{Subject: "user-ü", GrantedScopes: []string{"openid"}, GrantedAudience: []string{"https://api"},
		Session: json.RawMessage(`{"sid":"s"}`)}
	if err := s.ApproveDevice(c, ok.RequestID, a, now); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(c, ok.RequestID, a, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("second approval: %v, want ErrAlreadyUsed", err)
	}
	if err := s.DenyDevice(c, ok.RequestID, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("deny after approval: %v, want ErrAlreadyUsed", err)
	}
	if err := s.DenyDevice(c, no.RequestID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(c, no.RequestID, a, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("approve after denial: %v, want ErrAlreadyUsed", err)
	}
	if _, err := s.UseUserCode(c, no.UserDigest, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("user code of a denied request: %v, want ErrAlreadyUsed", err)
	}
	got, err := s.GetDevice(c, ok.DeviceDigest)
	if err != nil || got.ApprovedAt == nil || got.Subject != a.Subject || string(got.Session) != string(a.Session) ||
		len(got.GrantedScopes) != 1 || got.GrantedAudience[0] != "https://api" {
		t.Fatalf("approved record: %+v, %v", got, err)
	}
	denied, _ := s.GetDevice(c, no.DeviceDigest)
	if denied == nil || denied.DeniedAt == nil || denied.ApprovedAt != nil {
		t.Errorf("denied record: %+v", denied)
	}
	if err := s.ConsumeDevice(c, no.DeviceDigest, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("consume a denied request: %v, want ErrAlreadyUsed", err)
	}
	s.ResetStats()
	if err := s.ConsumeDevice(c, ok.DeviceDigest, now); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("ConsumeDevice: %d queries, want 1", st.Queries)
	}
	if err := s.ConsumeDevice(c, ok.DeviceDigest, now); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("second consume: %v, want ErrAlreadyUsed", err)
	}
}

func testDevicePoll(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "tv")
	d := newDevice("p", "tv")
	if err := s.CreateDevice(c, d); err != nil {
		t.Fatal(err)
	}
	first := baseTime().Add(time.Second)
	if ok, err := s.PollDevice(c, d.DeviceDigest, nil, first, 5*time.Second); !ok || err != nil {
		t.Fatalf("first poll: %v, %v", ok, err)
	}
	if ok, _ := s.PollDevice(c, d.DeviceDigest, nil, first, 5*time.Second); ok {
		t.Error("a poll that read no previous poll was recorded after one was")
	}
	second := first.Add(2 * time.Second)
	if ok, err := s.PollDevice(c, d.DeviceDigest, &first, second, 10*time.Second); !ok || err != nil {
		t.Fatalf("second poll: %v, %v", ok, err)
	}
	got, _ := s.GetDevice(c, d.DeviceDigest)
	if got == nil || got.LastPolledAt == nil || got.Interval != 10*time.Second {
		t.Fatalf("after polls: %+v", got)
	}
	sameTime(t, "last_polled_at", *got.LastPolledAt, second)
	if ok, _ := s.PollDevice(c, d.DeviceDigest, &first, second.Add(time.Second), 5*time.Second); ok {
		t.Error("a poll based on a stale previous poll was recorded")
	}
}

func testConcurrentDevice(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "tv")
	d := newDevice("race", "tv")
	if err := s.CreateDevice(c, d); err != nil {
		t.Fatal(err)
	}
	now := baseTime().Add(time.Minute)
	var wins atomic.Int32
	count := func(err error) error {
		switch {
		case err == nil:
			wins.Add(1)
		case !errors.Is(err, storage.ErrAlreadyUsed):
			return err
		}
		return nil
	}
	check := func(what string, errs []error) {
		for _, err := range errs {
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}
		if n := wins.Swap(0); n != 1 {
			t.Errorf("%s: %d winners, want exactly one", what, n)
		}
	}
	check("user code", race(contenders, func(int) error {
		_, err := s.UseUserCode(c, d.UserDigest, now)
		return count(err)
	}))
	check("approval", race(contenders, func(int) error {
		return count(s.ApproveDevice(c, d.RequestID, &token.DeviceApproval{Subject: "u"}, now))
	}))
	check("poll", race(contenders, func(int) error {
		ok, err := s.PollDevice(c, d.DeviceDigest, nil, now, 5*time.Second)
		if ok {
			wins.Add(1)
		}
		return err
	}))
	check("tokens", race(contenders, func(int) error {
		return count(s.ConsumeDevice(c, d.DeviceDigest, now))
	}))
}
