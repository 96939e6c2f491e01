package app

import (
	"log"
	"log/slog"
)

// slogErrorLog routes net/http's own messages (TLS handshake errors, bad
// requests it refuses before our handlers) into the structured log.
func slogErrorLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
