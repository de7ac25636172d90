package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store"
	"esp/store/storetest"
)

// The behaviour both backends must share where processes (servers on one
// SQLite folder, replicas on one PostgreSQL database) meet on the same rows.

func liveCredential(tenantID int64, key string, now time.Time) lifecycle.Credential {
	h := sha256.Sum256([]byte(key))
	return lifecycle.Credential{TenantID: tenantID, Status: lifecycle.PendingActivation, AccessKey: key,
		SecretHash: h[:], AccessLast4: key[len(key)-4:], SecretLast4: "cret", CreatedAt: now,
		DueAt: now, DeadlineAt: now.Add(time.Hour), PendingAction: lifecycle.ActionActivate}
}

// 50 Generates of one tenant at once, on a pool of connections: the
// database's one-live-credential index lets one through, and every other
// is the conflict error (not a failure of the database).
func TestConcurrentInsertCredentialsLeaveOneLive(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	const callers = 50
	start := make(chan struct{})
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			_, err := st.InsertCredential(ctx, liveCredential(acme.ID, fmt.Sprintf("ESPAKCONCURRENT%04d", i), now), "test", "generate")
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lifecycle.ErrConflict):
			t.Errorf("err = %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 || count(t, st, "credentials") != 1 {
		t.Fatalf("%d inserts won, %d credentials stored; want exactly one", won, count(t, st, "credentials"))
	}
	if n := count(t, st, "audit"); n != 1 {
		t.Fatalf("%d audit rows, want the winner's only", n)
	}
}

// The schema's rules are the database's on both backends, and breaking one
// is a constraint error; deleting a credential clears its tenant's current
// credential.
func TestSchemaRulesAreConstraintErrors(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	if _, err := st.InsertCredential(ctx, liveCredential(acme.ID, "ESPAKSECOND", now), "test", "generate"); !errors.Is(err, lifecycle.ErrConflict) {
		t.Fatalf("a second live credential: %v, want ErrConflict", err)
	}
	for _, q := range []string{
		`UPDATE credentials SET status = 'bogus' WHERE id = ` + fmt.Sprint(c.ID),                                      // CHECK
		`INSERT INTO users (tenant_id, username, password_hash, created_at) VALUES (999, 'bob', 'x', 0)`,              // FK
		`INSERT INTO plans (tenant_id, name, created_at, interval) VALUES (` + fmt.Sprint(acme.ID) + `, 'b', 0, 'h')`, // CHECK
		`INSERT INTO tenants (name, created_at) VALUES ('acme', 0)`,                                                   // UNIQUE
		`INSERT INTO tenants (name, created_at) VALUES ('', 0)`,                                                       // CHECK
		`INSERT INTO token_keys (id, mac_key, signs_from) SELECT 0, secret_hash, 0 FROM credentials`,                  // CHECK
		`INSERT INTO token_keys (id, mac_key, signs_from) SELECT 1, secret_hash || secret_hash, 0 FROM credentials`,   // CHECK
	} {
		if _, err := st.DB.Exec(q); !store.IsConstraint(err) {
			t.Errorf("%.70s: %v, want a constraint error", q, err)
		}
	}
	if _, err := st.DB.Exec(`DELETE FROM credentials WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	var current sql.NullInt64
	if err := st.DB.QueryRow(`SELECT current_credential_id FROM tenants WHERE id = $1`, acme.ID).Scan(&current); err != nil || current.Valid {
		t.Fatalf("tenant's current credential after the delete: %v, %v; want NULL", current, err)
	}
}

// dueRows gives each of n new tenants one credential due at now.
func dueRows(tb testing.TB, st *store.Store, n int, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	for i := range n {
		tn, err := st.CreateTenant(ctx, fmt.Sprintf("due-%04d", i), true, now)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.InsertCredential(ctx, liveCredential(tn.ID, fmt.Sprintf("ESPAKDUE%04d", i), now), "test", "generate"); err != nil {
			tb.Fatal(err)
		}
	}
}

// A batch of claims holds exactly where each row is still as its claim
// read it: a stale due time, a wrong status or an unknown id holds
// nothing and changes nothing; only the first claim listed for a
// credential is tried (a later, good one for the stale row holds nothing,
// and a repeat counts no second attempt); the claims that hold come back
// in the order asked, each row moved on to its own lease with the attempt
// counted and a fresh token.
func TestClaimDueHoldsOnlyWhereTheRowIsAsClaimed(t *testing.T) {
	st, _, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dueRows(t, st, 4, now)
	due, err := st.DueCredentials(ctx, now, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	claim := func(c lifecycle.Credential, until time.Duration) lifecycle.Claim {
		return lifecycle.Claim{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: now.Add(until)}
	}
	stale := claim(due[1], time.Minute)
	stale.DueAt = stale.DueAt.Add(-time.Second)
	wrongStatus := claim(due[2], time.Minute)
	wrongStatus.Status = lifecycle.Activated
	unknown := claim(due[0], time.Minute)
	unknown.CredentialID = due[3].ID + 1000
	claims := []lifecycle.Claim{claim(due[3], 3*time.Minute), stale, wrongStatus, unknown, claim(due[0], 2*time.Minute),
		claim(due[3], 3*time.Minute), claim(due[1], time.Minute)}
	won, err := st.ClaimDue(ctx, claims)
	if err != nil {
		t.Fatal(err)
	}
	if len(won) != 2 || won[0].CredentialID != due[3].ID || won[1].CredentialID != due[0].ID || won[0].Token == 0 || won[1].Token == 0 {
		t.Fatalf("won %+v; want credentials %d then %d, each with a token", won, due[3].ID, due[0].ID)
	}
	row := func(id int64) (dueAt int64, attempts, claimNo int64) {
		t.Helper()
		if err := st.DB.QueryRow(`SELECT due_at, attempts, claim FROM credentials WHERE id = $1`, id).Scan(&dueAt, &attempts, &claimNo); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, w := range won {
		d, a, c := row(w.CredentialID)
		if d != w.Until.UnixNano() || a != 1 || c != w.Token {
			t.Errorf("claimed credential %d: due_at %d, attempts %d, claim %d; want %d, 1, %d", w.CredentialID, d, a, c, w.Until.UnixNano(), w.Token)
		}
	}
	for _, c := range due[1:3] {
		if d, a, n := row(c.ID); d != c.DueAt.UnixNano() || a != 0 || n != 0 {
			t.Errorf("unclaimed credential %d changed: due_at %d, attempts %d, claim %d", c.ID, d, a, n)
		}
	}
	if again, err := st.ClaimDue(ctx, claims[:1]); err != nil || len(again) != 0 {
		t.Fatalf("the same claim again, after the row moved on: %+v, %v; want none", again, err)
	}
}

// A holder whose lease lapsed and whose credential another scheduler then
// claimed cannot write its outcome: the write names the old holder's claim
// token, which the row no longer carries (the newer claim's token is
// larger). It is refused as a conflict and the row stays as the new holder
// has it: still pending, with its lease, its token and no audit row.
func TestOutcomeOfALapsedClaimIsRefusedAfterATakeover(t *testing.T) {
	st, _, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dueRows(t, st, 1, now)
	due, err := st.DueCredentials(ctx, now, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	c := due[0]
	lapsed, err := st.ClaimDue(ctx, []lifecycle.Claim{{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: now.Add(time.Minute)}})
	if err != nil || len(lapsed) != 1 {
		t.Fatalf("first claim: %+v, %v", lapsed, err)
	}
	later := now.Add(2 * time.Minute)
	taken, err := st.ClaimDue(ctx, []lifecycle.Claim{{CredentialID: c.ID, Status: c.Status, DueAt: lapsed[0].Until, Until: later.Add(time.Minute)}})
	if err != nil || len(taken) != 1 || taken[0].Token <= lapsed[0].Token {
		t.Fatalf("takeover: %+v, %v; want a claim with a larger token than %d", taken, err, lapsed[0].Token)
	}
	audits := count(t, st, "audit")
	skipped, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID,
		From: []lifecycle.Status{lifecycle.PendingActivation}, To: lifecycle.Activated, At: later,
		Actor: "scheduler", Action: "activate", Claim: lapsed[0].Token}})
	if !errors.Is(err, lifecycle.ErrConflict) || len(skipped) != 1 {
		t.Fatalf("outcome of the lapsed claim: skipped %v, %v; want it skipped with ErrConflict", skipped, err)
	}
	var status string
	var dueAt, claim int64
	if err := st.DB.QueryRow(`SELECT status, due_at, claim FROM credentials WHERE id = $1`, c.ID).Scan(&status, &dueAt, &claim); err != nil {
		t.Fatal(err)
	}
	if lifecycle.Status(status) != lifecycle.PendingActivation || dueAt != taken[0].Until.UnixNano() || claim != taken[0].Token {
		t.Errorf("row after the refused outcome: status %s, due_at %d, claim %d; want %s, %d, %d",
			status, dueAt, claim, lifecycle.PendingActivation, taken[0].Until.UnixNano(), taken[0].Token)
	}
	if n := count(t, st, "audit"); n != audits {
		t.Errorf("%d audit rows after the refused outcome, want %d", n, audits)
	}
}

// A batch of claims under an ended context, or naming a status that does
// not exist, is refused whole before anything is written.
func TestClaimDueRefusesAnEndedContextAndAnUnknownStatus(t *testing.T) {
	st, _, _ := openPlanStore(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dueRows(t, st, 2, now)
	due, err := st.DueCredentials(context.Background(), now, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	good := lifecycle.Claim{CredentialID: due[0].ID, Status: due[0].Status, DueAt: due[0].DueAt, Until: now.Add(time.Minute)}
	odd := lifecycle.Claim{CredentialID: due[1].ID, Status: "Pending Activation", DueAt: due[1].DueAt, Until: now.Add(time.Minute)}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if won, err := st.ClaimDue(ended, []lifecycle.Claim{good}); !errors.Is(err, context.Canceled) || len(won) != 0 {
		t.Fatalf("under an ended context: %+v, %v; want context.Canceled", won, err)
	}
	if won, err := st.ClaimDue(context.Background(), []lifecycle.Claim{good, odd}); err == nil || len(won) != 0 {
		t.Fatalf("with an unknown status: %+v, %v; want an error", won, err)
	}
	var attempts int
	if err := st.DB.QueryRow(`SELECT coalesce(sum(attempts), 0) FROM credentials`).Scan(&attempts); err != nil || attempts != 0 {
		t.Fatalf("attempts after the refusals: %d, %v; want 0", attempts, err)
	}
}

// Three schedulers (three stores on one database) claiming 300 due rows
// at once take each row exactly once.
func TestSchedulersOnOneDatabaseClaimEachDueRowOnce(t *testing.T) {
	stores := storetest.OpenShared(t, 3)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	const rows = 300
	dueRows(t, stores[0], rows, now)
	start := make(chan struct{})
	claimed := make([][]int64, len(stores))
	errs := make(chan error, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() {
			<-start
			for {
				due, err := st.DueCredentials(ctx, now, 25)
				if err != nil || len(due) == 0 {
					errs <- err
					return
				}
				claims := make([]lifecycle.Claim, len(due))
				for j, c := range due {
					claims[j] = lifecycle.Claim{CredentialID: c.ID, Status: c.Status, DueAt: c.DueAt, Until: now.Add(time.Minute)}
				}
				won, err := st.ClaimDue(ctx, claims)
				if err != nil {
					errs <- err
					return
				}
				for _, c := range won {
					if c.Token == 0 {
						errs <- fmt.Errorf("claim of %d without a token", c.CredentialID)
						return
					}
					claimed[i] = append(claimed[i], c.CredentialID)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	times := map[int64]int{}
	for _, ids := range claimed {
		for _, id := range ids {
			times[id]++
		}
	}
	for id, n := range times {
		if n != 1 {
			t.Errorf("credential %d claimed %d times", id, n)
		}
	}
	if len(times) != rows {
		t.Fatalf("%d rows claimed, want %d (by scheduler: %d, %d, %d)", len(times), rows,
			len(claimed[0]), len(claimed[1]), len(claimed[2]))
	}
	var attempts int
	if err := stores[1].DB.QueryRow(`SELECT sum(attempts) FROM credentials`).Scan(&attempts); err != nil || attempts != rows {
		t.Fatalf("attempts counted %d (%v), want one a row", attempts, err)
	}
}

// Two purges at once (two schedulers, or esp purge beside one) delete and
// audit each credential once between them, and neither fails.
func TestConcurrentPurgesAuditEachCredentialOnce(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	const rows = 20
	deactivatedRows(t, stores[0], rows, now)
	start := make(chan struct{})
	purged := make(chan int, len(stores))
	errs := make(chan error, len(stores))
	var wg sync.WaitGroup
	for _, st := range stores {
		wg.Go(func() {
			<-start
			n, err := st.PurgeDeactivated(ctx, lifecycle.Purge{Cutoff: now, At: now.Add(time.Hour), Actor: "test", Event: "purge"})
			purged <- n
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(purged)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for n := range purged {
		total += n
	}
	checkPurgedOnce(t, stores[0], rows, total)
}

// deactivatedRows gives each of n new tenants one credential deactivated
// at now.
func deactivatedRows(tb testing.TB, st *store.Store, n int, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	for i := range n {
		tn, err := st.CreateTenant(ctx, fmt.Sprintf("gone-%04d", i), true, now)
		if err != nil {
			tb.Fatal(err)
		}
		c := newCredential(tb, st, tn.ID, now.Add(time.Duration(i)))
		if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID, From: []lifecycle.Status{lifecycle.Activated},
			To: lifecycle.Deactivated, At: now, Deactivated: true, Actor: "test", Action: "deactivated"}}); err != nil {
			tb.Fatal(err)
		}
	}
}

func checkPurgedOnce(tb testing.TB, st *store.Store, rows, total int) {
	tb.Helper()
	if total != rows || count(tb, st, "credentials") != 0 {
		tb.Fatalf("purged %d of %d, %d credentials left", total, rows, count(tb, st, "credentials"))
	}
	var audited int
	if err := st.DB.QueryRow(`SELECT count(*) FROM audit WHERE action = 'purge'`).Scan(&audited); err != nil || audited != rows {
		tb.Fatalf("%d purge audit rows (%v), want %d", audited, err, rows)
	}
}

// awkwardPlan is a plan file's rows that quoting and escaping could change
// on the way through a database: quotes, commas, backslashes, \. (COPY's
// end of data), leading spaces and other scripts.
func awkwardPlan(n int) func(*lifecycle.PlanRow) error {
	awkward := awkwardRows()
	i := 0
	return func(r *lifecycle.PlanRow) error {
		if i == n {
			return io.EOF
		}
		*r = awkward[i%len(awkward)]
		r.Volume = fmt.Sprint(i)
		i++
		return nil
	}
}

func exportPlan(tb testing.TB, st *store.Store, planID int64) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := st.EachPlanChunk(context.Background(), planID, func(lines []byte, _ int) error {
		out.Write(lines)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// Export, import of the export, export again: the same bytes, across
// several of the export's blocks.
func TestPlanExportImportExportIsByteIdentical(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	const rows = 20_000
	first, err := st.ImportPlan(ctx, acme.ID, "first", time.Now(), awkwardPlan(rows))
	if err != nil {
		t.Fatal(err)
	}
	exported := exportPlan(t, st, first.ID)
	// Read back as a CSV file: some fields hold line ends.
	in := csv.NewReader(bytes.NewReader(exported))
	in.FieldsPerRecord = 11
	read := 0
	second, err := st.ImportPlan(ctx, acme.ID, "second", time.Now(), func(r *lifecycle.PlanRow) error {
		rec, err := in.Read()
		if err != nil {
			return err
		}
		read++
		*r = lifecycle.PlanRow{IntervalStart: rec[0], Interval: rec[1], Skill: rec[2], SchedulingUnit: rec[3],
			Volume: rec[4], AHTSeconds: rec[5], FTERequired: rec[6], FTEPlanned: rec[7],
			ServiceLevelPct: rec[8], ASASeconds: rec[9], OccupancyPct: rec[10]}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if read != rows {
		t.Fatalf("the export holds %d records, want %d", read, rows)
	}
	if second.Rows != rows || second.FirstStart != first.FirstStart || second.LastStart != first.LastStart || second.Interval != first.Interval {
		t.Fatalf("summaries differ: %+v and %+v", first, second)
	}
	if again := exportPlan(t, st, second.ID); !bytes.Equal(again, exported) {
		t.Fatal("the second export differs from the first")
	}
}

// An import that fails deep into its rows (past what one batch or COPY
// buffer holds) leaves no plan and no row behind.
func TestImportPlanFailingLateChangesNothing(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	bad := errors.New("line 20001: bad row")
	rows := awkwardPlan(30_000)
	n := 0
	_, err := st.ImportPlan(ctx, acme.ID, "late", time.Now(), func(r *lifecycle.PlanRow) error {
		if n++; n == 20_000 {
			return bad
		}
		return rows(r)
	})
	if !errors.Is(err, bad) {
		t.Fatalf("err = %v, want the row's error", err)
	}
	if p, r := count(t, st, "plans"), count(t, st, "plan_rows"); p != 0 || r != 0 {
		t.Fatalf("%d plans and %d rows after a failed import", p, r)
	}
	if _, err := st.ImportPlan(ctx, acme.ID, "late", time.Now(), genRows(1)); err != nil {
		t.Fatalf("the name is still free: %v", err)
	}
}

// A lookup by a name or key that no text column can hold (NUL, invalid
// UTF-8: what a hostile login form or token request may send) finds
// nothing, on PostgreSQL too, instead of failing.
func TestLookupsOfUnstorableTextFindNothing(t *testing.T) {
	st, _, _ := openPlanStore(t)
	ctx := context.Background()
	for _, bad := range []string{"acme\x00", "\xff\xfe", "\xc0\x80"} {
		if _, err := st.UserByUsername(ctx, bad); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("UserByUsername(%q) = %v, want ErrNotFound", bad, err)
		}
		if _, err := st.TenantByName(ctx, bad); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("TenantByName(%q) = %v, want ErrNotFound", bad, err)
		}
		if err := st.SetPublicAPI(ctx, bad, true); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("SetPublicAPI(%q) = %v, want ErrNotFound", bad, err)
		}
		if _, err := st.AccessKeyGrant(ctx, bad); !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("AccessKeyGrant(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

// An audit detail quoting a gateway's garbled answer is stored (made
// valid text) with its transition, on PostgreSQL too.
func TestAuditDetailWithInvalidTextIsStored(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newCredential(t, st, acme.ID, now)
	if _, err := st.ApplyTransitions(ctx, []lifecycle.CredentialWrite{{CredentialID: c.ID, From: []lifecycle.Status{lifecycle.Activated},
		To: lifecycle.DeactivationFailed, At: now, Actor: "scheduler", Action: lifecycle.AuditFailDeactivation,
		Detail: "webhook: answered 502 \xff\x00bad"}}); err != nil {
		t.Fatal(err)
	}
	trail := storetest.AuditTrail(t, st, acme.ID, c.ID)
	if len(trail) != 2 {
		t.Fatalf("trail %+v", trail)
	}
	if got, want := trail[1].Detail, "webhook: answered 502 \uFFFDbad"; got != want {
		t.Fatalf("detail %q, want %q", got, want)
	}
}

// A change made through another process's store is seen by the next
// lookups, even though this process may hold the earlier answers in its
// read cache (SQLite's; on PostgreSQL the cache is off, never stale).
func TestAChangeByAnotherProcessIsSeenByTheNextRequest(t *testing.T) {
	stores := storetest.OpenShared(t, 2)
	st, other := stores[0], stores[1]
	_, acme, _ := withTenants(t, st)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	session, cred := requestRows(t, st, acme.ID)
	// Read twice, so that a cache would hold the answers.
	for range 2 {
		if _, u, _, err := st.SessionAccount(ctx, session, time.Time{}); err != nil || u.ID == 0 {
			t.Fatalf("session: %+v, %v", u, err)
		}
		if g, err := st.TokenGrant(ctx, cred.ID); err != nil || !g.PublicAPI {
			t.Fatalf("grant: %+v, %v", g, err)
		}
		if plans, err := st.Plans(ctx, acme.ID); err != nil || len(plans) != 0 {
			t.Fatalf("plans: %+v, %v", plans, err)
		}
	}
	if err := other.DeleteSession(ctx, session); err != nil {
		t.Fatal(err)
	}
	if err := other.SetPublicAPI(ctx, acme.Name, false); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ImportPlan(ctx, acme.ID, "new", now, genRows(1)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.SessionAccount(ctx, session, time.Time{}); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("session ended by another process: %v, want ErrNotFound", err)
	}
	if g, err := st.TokenGrant(ctx, cred.ID); err != nil || g.PublicAPI {
		t.Errorf("grant after the feature was turned off elsewhere: %+v, %v", g, err)
	}
	if plans, err := st.Plans(ctx, acme.ID); err != nil || len(plans) != 1 {
		t.Errorf("plans after an import elsewhere: %d, %v", len(plans), err)
	}
}

// The export hands over each block and reads at most the next one while
// the consumer takes its time: then no database connection is held, so a
// slow download never keeps one from the other requests, and each block
// is at most a block's rows however large the plan.
func TestEachPlanChunkHoldsNoConnectionWhileItsConsumerRuns(t *testing.T) {
	st, acme, _ := openPlanStore(t)
	ctx := context.Background()
	p, err := st.ImportPlan(ctx, acme.ID, "big", time.Now(), genRows(20_000))
	if err != nil {
		t.Fatal(err)
	}
	blocks, most := 0, 0
	err = st.EachPlanChunk(ctx, p.ID, func(lines []byte, rows int) error {
		blocks++
		most = max(most, rows)
		// The read of the next block ends on its own; none follows it
		// until this block is done.
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			w, r := st.DB.Stats().InUse, st.Readers().Stats().InUse
			if w == 0 && r == 0 {
				return nil
			}
			if time.Now().After(end) {
				return fmt.Errorf("block %d: %d+%d connections still in use while it is being written", blocks, w, r)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if blocks < 3 || most > 4096 {
		t.Fatalf("%d blocks of at most %d rows, want several of at most 4096", blocks, most)
	}
}

// ClaimDue writes statuses into its JSON parameter unescaped: every status
// is lower-case letters and underscores.
func TestEveryStatusNeedsNoEscapingInAClaim(t *testing.T) {
	for _, st := range lifecycle.Statuses {
		if strings.Trim(string(st), "abcdefghijklmnopqrstuvwxyz_") != "" {
			t.Errorf("status %q has a character claimsJSON would have to escape", st)
		}
	}
}
