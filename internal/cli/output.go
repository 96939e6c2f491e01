package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// format is the value of --format.
type format string

const (
	formatTable      format = "table"
	formatJSON       format = "json"
	formatJSONPretty format = "json-pretty"
)

func parseFormat(s string) (format, error) {
	switch f := format(s); f {
	case formatTable, formatJSON, formatJSONPretty:
		return f, nil
	}
	return "", fmt.Errorf("--format %q: want table, json or json-pretty", s)
}

// table is what the table format prints: a header row, then one row per
// item, columns aligned.
type table struct {
	header []string
	rows   [][]string
}

// render prints v as JSON, or t as a table. v is what the server said (or a
// value built from it), so JSON output stays machine-readable and complete
// while the table shows the columns a person scans for.
func render(w io.Writer, f format, v any, t table) error {
	switch f {
	case formatJSON, formatJSONPretty:
		return writeJSON(w, f, v)
	default:
		return writeTable(w, t)
	}
}

func writeJSON(w io.Writer, f format, v any) error {
	var b []byte
	var err error
	if f == formatJSONPretty {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func writeTable(w io.Writer, t table) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	writeRow(tw, t.header)
	for _, r := range t.rows {
		writeRow(tw, r)
	}
	return tw.Flush()
}

func writeRow(w io.Writer, cells []string) {
	clean := make([]string, len(cells))
	for i, c := range cells {
		clean[i] = sanitizeCell(c)
	}
	fmt.Fprintln(w, strings.Join(clean, "\t"))
}

// sanitizeCell makes a server-supplied value safe for one table cell. Client
// names, metadata and the like are chosen by whoever registered the client:
// a tab or newline would break the columns, and an escape sequence could
// rewrite the operator's terminal. Empty cells print as "-" so columns stay
// countable for awk and cut.
func sanitizeCell(s string) string {
	if s == "" {
		return "-"
	}
	return sanitizeLine(s)
}

// sanitizeLine replaces control characters (C0, DEL, C1, and Unicode
// format characters such as bidi overrides) with '?'.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
}

// list joins a list for one table cell.
func list(items []string) string { return strings.Join(items, ", ") }
