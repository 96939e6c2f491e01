package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
)

// Strings that break naive SQL, collations or column sizes.
func trickyStrings() []struct{ name, value string } {
	return []struct{ name, value string }{
		{"unicode", "Zoë 日本語 🔐 ÅÄÖ"},
		{"sql", "'; DROP TABLE clients; --"},
		{"like", `%_\ "q" ` + "`b`"},
		{"trailing space", "a "},
		{"long", strings.Repeat("ж", 10000)},
	}
}

// idFor keeps a tricky string within the 255-byte id limit.
func idFor(v string) string {
	if len(v) > 255 {
		return strings.Repeat("x", 255)
	}
	return v
}

func newClient(id string) *client.Client {
	return &client.Client{ID: id, Name: "name-" + id, SecretHash: "$pbkdf2-sha256$i=1$salt$hash",
		GrantTypes: []string{"client_credentials"}, CreatedAt: baseTime(), UpdatedAt: baseTime()}
}

func testClientCRUD(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	in := newClient("crud")
	in.Secret = "raw secret must not be stored"
	if err := s.CreateClient(c, in); err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := s.GetClient(c, "crud")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Secret != "" || got.SecretHash != in.SecretHash || got.Name != in.Name {
		t.Errorf("get = %+v: want hash kept and raw secret dropped", got)
	}
	read := *got
	got.Name, got.Owner, got.UpdatedAt = "renamed", "alice", baseTime().Add(time.Hour)
	got.CreatedAt = baseTime().Add(-time.Hour) // an update must not rewrite history
	if err := s.UpdateClient(c, got, &read); err != nil {
		t.Fatalf("update: %v", err)
	}
	again, err := s.GetClient(c, "crud")
	if err != nil {
		t.Fatalf("get after update: %v", err)
	}
	if again.Name != "renamed" || again.Owner != "alice" {
		t.Errorf("after update name=%q owner=%q", again.Name, again.Owner)
	}
	sameTime(t, "updated_at", again.UpdatedAt, baseTime().Add(time.Hour))
	sameTime(t, "created_at", again.CreatedAt, baseTime())
	if err := s.DeleteClient(c, "crud"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	missing := newClient("missing")
	for name, err := range map[string]error{
		"get deleted":    errOnly(s.GetClient(c, "crud")),
		"delete deleted": s.DeleteClient(c, "crud"),
		"update deleted": s.UpdateClient(c, &client.Client{ID: "crud", UpdatedAt: again.UpdatedAt.Add(time.Second)}, again),
		"update missing": s.UpdateClient(c, &client.Client{ID: "missing", UpdatedAt: missing.UpdatedAt.Add(time.Second)}, missing),
	} {
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
}

func errOnly[T any](_ T, err error) error { return err }

func testClientConflict(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	if err := s.CreateClient(c, newClient("dup")); err != nil {
		t.Fatal(err)
	}
	err := s.CreateClient(c, newClient("dup"))
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second create: err = %v, want ErrConflict", err)
	}
	// Byte-exact identity: neither case nor trailing spaces collide.
	for _, id := range []string{"DUP", "dup ", "düp"} {
		if err := s.CreateClient(c, newClient(id)); err != nil {
			t.Errorf("create %q next to %q: %v", id, "dup", err)
		}
	}
}

func testClientFieldsRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for _, tc := range trickyStrings() {
		t.Run(tc.name, func(t *testing.T) {
			want := &client.Client{}
			fillAll(reflect.ValueOf(want).Elem(), tc.value)
			want.ID, want.Secret = idFor(tc.value), ""
			if err := s.CreateClient(c, want); err != nil {
				t.Fatalf("create: %v", err)
			}
			got, err := s.GetClient(c, want.ID)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			assertSameClient(t, got, want)
		})
	}
}

// fillAll sets every field, embedded structs included, to a non-zero value
// derived from v, so a field the store forgets shows up as a difference.
func fillAll(rv reflect.Value, v string) {
	durType := reflect.TypeFor[*client.Duration]()
	for i := 0; i < rv.NumField(); i++ {
		f, sf := rv.Field(i), rv.Type().Field(i)
		switch {
		case sf.Type == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(baseTime().Add(time.Duration(i) * time.Minute)))
		case sf.Type == reflect.TypeFor[json.RawMessage]():
			b, _ := json.Marshal(map[string]any{"k": []any{1, v}, "field": sf.Name})
			f.Set(reflect.ValueOf(json.RawMessage(b)))
		case sf.Type == durType:
			d := client.Duration(time.Duration(i+1) * time.Minute)
			f.Set(reflect.ValueOf(&d))
		case sf.Anonymous && f.Kind() == reflect.Struct:
			fillAll(f, v)
		case f.Kind() == reflect.String:
			f.SetString(sf.Name + ":" + v)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int64:
			f.SetInt(int64(1000 + i))
		case f.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{v, sf.Name, ""}))
		}
	}
}

func assertSameClient(t *testing.T, got, want *client.Client) {
	t.Helper()
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTime(t, "updated_at", got.UpdatedAt, want.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Errorf("client changed in storage:\n got %.600s\nwant %.600s", gj, wj)
	}
}

func testClientIDTooLong(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	err := s.CreateClient(c, newClient(strings.Repeat("x", 256)))
	if err == nil || errors.Is(err, storage.ErrConflict) {
		t.Fatalf("256-byte id: err = %v, want a plain error on every dialect", err)
	}
}

func testTimeRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	times := []time.Time{
		baseTime(),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 1000, time.FixedZone("west", -7*3600)),
	}
	for i, tm := range times {
		in := newClient(string(rune('a' + i)))
		in.CreatedAt, in.UpdatedAt = tm, tm.Add(time.Microsecond)
		if err := s.CreateClient(c, in); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetClient(c, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "created_at", got.CreatedAt, tm)
		sameTime(t, "updated_at", got.UpdatedAt, tm.Add(time.Microsecond))
	}
}
