package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

// cmdPlanImport loads a CSV file into a new plan of a tenant, all or
// nothing: a bad row is reported with its line number and nothing is
// imported.
func cmdPlanImport(ctx context.Context, e env, args []string) error {
	const shape = "plan import --tenant NAME --name PLAN FILE.csv"
	fs, db := newFlags(e, "plan import")
	tenant := fs.String("tenant", "", "the tenant the plan belongs to")
	name := fs.String("name", "", "the new plan's name")
	pos, err := parse(fs, args, 1, shape)
	if err != nil {
		return err
	}
	if *tenant == "" || *name == "" {
		return usageError{"plan import: --tenant and --name are required (usage: esp " + shape + ")"}
	}
	if err := lifecycle.CheckName(lifecycle.PlanName, *name); err != nil {
		return usageError{"plan import: --name: " + lifecycle.ErrorMessage(err)}
	}
	path := pos[0]
	var in io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("plan import: cannot open %s: %v", path, errors.Unwrap(err))
		}
		defer f.Close()
		in = f
	} else {
		path = "stdin"
	}
	rows, err := plancsv.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return fmt.Errorf("plan import: %s: %w", path, err)
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	var rowErr error // an error of the file, as opposed to one of the database
	n := 0
	next := func(r *lifecycle.PlanRow) error {
		err := rows.Read(r)
		switch {
		case err == nil:
			n++
		case err == io.EOF && n == 0:
			rowErr = errors.New("line 2: the file has a header but no rows")
		case err != io.EOF:
			rowErr = err
		}
		if rowErr != nil {
			return rowErr
		}
		return err
	}
	p, err := lifecycle.NewPlans(st, time.Now).Import(ctx, *tenant, *name, next)
	switch {
	case err != nil && rowErr != nil:
		return fmt.Errorf("plan import: %s: %w; nothing was imported", path, rowErr)
	case lifecycle.ErrorCode(err) == lifecycle.NotFound:
		return fmt.Errorf("plan import: unknown tenant %q", *tenant)
	case lifecycle.ErrorCode(err) == lifecycle.Conflict:
		return fmt.Errorf("plan import: tenant %q already has a plan named %q", *tenant, *name)
	case err != nil:
		return fmt.Errorf("plan import: %w", err)
	}
	fmt.Fprintf(e.stdout, "imported %d rows into plan %q (id %d)\n", p.Rows, p.Name, p.ID)
	return nil
}
