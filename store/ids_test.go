package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// idTables are the tables whose ids leave the process (in events, the
// audit trail, URLs and API answers), with an insert of one row each: $1
// is a text unique to the row.
var idTables = []struct {
	table, insert string
}{
	{"tenants", `INSERT INTO tenants (name, created_at) VALUES ('t' || $1, 0)`},
	{"users", `INSERT INTO users (tenant_id, username, password_hash, created_at)
		VALUES ((SELECT min(id) FROM tenants), 'u' || $1, 'x', 0)`},
	{"credentials", `INSERT INTO credentials (tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
		created_at, changed_at) VALUES ((SELECT min(id) FROM tenants), 'deactivated', 'ESPAK' || $1,
		$2, 'AAAA', 'aaaa', 0, 0)`},
	{"audit", `INSERT INTO audit (at, tenant_id, actor, action) VALUES (0, 1, 'test', 'test' || $1)`},
	{"plans", `INSERT INTO plans (tenant_id, name, created_at) VALUES ((SELECT min(id) FROM tenants), 'p' || $1, 0)`},
}

var idSeq int

func insertID(tb testing.TB, db *sql.DB, q string) int64 {
	tb.Helper()
	idSeq++
	args := []any{fmt.Sprint(idSeq)}
	if strings.Contains(q, "$2") {
		args = append(args, tokenHash(fmt.Sprint(idSeq))) // 32 bytes
	}
	var id int64
	if err := db.QueryRow(q+` RETURNING id`, args...).Scan(&id); err != nil {
		tb.Fatalf("%.60s: %v", q, err)
	}
	return id
}

// Deleting a table's highest row does not hand its id to the next insert.
func TestIdsAreNotReusedAfterDeletingTheHighestRow(t *testing.T) {
	st, _, _ := openPlanStore(t)
	for _, tc := range idTables {
		t.Run(tc.table, func(t *testing.T) {
			insertID(t, st.DB, tc.insert)
			highest := insertID(t, st.DB, tc.insert)
			if _, err := st.DB.Exec(`DELETE FROM `+tc.table+` WHERE id = $1`, highest); err != nil {
				t.Fatal(err)
			}
			if next := insertID(t, st.DB, tc.insert); next <= highest {
				t.Fatalf("%s: the next id is %d after deleting id %d", tc.table, next, highest)
			}
		})
	}
}

// A database an older ESP left (ids without AUTOINCREMENT) keeps every row
// and every rule through the migration, and its next ids follow the highest
// ever given, also those only the audit trail still remembers.
func TestMigrationMakesIdsMonotonicAndKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), store.DBFile)
	old, err := store.OpenFileMigratedTo(ctx, path, "0006_change_counter.sql")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	// Raw SQL throughout: the current store's statements name later columns.
	var acmeID, globexID int64
	for _, tenant := range []struct {
		id        *int64
		name      string
		publicAPI bool
	}{{&acmeID, "acme", true}, {&globexID, "globex", false}} {
		if err := old.QueryRow(`INSERT INTO tenants (name, public_api, created_at) VALUES (?1, ?2, ?3) RETURNING id`,
			tenant.name, tenant.publicAPI, now.UnixNano()).Scan(tenant.id); err != nil {
			t.Fatal(err)
		}
	}
	var aliceID int64
	if err := old.QueryRow(`INSERT INTO users (tenant_id, username, password_hash, is_admin, created_at)
		VALUES (?1, 'alice', 'hash', 1, ?2) RETURNING id`, acmeID, now.UnixNano()).Scan(&aliceID); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)`,
		tokenHash("session"), aliceID, now.UnixNano()); err != nil {
		t.Fatal(err)
	}
	planID := insertID(t, old, `INSERT INTO plans (tenant_id, name, created_at) VALUES ((SELECT min(id) FROM tenants), 'Plan' || $1, 0)`)
	for i := range 3 {
		if _, err := old.Exec(`INSERT INTO plan_rows (plan_id, line) VALUES (?1, ?2)`, planID,
			fmt.Sprintf("2027-01-0%d,day,Billing,Manila,%d,300,1.50,1.5,80,20,85", i+4, i)); err != nil {
			t.Fatal(err)
		}
	}
	kept := oldCredential(t, old, acmeID, "ESPAKKEPT", now)
	if _, err := old.Exec(`INSERT INTO api_tokens (hash, credential_id, tenant_id, created_at, expires_at)
		VALUES (?1, ?2, ?3, ?4, ?5)`, tokenHash("tok"), kept.ID, acmeID, now.UnixNano(), now.Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	// globex's credential is the newest, deactivated and purged: only the
	// audit trail still names its id.
	purged := oldCredential(t, old, globexID, "ESPAKPURGED", now.Add(time.Nanosecond))
	for _, q := range []string{
		`UPDATE credentials SET status = 'deactivated', deactivated_at = ?2 WHERE id = ?1`,
		`INSERT INTO audit (at, tenant_id, credential_id, actor, action, from_status)
			SELECT ?2, tenant_id, id, 'test', 'purge', status FROM credentials WHERE id = ?1`,
		`DELETE FROM credentials WHERE id = ?1`,
	} {
		if _, err := old.Exec(q, purged.ID, now.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	before := dumpTables(t, old)
	old.Close()

	migrated, err := store.OpenFileMigratedTo(ctx, path, "0007_monotonic_ids.sql")
	if err != nil {
		t.Fatal(err)
	}
	after := dumpTables(t, migrated)
	migrated.Close()
	if after != before {
		t.Fatalf("rows changed by the migration:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	st, err := store.OpenFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	next := newCredential(t, st, globexID, now.Add(2*time.Nanosecond))
	if next.ID <= purged.ID {
		t.Fatalf("new credential id %d after purged id %d", next.ID, purged.ID)
	}
	if trail := storetest.AuditTrail(t, st, globexID, next.ID); len(trail) != 1 || trail[0].Action != "generate" {
		t.Fatalf("the new credential's trail is %+v, want its generate only", trail)
	}

	// The rules hold on the rebuilt tables: one live credential per tenant,
	// CHECKs, foreign keys with their actions, the change counter.
	h := sha256.Sum256([]byte("x"))
	_, err = st.InsertCredential(ctx, lifecycle.Credential{TenantID: acmeID, Status: "pending_activation", AccessKey: "ESPAKSECOND",
		SecretHash: h[:], AccessLast4: "COND", SecretLast4: "xxxx", CreatedAt: now}, "test", "generate")
	if !errors.Is(err, lifecycle.ErrConflict) {
		t.Fatalf("a second live credential: %v, want ErrConflict", err)
	}
	for _, q := range []string{
		`UPDATE credentials SET status = 'bogus' WHERE id = ` + fmt.Sprint(kept.ID),
		`INSERT INTO users (tenant_id, username, password_hash, created_at) VALUES (999, 'bob', 'x', 0)`,
		`INSERT INTO plans (tenant_id, name, created_at, interval) VALUES (1, 'bad', 0, 'hour')`,
		`INSERT INTO tenants (name, created_at) VALUES ('acme', 0)`,
	} {
		if _, err := st.DB.Exec(q); !store.IsConstraint(err) {
			t.Errorf("%.60s: %v, want a constraint error", q, err)
		}
	}
	counter, _ := st.ChangeCounter(ctx)
	if err := st.SetPublicAPI(ctx, "globex", true); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.ChangeCounter(ctx); c <= counter {
		t.Fatalf("changing a tenant left the change counter at %d", c)
	}
	if _, err := st.DB.Exec(`DELETE FROM credentials WHERE id = $1`, kept.ID); err != nil {
		t.Fatal(err)
	}
	var current sql.NullInt64
	st.DB.QueryRow(`SELECT current_credential_id FROM tenants WHERE id = $1`, acmeID).Scan(&current)
	if current.Valid {
		t.Fatalf("tenant still points at deleted credential %d", current.Int64)
	}
}

// oldCredential inserts an Activated credential and its generate audit row
// as the schema of migration 0006 has them, and makes it its tenant's
// current one.
func oldCredential(tb testing.TB, db *sql.DB, tenantID int64, accessKey string, now time.Time) lifecycle.Credential {
	tb.Helper()
	h := sha256.Sum256([]byte("secret"))
	c := lifecycle.Credential{TenantID: tenantID, AccessKey: accessKey}
	err := db.QueryRow(`INSERT INTO credentials (tenant_id, status, access_key, secret_hash, access_last4, secret_last4, created_at, changed_at)
		VALUES ($1, 'activated', $2, $3, 'TEST', 'cret', $4, $5) RETURNING id`, tenantID, accessKey, h[:], now.UnixNano(), now.UnixNano()).Scan(&c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE tenants SET current_credential_id = ?2 WHERE id = ?1`,
		`INSERT INTO audit (at, tenant_id, credential_id, actor, action, to_status) VALUES (?3, ?1, ?2, 'test', 'generate', 'pending_activation')`,
	} {
		if _, err := db.Exec(q, tenantID, c.ID, now.UnixNano()); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// dumpTables renders every row of the tables the migration touches or
// whose rows reference them.
func dumpTables(tb testing.TB, db *sql.DB) string {
	tb.Helper()
	var out string
	for _, table := range []string{"tenants", "users", "credentials", "audit", "plans", "plan_rows", "api_tokens", "sessions"} {
		rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		out += fmt.Sprintf("== %s %v\n", table, cols)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			out += fmt.Sprintf("%v\n", vals)
		}
		rows.Close()
	}
	return out
}
