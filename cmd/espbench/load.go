package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// newClient returns a keep-alive HTTP client able to hold conns idle
// connections to the server, so that no request pays for a new connection.
func newClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// op is one request of a load: it returns an error for a transport failure
// or an unexpected answer. worker and seq let an op vary its request.
type op func(ctx context.Context, worker, seq int) error

// loadResult is what one fixed-concurrency, fixed-duration load measured.
type loadResult struct {
	Requests int
	Errors   int
	FirstErr string
	Elapsed  time.Duration
	lat      []time.Duration // sorted
}

// RPS is successful and failed requests per second of wall time.
func (r loadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the latency below which p (0..1) of the requests finished, in ms.
func (r loadResult) Percentile(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	i := min(int(p*float64(len(r.lat))), len(r.lat)-1)
	return float64(r.lat[i]) / float64(time.Millisecond)
}

// maxRequestsPerWorker bounds a load even on a machine far faster than
// expected.
const maxRequestsPerWorker = 2_000_000

// runLoad runs do from conc workers, back to back, for dur; a worker stops
// at the first request that would start after the deadline.
func runLoad(ctx context.Context, conc int, dur time.Duration, do op) loadResult {
	type part struct {
		n, errs  int
		firstErr string
		lat      []time.Duration
	}
	parts := make([]part, conc)
	ctx, cancel := context.WithTimeout(ctx, dur+30*time.Second)
	defer cancel()
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			p := &parts[w]
			p.lat = make([]time.Duration, 0, 1<<14)
			for seq := 0; seq < maxRequestsPerWorker; seq++ {
				t0 := time.Now()
				if !t0.Before(deadline) || ctx.Err() != nil {
					return
				}
				err := do(ctx, w, seq)
				p.lat = append(p.lat, time.Since(t0))
				p.n++
				if err != nil {
					if p.errs == 0 {
						p.firstErr = err.Error()
					}
					p.errs++
				}
			}
		})
	}
	wg.Wait()
	res := loadResult{Elapsed: time.Since(start)}
	for _, p := range parts {
		res.Requests += p.n
		res.Errors += p.errs
		if res.FirstErr == "" {
			res.FirstErr = p.firstErr
		}
		res.lat = append(res.lat, p.lat...)
	}
	slices.Sort(res.lat)
	return res
}

// merge adds another measurement of the same load to r.
func (r loadResult) merge(o loadResult) loadResult {
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Elapsed += o.Elapsed
	r.lat = append(r.lat, o.lat...)
	slices.Sort(r.lat)
	return r
}

// expect sends req and reads the whole answer; any status but want is an
// error. The body is returned only when keep is true.
func expect(c *http.Client, req *http.Request, want int, keep bool) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body []byte
	if keep || resp.StatusCode != want {
		body, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, want, body)
	}
	return body, nil
}
