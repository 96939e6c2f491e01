package devapp

import "github.com/signet-oidc/signet/internal/config"

// The pages, relative to the public base URL (urls.self.public, else the
// issuer).
const (
	LoginPath   = "/dev/login"
	ConsentPath = "/dev/consent"
	LogoutPath  = "/dev/logout"
	// The device pages (device.go): urls.device.verification and
	// urls.device.success when neither is set.
	DevicePath     = "/dev/device"
	DeviceDonePath = "/dev/device/done"
)

// Configure decides whether the development identity app runs. It runs in
// dev mode when none of urls.login, urls.consent and urls.logout is set;
// it then returns a copy of cfg whose three URLs point at its pages, so
// the authorization and logout endpoints send browsers there exactly as
// they would to an operator's app. cfg itself is not changed.
//
// With only some of the three set, the app stays off and the unset ones
// stay unset: filling them in would pair an operator's real login app with
// a consent page that grants every scope to anyone, a mix nobody means.
// Outside dev mode it never runs and its routes are not mounted.
func Configure(cfg *config.Config) (*config.Config, bool) {
	u := cfg.URLs
	if !cfg.Dev || u.Login != "" || u.Consent != "" || u.Logout != "" {
		return cfg, false
	}
	c := *cfg
	c.URLs.Login = cfg.PublicEndpoint(LoginPath)
	c.URLs.Consent = cfg.PublicEndpoint(ConsentPath)
	c.URLs.Logout = cfg.PublicEndpoint(LogoutPath)
	// The device pages stand in only while the device grant is on (its
	// switch is read at start-up, as here).
	if d := cfg.URLs.Device; cfg.OAuth2.DeviceAuthorization.Enabled && d.Verification == "" && d.Success == "" {
		c.URLs.Device.Verification = cfg.PublicEndpoint(DevicePath)
		c.URLs.Device.Success = cfg.PublicEndpoint(DeviceDonePath)
	}
	return &c, true
}

// Warning is the one line the server logs when the app is active.
const Warning = "the development identity app is active: anyone can sign in as any user at " + LoginPath +
	"; set urls.login, urls.consent and urls.logout to use your own login app, and never use --dev in production"
