// Package config turns Hydra-compatible configuration into one typed
// snapshot. It runs once at start-up, before anything else is built:
// cli reads the -c files, the environment and --dev, calls Load, logs the
// warnings, and hands the *Config (inside a Live) to app.New. No request
// ever reads a file or an environment variable.
//
// Keys, types and environment names follow Hydra v2 (keys.go lists every
// key of its schema); values are checked where they are read, and every
// problem names its key path and where the value came from:
//
//	files (-c, in order) -> environment (URLS_SELF_ISSUER ...) -> defaults
//	  -> decode into Config -> dev-mode fills -> Validate
//
// While the server runs, reload.go's Reloader watches the -c files and runs
// the same Load again; Merge keeps the keys that need a restart at their
// running values, and app.Reconfigure stores the result in the Live.
package config
