package app

// Version is set at build time:
//
//	go build -ldflags "-X github.com/signet-oidc/signet/internal/app.Version=v1.2.3" ./cmd/signet
//
// The build version is one of the two kinds of package-level variable the
// house allows (the other is sentinel errors).
var Version = "dev"
