package store_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
)

// readPostgres reads the live schema of the PostgreSQL schema first on
// db's search_path.
func readPostgres(tb testing.TB, db *sql.DB) liveSchema {
	tb.Helper()
	s := liveSchema{}
	for _, t := range queryStrings(tb, db, `SELECT relname FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')`) {
		s[t[0]] = postgresTable(tb, db, t[0])
	}
	return s
}

// pgTableOID finds table $1 in the current schema.
const pgTableOID = `(SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`

// pgOnDelete names pg_constraint.confdeltype's actions as SQLite does.
var pgOnDelete = map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

func postgresTable(tb testing.TB, db *sql.DB, name string) []string {
	tb.Helper()
	var lines []string
	for _, c := range queryStrings(tb, db, `SELECT column_name, data_type, is_nullable, coalesce(column_default, '<none>'), is_identity
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, name) {
		dflt := sql.NullString{String: c[3], Valid: c[3] != "<none>"}
		identity := c[4] == "YES" || strings.HasPrefix(dflt.String, "nextval(")
		if identity {
			dflt = sql.NullString{}
		}
		lines = append(lines, column(c[0], commonType(c[1]), c[2] == "NO", dflt, identity))
	}
	for _, k := range queryStrings(tb, db, `SELECT contype, pg_get_constraintdef(oid),
			(SELECT string_agg(a.attname, ', ' ORDER BY k.i) FROM unnest(conkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n),
			coalesce((SELECT relname FROM pg_class WHERE oid = confrelid), ''),
			coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.i) FROM unnest(confkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n), ''),
			confdeltype
		FROM pg_constraint WHERE conrelid = `+pgTableOID, name) {
		switch k[0] {
		case "p":
			lines = append(lines, "primary key ("+k[2]+")")
		case "u":
			lines = append(lines, "unique ("+k[2]+")")
		case "c":
			lines = append(lines, "check "+normExpr(strings.TrimPrefix(k[1], "CHECK ")))
		case "f":
			lines = append(lines, foreignKey(k[2], k[3], k[4], pgOnDelete[k[5]]))
		default:
			lines = append(lines, "constraint "+k[1])
		}
	}
	lines = append(lines, postgresIndexes(tb, db, name)...)
	slices.Sort(lines)
	return lines
}

// postgresIndexes are the table's indexes but those of its primary key
// and unique constraints, read with the constraints.
func postgresIndexes(tb testing.TB, db *sql.DB, table string) []string {
	tb.Helper()
	var lines []string
	for _, ix := range queryStrings(tb, db, `SELECT c.relname, i.indisunique,
			(SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k)
				FROM generate_series(1, i.indnkeyatts) k),
			coalesce(pg_get_expr(i.indpred, i.indrelid, true), '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = `+pgTableOID+` AND NOT EXISTS (SELECT 1 FROM pg_constraint k
			WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))`, table) {
		var pred string
		if ix[3] != "" {
			pred = normExpr(ix[3])
		}
		lines = append(lines, index(ix[0], ix[1] == "true", strings.Split(ix[2], ", "), pred))
	}
	return lines
}
