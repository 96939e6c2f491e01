package config

import "log/slog"

// SlogLevel maps log.level onto slog. Hydra's levels trace, panic and fatal
// have no slog equivalent and take the nearest one.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "trace":
		return slog.LevelDebug - 4
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error", "fatal", "panic":
		return slog.LevelError
	}
	return slog.LevelInfo
}
