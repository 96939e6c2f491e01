package sqlstore

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/signet-oidc/signet/internal/storage"
)

// PostgreSQL refuses text that is not UTF-8 or that holds a NUL byte
// (SQLSTATE 22021), both when storing it and when comparing a column with
// it, and strangers can send such strings (a Basic client_id of %FF, an
// admin path of %00). The store therefore screens text values before any
// statement, on every dialect, so the three answer alike and a lookup with
// such a value is a plain miss rather than a driver error:
//   - a lookup or delete finds nothing (storage.ErrNotFound), since no
//     stored row can hold the value;
//   - a listing filter matches nothing, and a page token that decodes to
//     such a value is storage.ErrBadPageToken;
//   - a write is refused with storage.ErrInvalidValue.

// storable reports whether s can be stored and compared as text.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// storableBytes is storable for a text column bound from bytes.
func storableBytes(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// MaxIDLen is the longest identifier (client_id, request and session ids,
// verifier keys) the schema holds, in bytes: MySQL keys them as
// VARBINARY(255), and the other dialects are held to the same bound so the
// three answer alike.
const MaxIDLen = 255

// storableID is storable for an identifier column, length included.
func storableID(s string) bool { return len(s) <= MaxIDLen && storable(s) }

// textCol is one text value a write binds, already screened.
type textCol struct {
	name string
	ok   bool
	why  string
}

const (
	whyText = "must be UTF-8 without NUL bytes"
	whyID   = "must be UTF-8 without NUL bytes and at most 255 bytes"
)

func text(name, v string) textCol { return textCol{name: name, ok: storable(v), why: whyText} }
func textBytes(name string, v []byte) textCol {
	return textCol{name: name, ok: storableBytes(v), why: whyText}
}
func ident(name, v string) textCol { return textCol{name: name, ok: storableID(v), why: whyID} }

// checkText refuses a write whose text columns cannot be stored. The value
// is left out of the message: it is unprintable by definition and may be
// long.
func checkText(op string, cols ...textCol) error {
	for _, c := range cols {
		if !c.ok {
			return fmt.Errorf("sqlstore: %s: %w: %s %s", op, storage.ErrInvalidValue, c.name, c.why)
		}
	}
	return nil
}
