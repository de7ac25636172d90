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

const planUsage = `usage: esp plan <command> [flags]

commands:
  import --tenant NAME --name PLAN FILE.csv   import plan data from CSV as a new plan of the tenant; a bad row
                                              is reported with its line number and nothing is imported`

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
	in, path, err := openPlanCSV(e, pos[0])
	if err != nil {
		return err
	}
	defer in.Close()
	reader, err := plancsv.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return fmt.Errorf("plan import: %s: %w", path, err)
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows := &planCSVRows{reader: reader}
	p, err := lifecycle.NewPlans(st, time.Now).Import(ctx, *tenant, *name, rows.next)
	switch {
	case err != nil && rows.err != nil:
		return fmt.Errorf("plan import: %s: %w; nothing was imported", path, rows.err)
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

// openPlanCSV opens the file to import, or stdin for "-", and returns it
// with the name errors call it by.
func openPlanCSV(e env, path string) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(e.stdin), "stdin", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, fmt.Errorf("plan import: cannot open %s: %v", path, errors.Unwrap(err))
	}
	return f, path, nil
}

// planCSVRows feeds an import the rows of a plan CSV, counting them, and
// keeps an error of the file (as opposed to one of the database) in err.
type planCSVRows struct {
	reader *plancsv.Reader
	n      int
	err    error
}

// next reads the next row into r, or returns io.EOF after the last; a file
// with a header but no rows is an error.
func (p *planCSVRows) next(r *lifecycle.PlanRow) error {
	err := p.reader.Read(r)
	switch {
	case err == nil:
		p.n++
	case err == io.EOF && p.n == 0:
		p.err = errors.New("line 2: the file has a header but no rows")
	case err != io.EOF:
		p.err = err
	}
	if p.err != nil {
		return p.err
	}
	return err
}
