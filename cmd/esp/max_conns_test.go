package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"esp/store/storetest"
)

// --database-max-conns (or ESP_DATABASE_MAX_CONNS) that is not a whole
// number from 1 to 10000 is refused by every command in one line, exit 2,
// before anything is opened or created.
func TestDatabaseMaxConnsRefusesBadValuesInOneLine(t *testing.T) {
	for _, bad := range []string{"0", "-3", "many", "1.5", "10001"} {
		for _, args := range [][]string{
			{"tenant", "add", "acme"},
			{"user", "list", "--tenant", "acme"},
			{"serve", "--addr", "127.0.0.1:0"},
		} {
			for _, how := range []string{"flag", "leading flag", "env"} {
				t.Run(bad+"/"+args[0]+"/"+how, func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "unused")
					var vars []string
					switch how {
					case "flag":
						args = append(args[:len(args):len(args)], "--database-max-conns", bad)
					case "leading flag":
						args = append([]string{"--database-max-conns=" + bad}, args...)
					default:
						vars = []string{"ESP_DATABASE_MAX_CONNS=" + bad}
					}
					code, _, stderr := execCLIEnv(t, dir, vars, "", args...)
					assertOneLineFailure(t, code, stderr, "--database-max-conns (or ESP_DATABASE_MAX_CONNS) must be a whole number from 1 to 10000")
					if code != 2 {
						t.Fatalf("exit %d, want 2", code)
					}
					if _, err := os.Stat(dir); !os.IsNotExist(err) {
						t.Fatalf("the data folder was created (%v)", err)
					}
				})
			}
		}
	}
}

// The pool of a command's PostgreSQL store is what --database-max-conns
// or its environment twin says, 16 unless told.
func TestDatabaseMaxConnsBoundsThePool(t *testing.T) {
	u := storetest.PostgresURL(t)
	for _, c := range []struct {
		env  map[string]string
		args []string
		want int
	}{
		{nil, nil, 16},
		{nil, []string{"--database-max-conns", "3"}, 3},
		{map[string]string{"ESP_DATABASE_MAX_CONNS": "5"}, nil, 5},
		{map[string]string{"ESP_DATABASE_MAX_CONNS": "5"}, []string{"--database-max-conns", "2"}, 2},
	} {
		e := env{getenv: func(k string) string { return c.env[k] }}
		fs, db := newFlags(e, "tenant")
		if _, err := parse(fs, append([]string{"--database-url", u}, c.args...), 0, "tenant"); err != nil {
			t.Fatal(err)
		}
		st, err := openStore(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		got := st.DB.Stats().MaxOpenConnections
		st.Close()
		if got != c.want {
			t.Errorf("env %v, args %v: pool of %d, want %d", c.env, c.args, got, c.want)
		}
	}
}
