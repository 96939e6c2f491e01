package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// maxDurationText bounds a lifespan string before parsing; real values are
// a handful of characters ("1h0m0s").
const maxDurationText = 64

// MarshalJSON writes the duration the way Go prints it ("1h0m0s"), which is
// what Hydra returns and what matches the contract's NullDuration pattern.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts a non-negative Go duration string ("90s", "1h30m",
// "1.5h") or null. Numbers are refused: the contract types the field as a
// string, and a bare number's unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil // a *Duration field stays nil: unset, use the server's ttl.*
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a lifespan must be a duration string such as \"1h0m0s\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses a lifespan: the contract's pattern
// ^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$ (which time.ParseDuration
// accepts) plus a bare "0". Signs are refused, so no lifespan is negative.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" || len(s) > maxDurationText {
		return 0, fmt.Errorf("a lifespan must be a duration string of 1 to %d characters", maxDurationText)
	}
	if s[0] == '-' || s[0] == '+' {
		return 0, fmt.Errorf("the lifespan %q must not carry a sign", s)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("the lifespan %q is not a duration such as \"1h0m0s\"", s)
	}
	return v, nil
}
