package store_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A liveSchema is a database's schema in words both backends share: for
// each table, one line per fact (a column with its type, nullability and
// default, the primary key, each index, CHECK and foreign key).
type liveSchema map[string][]string

// commonType is a column type in the shared vocabulary.
func commonType(t string) string {
	switch t = strings.ToLower(t); t {
	case "integer", "bigint", "smallint", "int":
		return "int"
	case "text", "character varying", "varchar":
		return "text"
	case "blob", "bytea":
		return "bytes"
	case "boolean":
		return "bool"
	}
	return t
}

// column is a column's line: "name type[ not null][ default X][ identity]".
func column(name, typ string, notNull bool, dflt sql.NullString, identity bool) string {
	s := name + " " + typ
	if notNull {
		s += " not null"
	}
	if dflt.Valid {
		s += " default " + normExpr(dflt.String)
	}
	if identity {
		s += " identity"
	}
	return s
}

// queryStrings runs q and scans each row's columns as strings ("" for
// NULL).
func queryStrings(tb testing.TB, db *sql.DB, q string, args ...any) [][]string {
	tb.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

var (
	autoincrement = regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`)
	withoutRowid  = regexp.MustCompile(`(?i)\bWITHOUT\s+ROWID\b`)
	indexWhere    = regexp.MustCompile(`(?is)\bWHERE\b(.*)$`)
	zeroOrOne     = regexp.MustCompile(`^(\w+) in \(0, 1\)$`)
)

// readSQLite reads the live schema of a SQLite database, its own
// sqlite_% tables left out.
func readSQLite(tb testing.TB, db *sql.DB) liveSchema {
	tb.Helper()
	s := liveSchema{}
	for _, t := range queryStrings(tb, db, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`) {
		s[t[0]] = sqliteTable(tb, db, t[0], t[1])
	}
	return s
}

func sqliteTable(tb testing.TB, db *sql.DB, name, create string) []string {
	tb.Helper()
	var lines, boolCols []string
	for _, c := range checks(create) {
		c = normExpr(c)
		if m := zeroOrOne.FindStringSubmatch(c); m != nil {
			boolCols = append(boolCols, m[1]) // SQLite's boolean: an integer that is 0 or 1
			continue
		}
		lines = append(lines, "check "+c)
	}
	cols := queryStrings(tb, db, `SELECT name, type, "notnull", coalesce(dflt_value, '<none>'), pk
		FROM pragma_table_info($1) ORDER BY cid`, name)
	var pk []string
	for _, c := range cols {
		if c[4] != "0" {
			pk = append(pk, c[4]+"\x00"+c[0])
		}
	}
	slices.Sort(pk)
	for i := range pk {
		pk[i] = pk[i][strings.IndexByte(pk[i], 0)+1:]
	}
	// A single INTEGER PRIMARY KEY of a rowid table is the rowid: never
	// NULL, and given anew (never again, with AUTOINCREMENT) when left out.
	rowid := len(pk) == 1 && !withoutRowid.MatchString(create)
	for _, c := range cols {
		typ, notNull := commonType(c[1]), c[2] == "1"
		dflt := sql.NullString{String: c[3], Valid: c[3] != "<none>"}
		if slices.Contains(boolCols, c[0]) && typ == "int" {
			typ = "bool"
			dflt.String = map[string]string{"0": "false", "1": "true"}[dflt.String]
		}
		isRowid := rowid && c[0] == pk[0] && strings.EqualFold(c[1], "integer")
		identity := isRowid && autoincrement.MatchString(create)
		lines = append(lines, column(c[0], typ, notNull || isRowid, dflt, identity))
	}
	if len(pk) > 0 {
		lines = append(lines, "primary key ("+strings.Join(pk, ", ")+")")
	}
	lines = append(lines, sqliteIndexes(tb, db, name)...)
	for _, fk := range queryStrings(tb, db, `SELECT "from", "table", coalesce("to", ''), on_delete
		FROM pragma_foreign_key_list($1) ORDER BY id, seq`, name) {
		lines = append(lines, foreignKey(fk[0], fk[1], fk[2], fk[3]))
	}
	slices.Sort(lines)
	return lines
}

func sqliteIndexes(tb testing.TB, db *sql.DB, table string) []string {
	tb.Helper()
	var lines []string
	for _, ix := range queryStrings(tb, db, `SELECT l.name, l."unique", l.origin, coalesce(s.sql, '')
		FROM pragma_index_list($1) l LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = l.name`, table) {
		if ix[2] == "pk" {
			continue // the primary key's, read from the columns
		}
		var cols []string
		for _, c := range queryStrings(tb, db, `SELECT coalesce(name, '<expr>') FROM pragma_index_info($1) ORDER BY seqno`, ix[0]) {
			cols = append(cols, c[0])
		}
		if ix[2] == "u" {
			lines = append(lines, "unique ("+strings.Join(cols, ", ")+")")
			continue
		}
		var pred string
		if m := indexWhere.FindStringSubmatch(ix[3]); m != nil {
			pred = normExpr(m[1])
		}
		lines = append(lines, index(ix[0], ix[1] == "1", cols, pred))
	}
	return lines
}

// index is an index's line: "[unique ]index name (cols)[ where pred]".
func index(name string, unique bool, cols []string, pred string) string {
	s := "index " + name + " (" + strings.Join(cols, ", ") + ")"
	if unique {
		s = "unique " + s
	}
	if pred != "" {
		s += " where " + pred
	}
	return s
}

// foreignKey is a foreign key's line: "foreign key col -> table.col on
// delete action".
func foreignKey(from, table, to, onDelete string) string {
	return fmt.Sprintf("foreign key %s -> %s.%s on delete %s", from, table, to, strings.ToLower(onDelete))
}
