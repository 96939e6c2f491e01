package sqlstore

import (
	"reflect"
	"regexp"
	"testing"
)

// Every statement the store builds, on every dialect, gets a span name of
// operation and table: a statement that described as "" would make an
// unreadable trace, and one whose table were read from the middle of the
// SQL (a column, a placeholder) a misleading one.
func TestDescribeEveryStatement(t *testing.T) {
	table := regexp.MustCompile(`^[a-z_]+$`)
	for _, name := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		d := dialect{name: name}
		sets := []any{buildClientSQL(d), buildKeySQL(d), buildTokenSQL(d), buildFlowSQL(d), buildTrustSQL(d), buildDeviceSQL(d),
			buildPushedSQL(d, true), buildPushedSQL(d, false)}
		n := 0
		for _, set := range sets {
			for _, s := range statementsOf(reflect.ValueOf(set)) {
				n++
				st := describe(name, s)
				switch st.Operation {
				case "SELECT", "INSERT", "UPDATE", "DELETE":
				default:
					t.Errorf("%s: %q: operation %q", name, s, st.Operation)
				}
				if !table.MatchString(st.Table) || st.Dialect != name {
					t.Errorf("%s: %q: described as %+v", name, s, st)
				}
			}
		}
		if n < 30 {
			t.Fatalf("%s: found only %d statements; the walk missed some", name, n)
		}
	}
}

// statementsOf collects the non-empty strings of a statement set's fields,
// slices and arrays.
func statementsOf(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		if v.String() != "" {
			return []string{v.String()}
		}
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, statementsOf(v.Field(i))...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, statementsOf(v.Index(i))...)
		}
		return out
	}
	return nil
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		sql       string
		op, table string
	}{
		{"SELECT a, b FROM clients WHERE client_id = ?", "SELECT", "clients"},
		{"select COUNT(*) from jwk_keys where set_id = $1", "SELECT", "jwk_keys"},
		{"  INSERT INTO access_tokens(digest) VALUES (?)", "INSERT", "access_tokens"},
		{"INSERT INTO jwk_sets (set_id) VALUES (?) ON CONFLICT (set_id) DO UPDATE SET generation = 1", "INSERT", "jwk_sets"},
		{"UPDATE refresh_tokens SET used_at = ? WHERE digest = ?", "UPDATE", "refresh_tokens"},
		{"DELETE FROM trust_jwt_bearer_issuers WHERE id = ?", "DELETE", "trust_jwt_bearer_issuers"},
		{"SELECT 1", "SELECT", ""},
		{"SELECT x FROM (SELECT 1) AS t", "SELECT", ""},
		{"", "", ""},
		{"VACUUM", "VACUUM", ""},
	} {
		st := describe("sqlite", tc.sql)
		if st.Operation != tc.op || st.Table != tc.table {
			t.Errorf("describe(%q) = %q %q, want %q %q", tc.sql, st.Operation, st.Table, tc.op, tc.table)
		}
	}
}
