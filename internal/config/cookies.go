package config

// CookieSecure says whether Signet's cookies carry the Secure flag: always
// outside dev mode (the issuer is https, so browsers talk https even when
// a proxy in front of Signet does not), and in dev mode as
// serve.cookies.secure says.
func (c *Config) CookieSecure() bool { return c.Serve.Cookies.Secure || !c.Dev }

// CookieSameSite is serve.cookies.same_site_mode, except that "None"
// becomes "Lax" on cookies without Secure: browsers drop a SameSite=None
// cookie that is not Secure, and every flow over plain http in dev mode
// would then fail its CSRF check.
func (c *Config) CookieSameSite() string {
	if c.Serve.Cookies.SameSiteMode == "None" && !c.CookieSecure() {
		return "Lax"
	}
	return c.Serve.Cookies.SameSiteMode
}
