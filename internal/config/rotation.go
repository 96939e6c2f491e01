package config

// rotationProblems checks keys.rotation.* when rotation is on. The rules
// keep the three durations consistent with each other and with the token
// lifetimes, so that a misconfiguration fails at start instead of breaking
// tokens weeks later, when a key is retired.
func rotationProblems(c *Config) []Problem {
	r := c.Keys.Rotation
	if !r.Enabled {
		return nil
	}
	var ps []Problem
	add := func(key, msg string) { ps = append(ps, Problem{Key: key, Msg: msg}) }
	if r.Interval <= 0 {
		add("keys.rotation.interval", "must be longer than 0s")
	}
	if r.PublishBefore < 0 {
		add("keys.rotation.publish_before", "must not be negative")
	} else if r.Interval > 0 && r.PublishBefore >= r.Interval {
		// Otherwise every key would be published before its predecessor
		// starts signing, and a new one would always be pending.
		add("keys.rotation.publish_before", "must be shorter than keys.rotation.interval ("+r.Interval.String()+")")
	}
	// A JWT access token or ID token signed by a retired key must keep
	// verifying until it expires.
	longest := max(c.TTL.AccessToken, c.TTL.IDToken)
	if r.RetainAfter < longest {
		add("keys.rotation.retain_after", "must be at least ttl.access_token and ttl.id_token ("+
			longest.String()+"): tokens signed by a retired key must keep verifying until they expire")
	}
	return ps
}
