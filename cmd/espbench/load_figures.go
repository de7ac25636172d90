package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// benchHTTP is a signed-in client of the running server: the admin's
// session cookie, a bearer token, the body of a token exchange and the
// bench's plan.
type benchHTTP struct {
	base, cookie, token string
	c                   *http.Client
	body                []byte
	plan                int64
}

func (b benchHTTP) get(ctx context.Context, path string, hdr, val string, keep bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return nil, err
	}
	if hdr != "" {
		req.Header.Set(hdr, val)
	}
	return expect(b.c, req, http.StatusOK, keep)
}

func (b benchHTTP) healthz(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/healthz", "", "", false)
	return err
}

func (b benchHTTP) window(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/api-credentials", "Cookie", b.cookie, false)
	return err
}

func (b benchHTTP) plans(ctx context.Context, _, _ int) error {
	_, err := b.get(ctx, "/api/v1/plans", "Authorization", "Bearer "+b.token, false)
	return err
}

func (b benchHTTP) exchange(ctx context.Context, _, _ int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/token/access-key", bytes.NewReader(b.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = expect(b.c, req, http.StatusOK, false)
	return err
}

// loadFigures measures rows 1-3, each against GET /healthz, and the mixed
// load of row 9.
func (b benchHTTP) loadFigures(ctx context.Context, o options, p progress) []Figure {
	// On PostgreSQL each query is a round trip to another process, where
	// SQLite reads in the server's own: the targets there are lower.
	windowTarget, plansTarget := 0.35, 0.5
	if o.databaseURL != "" {
		windowTarget, plansTarget = 0.25, 0.4
	}
	p.say("row 1: the window")
	f1 := b.versusHealthz(ctx, o, Figure{Row: 1, Name: "GET /api-credentials as a logged-in admin", Target: windowTarget}, b.window)
	p.say("row 2: plans")
	f2 := b.versusHealthz(ctx, o, Figure{Row: 2, Name: "GET /api/v1/plans with a bearer token", Target: plansTarget}, b.plans)
	p.say("row 3: token exchange")
	f3 := b.versusHealthz(ctx, o, Figure{Row: 3, Name: "token exchange (POST /api/v1/token/access-key)", Target: exchangeTarget(o)}, b.exchange)
	p.say("row 9: mixed load, %d clients for %s", o.mixedConc, o.mixed)
	f9 := b.mixedLoad(ctx, o)
	return []Figure{f1, f2, f3, f9}
}

// exchangeTarget is row 3's target: an exchange is one read, a secret's
// hash and an HMAC, and writes nothing (but a credential's last use, once a
// minute); PostgreSQL's read is a network round trip where SQLite's is a
// call, hence the lower target there.
func exchangeTarget(o options) float64 {
	if o.databaseURL != "" {
		return 0.25
	}
	return 0.35
}

// loadSlices is how many alternating slices a figure and its healthz
// baseline are measured in: other work on a shared machine comes and goes
// within seconds, and alternating lets both see the same share of it.
const loadSlices = 5

// versusHealthz measures do and GET /healthz with the same clients for the
// same total time, alternating in slices, so both see the same machine load.
func (b benchHTTP) versusHealthz(ctx context.Context, o options, f Figure, do op) Figure {
	return versus(ctx, o, f, "GET /healthz", b.healthz, do)
}

// versus measures do and its baseline with the same clients for the same
// total time, alternating in slices, so both see the same machine load.
func versus(ctx context.Context, o options, f Figure, baseName string, baseline, do op) Figure {
	var base, r loadResult
	slice := max(o.dur/loadSlices, 200*time.Millisecond)
	for range loadSlices {
		base = base.merge(runLoad(ctx, o.conc, slice, baseline))
		r = r.merge(runLoad(ctx, o.conc, slice, do))
	}
	f.Goal, f.Unit = RatioAtLeast, "req/s"
	f.Value, f.Baseline, f.BaselineName = r.RPS(), base.RPS(), baseName
	f.P50ms, f.P99ms = r.Percentile(0.50), r.Percentile(0.99)
	f.Errors = r.Errors + base.Errors
	f.Note = fmt.Sprintf("%d requests; %s p50 %.2f ms, p99 %.2f ms", r.Requests, baseName, base.Percentile(0.5), base.Percentile(0.99))
	if r.FirstErr != "" || base.FirstErr != "" {
		f.Note += "; first error: " + r.FirstErr + base.FirstErr
	}
	return f
}

// mixedLoad is row 9: every client cycles through the window, a token
// exchange and the next page of the plan's data (following next_cursor).
func (b benchHTTP) mixedLoad(ctx context.Context, o options) Figure {
	cursors := make([]string, o.mixedConc)
	var counts [3][]int
	for i := range counts {
		counts[i] = make([]int, o.mixedConc)
	}
	r := runLoad(ctx, o.mixedConc, o.mixed, func(ctx context.Context, w, seq int) error {
		kind := (w + seq) % 3
		counts[kind][w]++
		switch kind {
		case 0:
			return b.window(ctx, w, seq)
		case 1:
			return b.exchange(ctx, w, seq)
		}
		path := "/api/v1/plans/" + strconv.FormatInt(b.plan, 10) + "/data?limit=100"
		if cursors[w] != "" {
			path += "&cursor=" + cursors[w]
		}
		body, err := b.get(ctx, path, "Authorization", "Bearer "+b.token, true)
		if err != nil {
			return err
		}
		cursors[w] = nextCursor(body)
		return nil
	})
	f := Figure{Row: 9, Name: fmt.Sprintf("mixed load (window, exchange, data pages), %d clients, %s", o.mixedConc, o.mixed),
		Goal: ZeroErrors, Value: r.RPS(), Unit: "req/s", Errors: r.Errors,
		P50ms: r.Percentile(0.50), P99ms: r.Percentile(0.99)}
	sum := func(xs []int) (n int) {
		for _, x := range xs {
			n += x
		}
		return n
	}
	f.Note = fmt.Sprintf("%d requests: %d window, %d exchange, %d data pages", r.Requests, sum(counts[0]), sum(counts[1]), sum(counts[2]))
	if r.FirstErr != "" {
		f.Note += "; first error: " + r.FirstErr
	}
	return f
}
