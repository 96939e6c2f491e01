package cli

import (
	"fmt"
	"io"
	"strings"
)

// Tokens and secrets on a command line end up in shell history and in the
// process list. These helpers let both come from elsewhere: a token
// argument of "-" is read from stdin, and an absent --client-secret falls
// back to the environment.
const (
	envClientSecret = "SIGNET_CLIENT_SECRET"
	maxStdinToken   = 64 << 10
)

// tokenArg returns the token named by arg, reading stdin for "-".
func tokenArg(env Env, arg string) (string, error) {
	if arg != "-" {
		if arg == "" {
			return "", fmt.Errorf("the token must not be empty")
		}
		return arg, nil
	}
	if env.Stdin == nil {
		return "", fmt.Errorf("no standard input to read the token from")
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, maxStdinToken+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from standard input: %w", err)
	}
	if len(b) > maxStdinToken {
		return "", fmt.Errorf("the token on standard input is longer than %d bytes", maxStdinToken)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("standard input held no token")
	}
	return tok, nil
}

// clientSecret returns the --client-secret value, or $SIGNET_CLIENT_SECRET
// when the flag was not given.
func clientSecret(env Env, flag string) string {
	if flag == "" && env.Getenv != nil {
		return env.Getenv(envClientSecret)
	}
	return flag
}
