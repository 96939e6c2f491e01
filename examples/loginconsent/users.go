package main

import (
	"crypto/subtle"
	"slices"
)

// This file is the part you replace with your own user database. The rest
// of the app needs three things from it: check a user name and password,
// find a user by subject, and the claims a user shares for the scopes they
// granted.

// User is one account. Subject is what Signet puts in the ID token's "sub":
// it must never change and never be reused for another person, so use your
// database's immutable user id, not an e-mail address or a user name.
type User struct {
	Subject  string
	Username string
	Name     string
	Email    string

	// password is a DEMO shortcut: a real app never stores passwords, only
	// a slow salted hash (bcrypt, scrypt or argon2id) that it checks with
	// the hashing library's compare function.
	password string
}

// Users is an in-memory user store with fixed demo accounts.
type Users struct {
	list []User
}

// demoUsers are listed on the login page so anyone can try the app.
func demoUsers() *Users {
	return &Users{list: []User{
		{Subject: "u-1001", Username: "alice", Name: "Alice Liddell", Email: "alice@example.com", password: "wonderland"},
		{Subject: "u-1002", Username: "bob", Name: "Bob Builder", Email: "bob@example.com", password: "canwefixit"},
	}}
}

// Check returns the user whose user name and password match. The password
// comparison does not stop at the first differing byte, and an unknown
// user name is compared against a dummy too, so response times do not tell
// a stranger which user names exist.
func (u *Users) Check(username, password string) (User, bool) {
	found, known := User{password: "dummy password that is never accepted"}, false
	for _, user := range u.list {
		if user.Username == username {
			found, known = user, true
		}
	}
	match := subtle.ConstantTimeCompare([]byte(password), []byte(found.password)) == 1
	return found, match && known
}

// BySubject finds the user Signet names in a consent request.
func (u *Users) BySubject(subject string) (User, bool) {
	i := slices.IndexFunc(u.list, func(user User) bool { return user.Subject == subject })
	if i < 0 {
		return User{}, false
	}
	return u.list[i], true
}

// IDTokenClaims are the claims the user shares with the client for the
// granted scopes, following OpenID Connect Core section 5.4: "email" gives
// email and email_verified, "profile" gives name and preferred_username.
// A claim whose scope was not granted is left out. Signet adds these to the
// ID token and answers them from /userinfo; they can never replace sub,
// iss, aud or the other claims Signet sets itself.
func (u User) IDTokenClaims(granted []string) map[string]any {
	claims := map[string]any{}
	if slices.Contains(granted, "email") {
		claims["email"] = u.Email
		claims["email_verified"] = true // demo: a real app says whether it verified the address
	}
	if slices.Contains(granted, "profile") {
		claims["name"] = u.Name
		claims["preferred_username"] = u.Username
	}
	return claims
}

// DemoHint lists the demo accounts for the login page.
func (u *Users) DemoHint() string {
	hint := ""
	for i, user := range u.list {
		if i > 0 {
			hint += ", "
		}
		hint += user.Username + " / " + user.password
	}
	return hint
}
