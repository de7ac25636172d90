package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"esp/store"
)

// dataFolderNames are folder names that mean something in a URI: SQLite
// must still open the database inside the folder itself.
var dataFolderNames = []string{"dq#x", "dq?x=1", "dq%41", "dq%", "a b#c?d%e&f"}

func TestOpenKeepsTheDatabaseInsideAFolderWithURICharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range dataFolderNames {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			st, err := store.Open(ctx, dir)
			if err != nil {
				t.Fatalf("open %q: %v", name, err)
			}
			if _, err := st.CreateTenant(ctx, "acme", false, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				var got []string
				for _, e := range entries {
					got = append(got, e.Name())
				}
				t.Fatalf("beside the data folder: %q, want only %q", got, name)
			}
			fi, err := os.Stat(filepath.Join(dir, store.DBFile))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s: size %d, mode %v; want the database, 0600", store.DBFile, fi.Size(), fi.Mode().Perm())
			}

			again, err := store.OpenExisting(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if _, err := again.TenantByName(ctx, "acme"); err != nil {
				t.Fatalf("reopened database: %v", err)
			}
		})
	}
}
