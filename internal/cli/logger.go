package cli

import (
	"io"
	"log/slog"

	"github.com/signet-oidc/signet/internal/config"
)

// newLogger builds the process logger from log.level and log.format.
// Hydra's levels trace, panic and fatal map onto slog's nearest level.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	log, _ := newLevelLogger(c, w)
	return log
}

// newLevelLogger is newLogger with the level held in a LevelVar, so that a
// configuration reload can change it while the server runs.
func newLevelLogger(c config.Log, w io.Writer) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(c.SlogLevel())
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" || c.Format == "json_pretty" {
		return slog.New(slog.NewJSONHandler(w, opts)), level
	}
	return slog.New(slog.NewTextHandler(w, opts)), level
}

// logDefaults is the logging of commands that read no configuration.
func logDefaults() config.Log { return config.Log{Level: "info", Format: "text"} }
