package storetest

import "testing"

func TestWithSearchPathSetsTheSchemaOfEitherForm(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://esp@127.0.0.1:5432/esp_test?sslmode=disable": "postgres://esp@127.0.0.1:5432/esp_test?search_path=esp_t_x&sslmode=disable",
		"postgresql://u:p@h/db":                                  "postgresql://u:p@h/db?search_path=esp_t_x",
		"postgres://h/db?search_path=other":                      "postgres://h/db?search_path=esp_t_x",
		"host=h dbname=db":                                       "host=h dbname=db search_path=esp_t_x",
	} {
		if got := withSearchPath(t, in, "esp_t_x"); got != want {
			t.Errorf("withSearchPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackendIsSQLiteUnlessPostgresIsNamed(t *testing.T) {
	t.Setenv(BackendEnv, "")
	if b := Backend(t); b != SQLite {
		t.Fatalf("unset: %q", b)
	}
	t.Setenv(BackendEnv, "postgres")
	if b := Backend(t); b != Postgres {
		t.Fatalf("postgres: %q", b)
	}
}
