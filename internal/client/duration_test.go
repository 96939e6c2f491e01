package client

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	accept := map[string]time.Duration{
		`"1h0m0s"`: time.Hour, `"90s"`: 90 * time.Second, `"1.5h"`: 90 * time.Minute,
		`"10ms"`: 10 * time.Millisecond, `"5us"`: 5 * time.Microsecond, `"5µs"`: 5 * time.Microsecond,
		`"0"`: 0, `"0s"`: 0, `"1h30m"`: 90 * time.Minute,
	}
	for in, want := range accept {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("%s: got %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{`"-1h"`, `"+1h"`, `"1d"`, `"soon"`, `""`, `3600`, `true`, `{}`, `"9999999999999h"`, `"` + string(make([]byte, 65)) + `"`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s: accepted as %v", in, time.Duration(d))
		}
	}
}

func TestLifespansNullAndRoundTrip(t *testing.T) {
	var l Lifespans
	if err := json.Unmarshal([]byte(`{"implicit_grant_access_token_lifespan":null,"jwt_bearer_grant_access_token_lifespan":"15m"}`), &l); err != nil {
		t.Fatal(err)
	}
	if l.ImplicitGrantAccessTokenLifespan != nil || l.JwtBearerGrantAccessTokenLifespan == nil {
		t.Fatalf("null must leave the lifespan unset: %+v", l)
	}
	out, _ := json.Marshal(l)
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	if m["jwt_bearer_grant_access_token_lifespan"] != "15m0s" || m["implicit_grant_access_token_lifespan"] != nil {
		t.Errorf("marshalled %s", out)
	}
}
