package main

import (
	"context"
	"testing"

	"esp/store"
	"esp/store/storetest"
)

// replicaDatabaseURL is a fresh, empty schema of the test database.
func replicaDatabaseURL(t *testing.T) string { return storetest.PostgresURL(t) }

// replicaDB is the one database the replicas of a test share.
type replicaDB struct{ url string }

func (d replicaDB) args() []string { return []string{"--database-url", d.url} }

// open is a store on the database, for seeding and checking rows; it is
// closed when the test ends.
func (d replicaDB) open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), d.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
