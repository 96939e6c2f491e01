package oauth2

import (
	"slices"
	"testing"
)

func TestWildcard(t *testing.T) {
	cases := []struct {
		granted   string
		requested string
		want      bool
	}{
		{"foo", "foo", true},
		{"foo", "foo.bar", false},
		{"foo", "fo", false},
		{"foo.*", "foo.bar", true},
		{"foo.*", "foo.bar.baz", true},
		{"foo.*", "foo", false},
		{"foo.*", "foo.", false},
		{"foo.*", "foo.bar.", false},
		{"foo.*", "foobar", false},
		{"foo.*", "bar.foo", false},
		{"foo.*.read", "foo.bar.read", true},
		{"foo.*.read", "foo.bar.write", false},
		{"foo.*.read", "foo.bar.read.more", false},
		{"foo.*.read", "foo..read", false},
		{"*", "anything", true},
		{"*", "any.thing", true},
		{"*", "", false},
		{"foo.bar", "foo.*", false},
	}
	for _, tc := range cases {
		if got := Wildcard([]string{tc.granted}, tc.requested); got != tc.want {
			t.Errorf("Wildcard(%q, %q) = %v", tc.granted, tc.requested, got)
		}
	}
	if !Wildcard([]string{"a", "b.*"}, "b.c") || Wildcard(nil, "a") {
		t.Error("multiple granted scopes")
	}
}

func TestExact(t *testing.T) {
	if !Exact([]string{"a", "foo.*"}, "foo.*") || Exact([]string{"foo.*"}, "foo.bar") || Exact(nil, "") {
		t.Fatal("Exact")
	}
	if ScopeStrategyFor("exact")([]string{"foo.*"}, "foo.bar") || !ScopeStrategyFor("wildcard")([]string{"foo.*"}, "foo.bar") {
		t.Fatal("ScopeStrategyFor")
	}
}

func TestSplitScope(t *testing.T) {
	if got := SplitScope("  a b  c "); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("%v", got)
	}
	if got := SplitScope("a\tb"); !slices.Equal(got, []string{"a\tb"}) || ValidScopeToken(got[0]) {
		t.Fatal("only spaces delimit scopes; a tab is an invalid character")
	}
	for s, want := range map[string]bool{"read": true, "a:b/c": true, `a"b`: false, `a\b`: false, "é": false, "": false} {
		if ValidScopeToken(s) != want {
			t.Errorf("ValidScopeToken(%q)", s)
		}
	}
}
