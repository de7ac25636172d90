package store_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cachedTables are the tables whose rows the web requests' cached lookups
// read (sessions with their user and tenant, tokens' credentials,
// plan lists). Every column of theirs either bumps the change counter when
// it changes, by the table's update trigger, or is named here with the
// reason a change of it cannot make a cached answer wrong. A column added
// by a later migration is neither until someone decides: this test fails
// until they do.
var cachedTables = map[string]map[string]string{
	"sessions": {
		"last_seen_at": "a cached copy may only be older than the database's; touches update it, entries expire",
	},
	"users":   {},
	"tenants": {},
	"plans":   {},
	"credentials": {
		"last_used_at":     "written on use without bumping, at most once a minute; this store's touches update the cached current credential, other processes' are seen within readCacheMaxAge",
		"claim":            "the scheduler's lease token; no cached answer reads it (claims also move due_at, which bumps)",
		"generate_request": "only Generate's own uncached lookup reads it",
		"pending_action":   "written only by the statements that also set status and due_at, which bump",
		"expires_at":       "written once, by the insert of the credential (which bumps), and never changed",
	},
}

var updateOf = regexp.MustCompile(`(?is)AFTER\s+UPDATE\s+(?:OF\s+(.*?)\s+)?ON\s+(\w+)`)

func TestEveryCachedColumnInvalidatesOrIsDeclaredHarmless(t *testing.T) {
	st, _, _ := openSQLitePlanStore(t) // the read cache is SQLite's
	for table, harmless := range cachedTables {
		var cols []string
		rows, err := st.DB.Query(`SELECT name FROM pragma_table_info($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			cols = append(cols, c)
		}
		rows.Close()
		if len(cols) == 0 {
			t.Fatalf("no table %s", table)
		}
		var updateSQL string
		triggers, err := st.DB.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1`, table)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for triggers.Next() {
			var name, sql string
			triggers.Scan(&name, &sql)
			if !strings.Contains(sql, "change_counter") {
				continue
			}
			switch {
			case updateOf.MatchString(sql):
				updateSQL = sql
				kinds = append(kinds, "update")
			case strings.Contains(strings.ToUpper(sql), "AFTER DELETE"):
				kinds = append(kinds, "delete")
			}
		}
		triggers.Close()
		for _, k := range []string{"update", "delete"} {
			if !slices.Contains(kinds, k) {
				t.Errorf("%s: no change-counter trigger after %s", table, k)
			}
		}
		if updateSQL == "" {
			continue
		}
		m := updateOf.FindStringSubmatch(updateSQL)
		var watched []string // empty: every column
		for _, c := range strings.Split(m[1], ",") {
			if c = strings.TrimSpace(c); c != "" {
				watched = append(watched, c)
			}
		}
		for _, c := range cols {
			_, declared := harmless[c]
			bumps := len(watched) == 0 || slices.Contains(watched, c)
			switch {
			case bumps && declared:
				t.Errorf("%s.%s is declared harmless but its trigger watches it: drop one", table, c)
			case !bumps && !declared:
				t.Errorf("%s.%s neither bumps the change counter nor is declared harmless: add it to the trigger's column list in a new migration, or to cachedTables with the reason", table, c)
			}
		}
		for c := range harmless {
			if !slices.Contains(cols, c) {
				t.Errorf("%s.%s is declared harmless but does not exist", table, c)
			}
		}
	}
}
