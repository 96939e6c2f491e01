// Command signet is the Signet OAuth 2.0 and OpenID Connect provider.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/signet-oidc/signet/internal/cli"
)

func main() {
	// SIGTERM and SIGINT cancel the context; serve then stops accepting
	// connections and lets in-flight requests finish.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Getenv:  os.Getenv,
		Environ: os.Environ,
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
	})
	stop()
	os.Exit(code)
}
