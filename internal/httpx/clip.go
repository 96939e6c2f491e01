package httpx

import "unicode/utf8"

// Clip shortens s to at most n bytes for an error message or a log line,
// cutting at a character boundary and marking the cut with "…", so that a
// stranger's megabyte-long value is never echoed back whole.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
