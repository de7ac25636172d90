package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
)

// PlanBlockEnd exposes the export's block bounds to the tests.
// Its query is SQL both backends accept, though only SQLite's export runs
// it.
func (s *Store) PlanBlockEnd(ctx context.Context, planID, after int64) (int64, bool, error) {
	return (&sqliteDialect{read: s.read}).planBlockEnd(ctx, planID, after)
}

// OpenFileMigratedTo opens the database at path with the migrations up to
// and including last only, as an older ESP left it, and returns its writer
// for raw SQL: the store's statements name later columns.
func OpenFileMigratedTo(ctx context.Context, path, last string) (*sql.DB, error) {
	s := &Store{path: path}
	db, err := s.openWriter(ctx)
	if err != nil {
		return nil, err
	}
	s.DB = db
	if err := s.migrate(ctx, last); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Readers exposes the reader pool to the tests.
func (s *Store) Readers() *sql.DB { return s.read }

// EachPlanLine walks a plan line by line: the reference the tests hold
// EachPlanChunk's blocks against.
func (s *Store) EachPlanLine(ctx context.Context, planID int64, fn func(line []byte) error) error {
	buf := make([]byte, 0, eachChunk*128)
	ends := make([]int, 0, eachChunk)
	after := int64(0)
	for {
		var err error
		buf, ends, after, err = s.planLinesAfter(ctx, planID, after, eachChunk, buf[:0], ends[:0])
		if err != nil {
			return err
		}
		start := 0
		for _, end := range ends {
			if err := fn(buf[start:end]); err != nil {
				return err
			}
			start = end
		}
		if len(ends) < eachChunk {
			return nil
		}
	}
}

// planLinesAfter appends up to limit lines of the plan after afterID to
// buf, each with its line end, and where each ends to ends; it returns the
// id of the last row read.
func (s *Store) planLinesAfter(ctx context.Context, planID, afterID int64, limit int, buf []byte, ends []int) ([]byte, []int, int64, error) {
	rows, err := s.read.QueryContext(ctx, planLinesAfter, planID, afterID, limit)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("store: rows of plan %d: %w", planID, err)
	}
	defer rows.Close()
	var line sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&afterID, &line); err != nil {
			return nil, nil, 0, fmt.Errorf("store: rows of plan %d: %w", planID, err)
		}
		buf = append(append(buf, line...), '\n')
		ends = append(ends, len(buf))
	}
	return buf, ends, afterID, rows.Err()
}

// OnPostgresMigration makes fn hear of each migration OpenPostgres applies,
// inside the migration's transaction, until the test ends.
func OnPostgresMigration(tb testing.TB, fn func(name string)) {
	migrationApplied = fn
	tb.Cleanup(func() { migrationApplied = nil })
}
