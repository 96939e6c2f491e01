package config

import (
	"fmt"
	"net/url"
	"strings"
)

// corsProblems refuses allowed_origins entries that could never match an
// Origin header: a browser sends scheme://host[:port] and nothing else, so
// an entry with a path, query or user would silently allow nobody.
func corsProblems(c *Config) []Problem {
	var ps []Problem
	for _, port := range []struct {
		key     string
		origins []string
	}{{"serve.public.cors.allowed_origins", c.Serve.Public.CORS.AllowedOrigins}, {"serve.admin.cors.allowed_origins", c.Serve.Admin.CORS.AllowedOrigins}} {
		for i, o := range port.origins {
			if o == "*" {
				continue
			}
			u, err := url.Parse(strings.Replace(o, "*", "wildcard", 1))
			if err != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(o, "?#") {
				ps = append(ps, Problem{Key: fmt.Sprintf("%s[%d]", port.key, i),
					Msg: fmt.Sprintf("must be an origin such as https://app.example.com, without a path (got %q)", o)})
			}
		}
	}
	return ps
}
