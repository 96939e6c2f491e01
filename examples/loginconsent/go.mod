module github.com/signet-oidc/signet/examples/loginconsent

go 1.26.0

require github.com/ory/hydra-client-go/v2 v2.2.1

require golang.org/x/oauth2 v0.38.0 // indirect
