// Package storage holds the errors and paging values that every store method
// shares. Where it sits: below everything. client, jwk, token and the other domain
// packages declare Store interfaces in terms of their own record types and
// these errors; storage/sqlstore implements all of them for SQLite,
// PostgreSQL and MySQL; storage/storetest proves it on each.
package storage
