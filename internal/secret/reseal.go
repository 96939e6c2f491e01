package secret

import "crypto/subtle"

// Re-encryption finishes a rotation of secrets.system: once a new secret is
// first in the list, values sealed before are opened with the old one and
// sealed again with the new one, after which the old secret can go.

// Reseal returns sealed encrypted with the first secret and true, or
// sealed itself and false when the first secret sealed it already (and it
// opens), so a second pass writes nothing. aad must be what sealed it.
// ErrOpen when no configured secret opens it.
func (k *Keyring) Reseal(sealed, aad []byte) ([]byte, bool, error) {
	if k.sealedByFirst(sealed, aad) {
		return sealed, false, nil
	}
	plain, err := k.Open(sealed, aad)
	if err != nil {
		return nil, false, err
	}
	defer clear(plain)
	out, err := k.Seal(plain, aad)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// sealedByFirst reports whether sealed carries the first secret's id and
// opens with it.
func (k *Keyring) sealedByFirst(sealed, aad []byte) bool {
	aead := k.aeads[0]
	ns := aead.NonceSize()
	if len(sealed) < 5+ns || sealed[0] != sealVersion || subtle.ConstantTimeCompare(sealed[1:5], k.ids[0][:]) != 1 {
		return false
	}
	plain, err := aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], aad)
	clear(plain)
	return err == nil
}

// ResealCount tallies one re-encryption pass over stored values.
type ResealCount struct {
	// Checked values were read.
	Checked int
	// Resealed values were re-encrypted with the first secret and stored.
	Resealed int
	// Current values were sealed with the first secret already.
	Current int
	// Raced values changed between read and write (an admin change, say)
	// and were left to that writer; a second pass picks them up.
	Raced int
	// Unreadable values open with no configured secret. They are left as
	// they are: removing a secret cannot make them worse, but they show
	// that a secret was removed too early.
	Unreadable int
}

// Add returns the sum of two counts.
func (c ResealCount) Add(o ResealCount) ResealCount {
	return ResealCount{Checked: c.Checked + o.Checked, Resealed: c.Resealed + o.Resealed,
		Current: c.Current + o.Current, Raced: c.Raced + o.Raced, Unreadable: c.Unreadable + o.Unreadable}
}

// ResealReport receives what a re-encryption pass finds, as it goes. A nil
// func ignores that news.
type ResealReport struct {
	// OnProgress gets the running total after each batch.
	OnProgress func(total ResealCount)
	// OnUnreadable gets each value no configured secret opens, named for
	// the operator (`key "k1" of set "s"`); never the value itself.
	OnUnreadable func(what string)
}

// Progress calls OnProgress if set.
func (r ResealReport) Progress(total ResealCount) {
	if r.OnProgress != nil {
		r.OnProgress(total)
	}
}

// Unreadable calls OnUnreadable if set.
func (r ResealReport) Unreadable(what string) {
	if r.OnUnreadable != nil {
		r.OnUnreadable(what)
	}
}
