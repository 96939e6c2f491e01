package cli

import (
	"io"
	"log/slog"

	"github.com/signet-oidc/signet/internal/config"
)

// newLogger builds the process logger from log.level and log.format.
// Hydra's levels trace, panic and fatal map onto slog's nearest level.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch c.Level {
	case "trace":
		level = slog.LevelDebug - 4
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error", "fatal", "panic":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" || c.Format == "json_pretty" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// logDefaults is the logging of commands that read no configuration.
func logDefaults() config.Log { return config.Log{Level: "info", Format: "text"} }
