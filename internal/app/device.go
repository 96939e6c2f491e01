package app

import (
	"fmt"
	"io"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/token"
)

// The device authorization grant's parts built from the configuration
// (RFC 8628; docs/device-authorization.md).

// userCodeMACPurpose keys the user code digests.
const userCodeMACPurpose = "device user code"

// userCodeFormat is oauth2.device_authorization.user_code: a preset, or a
// length with a character set, or the "medium" preset.
func userCodeFormat(cfg *config.Config, keyring *secret.Keyring, r io.Reader) (token.UserCodeFormat, error) {
	uc := cfg.OAuth2.DeviceAuthorization.UserCode
	f, err := token.NewUserCodeFormat(uc.EntropyPreset, uc.Length, uc.CharacterSet, keyring.MACKeys(userCodeMACPurpose), r)
	if err != nil {
		return f, fmt.Errorf("oauth2.device_authorization.user_code: %w", err)
	}
	return f, nil
}

// userCodeLimiter is oauth2.device_authorization.brute_force; its keys
// have defaults and bounds (config/keys.go), so every value is set.
func userCodeLimiter(cfg *config.Config, now func() time.Time) *flow.UserCodeLimiter {
	bf := cfg.OAuth2.DeviceAuthorization.BruteForce
	return &flow.UserCodeLimiter{PerChallenge: bf.AttemptsPerChallenge, Budget: bf.FailureBudget, Window: bf.Window, Now: now}
}
