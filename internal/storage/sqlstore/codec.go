package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeCol scans a time column of any dialect into UTC: SQLite hands back
// INTEGER microseconds, PostgreSQL and MySQL (parseTime) a time.Time.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*c.dst = time.UnixMicro(x).UTC()
	case time.Time:
		*c.dst = x.UTC()
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", v)
	}
	return nil
}

// nullTimeCol is timeCol for a nullable column: NULL leaves *dst nil.
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{dst: &t}).Scan(v); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// jsonText encodes v for a JSON text column. nil slices encode as null and
// empty ones as [], so both round-trip as they were.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode: %w", err)
	}
	return string(b), nil
}

// rawOrNil binds a json.RawMessage as text, or NULL when it is absent.
func rawOrNil(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// textOrNil stores "" as NULL: an optional text column, such as the DPoP
// key thumbprint of a token that is not bound to a key.
func textOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
