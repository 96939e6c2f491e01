// Package app is the wiring: New builds every component in dependency order
// with struct literals, routes.go lists every public and admin route on one
// screen, and Serve runs both listeners until the context ends, then shuts
// down gracefully. Nothing else in Signet constructs components.
package app
