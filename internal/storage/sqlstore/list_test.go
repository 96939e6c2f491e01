package sqlstore

import "testing"

// TestListVariantsMatchListArgs: the statement listArgs picks holds exactly
// the conditions it bound arguments for, in the same order, so placeholders
// and arguments line up on every combination of filters.
func TestListVariantsMatchListArgs(t *testing.T) {
	stmts := listVariants(dialect{name: DialectPostgres}, "SELECT id FROM t WHERE 1 = 1", " ORDER BY id LIMIT ?",
		" AND a = ?", " AND b = ?", " AND id > ?")
	cases := []struct {
		a, b, after bool
		want        string
		args        []any
	}{
		{want: "SELECT id FROM t WHERE 1 = 1 ORDER BY id LIMIT $1"},
		{a: true, want: "SELECT id FROM t WHERE 1 = 1 AND a = $1 ORDER BY id LIMIT $2", args: []any{"A"}},
		{b: true, after: true, want: "SELECT id FROM t WHERE 1 = 1 AND b = $1 AND id > $2 ORDER BY id LIMIT $3", args: []any{"B", "X"}},
		{a: true, b: true, after: true, want: "SELECT id FROM t WHERE 1 = 1 AND a = $1 AND b = $2 AND id > $3 ORDER BY id LIMIT $4", args: []any{"A", "B", "X"}},
	}
	for _, c := range cases {
		var l listArgs
		l.opt(c.a, "A")
		l.opt(c.b, "B")
		l.opt(c.after, "X")
		if got := stmts[l.variant]; got != c.want {
			t.Errorf("a=%v b=%v after=%v: %q, want %q", c.a, c.b, c.after, got, c.want)
		}
		if len(l.args) != len(c.args) {
			t.Fatalf("args %v, want %v", l.args, c.args)
		}
		for i := range c.args {
			if l.args[i] != c.args[i] {
				t.Errorf("args %v, want %v", l.args, c.args)
			}
		}
	}
}

func TestIDPageToken(t *testing.T) {
	for _, id := range []string{"a", "client-1", "x'); DROP TABLE clients; --"} {
		got, err := decodeIDToken(encodeIDToken(id))
		if err != nil || got != id {
			t.Errorf("round trip of %q = %q, %v", id, got, err)
		}
	}
	// Tokens the store cannot have issued: not base64url, empty, invalid
	// UTF-8 (0xff), NUL, longer than any id.
	for _, tok := range []string{"!!", "=", "_w", "AA", encodeIDToken(string(make([]byte, MaxIDLen+1)))} {
		if _, err := decodeIDToken(tok); err == nil {
			t.Errorf("decodeIDToken(%q) accepted", tok)
		}
	}
}
