package main

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"time"

	"esp/store"
)

// planHeader is the header of `esp plan import` files (and of the export).
const planHeader = "interval_start,interval,skill,scheduling_unit,volume,aht_seconds,fte_required,fte_planned,service_level_pct,asa_seconds,occupancy_pct\n"

// combosPerDay is skills × scheduling units: rows per interval_start.
const combosPerDay = 200

// writePlanCSV writes a plan file of n rows: one day per 200 rows, 20
// skills × 10 scheduling units, plausible numbers, built with strconv
// appends into one buffered writer.
func writePlanCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(planHeader)
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var date []byte
	b := make([]byte, 0, 256)
	for i := range n {
		d, combo := i/combosPerDay, i%combosPerDay
		if combo == 0 {
			date = day0.AddDate(0, 0, d).AppendFormat(date[:0], time.DateOnly)
		}
		b = append(b[:0], date...)
		b = append(b, ",day,skill-"...)
		b = strconv.AppendInt(b, int64(combo/10), 10)
		b = append(b, ",unit-"...)
		b = strconv.AppendInt(b, int64(combo%10), 10)
		b = append(b, ',')
		h := uint32(i)*2654435761 + 12345           // cheap deterministic spread
		b = strconv.AppendInt(b, int64(h%5000), 10) // volume
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(180+h%420), 10) // aht_seconds
		b = append(b, ',')
		b = appendTenths(b, int64(h%1200)) // fte_required
		b = append(b, ',')
		b = appendTenths(b, int64((h>>3)%1200)) // fte_planned
		b = append(b, ',')
		b = appendTenths(b, int64(700+(h>>5)%300)) // service_level_pct
		b = append(b, ',')
		b = strconv.AppendInt(b, int64((h>>7)%120), 10) // asa_seconds
		b = append(b, ',')
		b = appendTenths(b, int64(600+(h>>9)%350)) // occupancy_pct
		b = append(b, '\n')
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendTenths appends v/10 with one decimal ("12.5").
func appendTenths(b []byte, v int64) []byte {
	b = strconv.AppendInt(b, v/10, 10)
	return append(b, '.', byte('0'+v%10))
}

// insertFillerCredentials adds a tenant with n credentials, none of them
// due.
func insertFillerCredentials(ctx context.Context, st *store.Store, n int, now time.Time) error {
	t, err := st.CreateTenant(ctx, "bench-filler", true, now)
	if err != nil {
		return err
	}
	return st.SeedIdleCredentials(ctx, t.ID, n, now)
}

// insertDueActivations adds n tenants, each with one credential in Pending
// Activation due now (the state Generate leaves), in one transaction.
func insertDueActivations(ctx context.Context, st *store.Store, n int, now time.Time) error {
	return st.SeedDueActivations(ctx, "bench-due-", n, now, now.Add(24*time.Hour))
}
