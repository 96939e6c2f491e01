package cli

import (
	"encoding/json"
	"fmt"
)

// keySet is a JSON Web Key Set as the admin API returns it. Keys stay raw
// so the JSON output is exactly what the server sent (every member, in its
// order), while the table reads only the four metadata members.
type keySet struct {
	Keys []json.RawMessage `json:"keys"`
}

type keyMeta struct {
	KID string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kty string `json:"kty"`
}

// publicOnly drops private members from every key, and drops symmetric keys
// entirely, since they have no public half to show.
func (s keySet) publicOnly() (keySet, error) {
	out := keySet{Keys: []json.RawMessage{}}
	for _, raw := range s.Keys {
		var k map[string]json.RawMessage
		if err := json.Unmarshal(raw, &k); err != nil {
			return keySet{}, fmt.Errorf("the server returned a key that is not a JSON object: %w", err)
		}
		var kty string
		_ = json.Unmarshal(k["kty"], &kty)
		if kty == "oct" {
			continue
		}
		// The members that hold secret key material (RFC 7518 §6.2.2,
		// §6.3.2; RFC 8037 §2).
		for _, m := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth"} {
			delete(k, m)
		}
		b, err := json.Marshal(k)
		if err != nil {
			return keySet{}, fmt.Errorf("encoding a public key: %w", err)
		}
		out.Keys = append(out.Keys, b)
	}
	return out, nil
}

func keySetTable(set string, s keySet) table {
	t := table{header: []string{"SET ID", "KEY ID", "ALGORITHM", "USE"}}
	for _, raw := range s.Keys {
		var m keyMeta
		_ = json.Unmarshal(raw, &m) // a key without metadata still gets a row
		t.rows = append(t.rows, []string{set, m.KID, m.Alg, m.Use})
	}
	return t
}

// showKeySet renders a key set, stripped to public keys when asked.
func showKeySet(env Env, out format, set string, s keySet, public bool) error {
	if public {
		var err error
		if s, err = s.publicOnly(); err != nil {
			return err
		}
	}
	if s.Keys == nil {
		s.Keys = []json.RawMessage{}
	}
	return render(env.Stdout, out, s, keySetTable(set, s))
}
