package oauth2

import "testing"

// TestVisibility: which active tokens a client sees at the public
// introspection endpoint under each oauth2.introspection.visibility rule.
func TestVisibility(t *testing.T) {
	mine := &IntrospectionResponse{Active: true, ClientID: "me"}
	forMe := &IntrospectionResponse{Active: true, ClientID: "other", Audience: []string{"me"}}
	other := &IntrospectionResponse{Active: true, ClientID: "other"}
	for _, tc := range []struct {
		rule             string
		mine, forMe, oth bool
	}{
		{"", true, true, false},
		{VisibilityClientOrAudience, true, true, false},
		{VisibilityClient, true, false, false},
		{VisibilityAny, true, true, true},
	} {
		if Visible(tc.rule, mine, "me") != tc.mine || Visible(tc.rule, forMe, "me") != tc.forMe || Visible(tc.rule, other, "me") != tc.oth {
			t.Errorf("rule %q: wrong visibility", tc.rule)
		}
		if !Visible(tc.rule, &IntrospectionResponse{}, "me") {
			t.Errorf("rule %q: an inactive answer must always be visible", tc.rule)
		}
	}
}
