package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"esp/lifecycle/plancsv"
	"esp/web/internal/webtest"
)

// exportTenant is a tenant with a plan to export and a token that reads it.
type exportTenant struct {
	planID int64
	token  string
	// acceptEncoding, when set, is the export requests' Accept-Encoding.
	acceptEncoding string
}

// gzipped is ts, their exports asked for gzipped.
func gzipped(ts []exportTenant) []exportTenant {
	out := make([]exportTenant, len(ts))
	for i, t := range ts {
		t.acceptEncoding = "gzip"
		out[i] = t
	}
	return out
}

// exportTenants gives acme and n-1 more tenants a plan of rows rows each.
func exportTenants(t *testing.T, env *webtest.Env, n, rows int) []exportTenant {
	t.Helper()
	ctx := context.Background()
	plan := noisyPlanCSV(rows)
	ids := []int64{env.Acme.ID}
	for i := 1; i < n; i++ {
		name := fmt.Sprint("tenant", i)
		ten, err := env.Accounts.AddTenant(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Accounts.SetPublicAPI(ctx, name, true); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ten.ID)
	}
	out := make([]exportTenant, len(ids))
	for i, id := range ids {
		p := webtest.ImportCSV(t, env, id, "Big", plan)
		out[i] = exportTenant{planID: p.ID, token: webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, id))}
	}
	return out
}

// noisyPlanCSV is a plan of n rows whose scheduling units are random, so
// that even gzipped its export is far larger than the sockets' buffers
// and a client that stops reading holds it up.
func noisyPlanCSV(n int) string {
	var b strings.Builder
	b.WriteString(plancsv.Header)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		fmt.Fprintf(&b, "2027-01-%02d,day,Billing,u%016x%016x,%d,240,12.50,1e1,80.5,0,100\n", 1+i%28, rnd.Uint64(), rnd.Uint64(), i)
	}
	return b.String()
}

// exportServer serves env on a real listener whose sockets have small
// buffers, so that an export whose client stops reading blocks at once.
func exportServer(t *testing.T, env *webtest.Env) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(env.Server)
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// stalledExport is an export request whose answer's head has been read
// and whose body the client does not read.
type stalledExport struct {
	conn net.Conn
	resp *http.Response
}

// startExport asks for the tenant's export on a connection of its own and
// reads the answer's head; an admitted export's body is left unread, a
// refusal's is read whole.
func startExport(srv *httptest.Server, ten exportTenant) (stalledExport, error) {
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		return stalledExport{}, err
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/plans/"+strconv.FormatInt(ten.planID, 10)+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+ten.token)
	if ten.acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", ten.acceptEncoding)
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return stalledExport{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return stalledExport{}, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return stalledExport{conn: conn, resp: resp}, nil
}

// mustStall starts an export that must be admitted, and leaves it stalled.
func mustStall(t *testing.T, srv *httptest.Server, ten exportTenant) stalledExport {
	t.Helper()
	e, err := startExport(srv, ten)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close() })
	if e.resp.StatusCode != http.StatusOK {
		t.Fatalf("export: status %d, want 200", e.resp.StatusCode)
	}
	return e
}

// mustBeRefused checks a refused export's answer: 429, Retry-After and the
// API's error envelope with the code rate_limited.
func mustBeRefused(t *testing.T, e stalledExport) {
	t.Helper()
	if e.resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", e.resp.StatusCode)
	}
	if ra, err := strconv.Atoi(e.resp.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q, want a number of seconds", e.resp.Header.Get("Retry-After"))
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.NewDecoder(e.resp.Body).Decode(&body); err != nil || body.Error.Code != "rate_limited" || body.Error.Message == "" {
		t.Fatalf("body %+v (%v), want the error envelope with code rate_limited", body, err)
	}
}

// awaitAdmitted asks for exports until one is admitted; it fails after a
// generous while, so a slot that is never freed fails the test.
func awaitAdmitted(t *testing.T, srv *httptest.Server, ten exportTenant) stalledExport {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		e, err := startExport(srv, ten)
		if err != nil {
			t.Fatal(err)
		}
		if e.resp.StatusCode == http.StatusOK {
			t.Cleanup(func() { e.conn.Close() })
			return e
		}
		e.conn.Close()
	}
	t.Fatal("no export was admitted again")
	return stalledExport{}
}

// Four exports of a tenant whose clients do not read hold the tenant's
// four slots: a fifth is refused with 429 and Retry-After, until one of
// the four clients goes away.
func TestExportFifthOfATenantIsRefusedUntilOneEnds(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.API.ExportStallTimeout = time.Minute })
	ten := exportTenants(t, env, 1, 10_000)[0]
	srv := exportServer(t, env)
	var stalled []stalledExport
	for range 4 {
		stalled = append(stalled, mustStall(t, srv, ten))
	}
	fifth, err := startExport(srv, ten)
	if err != nil {
		t.Fatal(err)
	}
	fifth.conn.Close()
	mustBeRefused(t, fifth)

	stalled[0].conn.Close()
	awaitAdmitted(t, srv, ten)
}

// An export whose client stops reading is cut off after the stall
// timeout, and its slot is free again; gzipped or not.
func TestExportOfAStalledClientIsCutOffAndFreesItsSlot(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "identity", true: "gzip"}[gz], func(t *testing.T) {
			stalledExportIsCutOff(t, gz)
		})
	}
}

func stalledExportIsCutOff(t *testing.T, gz bool) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.API.ExportStallTimeout = 200 * time.Millisecond })
	const rows = 10_000
	ten := exportTenants(t, env, 1, rows)[0]
	if gz {
		ten = gzipped([]exportTenant{ten})[0]
	}
	srv := exportServer(t, env)
	var stalled []stalledExport
	for range 4 {
		stalled = append(stalled, mustStall(t, srv, ten))
	}
	awaitAdmitted(t, srv, ten)
	// No client went away: the slot was freed by cutting an export off,
	// which its client sees as a body that breaks off. (Reading one that
	// was not cut yet lets it finish.)
	cut := 0
	for _, e := range stalled {
		if _, err := io.Copy(io.Discard, e.resp.Body); err != nil {
			cut++
		}
	}
	if cut == 0 {
		t.Fatal("every stalled export ended whole; want those past the stall timeout cut off")
	}
}

// A client that reads slowly but steadily gets the whole export, even when
// one block of rows takes it far longer than the stall timeout to read:
// the deadline moves with every piece it takes.
func TestExportKeepsASlowButLiveReader(t *testing.T) {
	// The stall timeout leaves room for a busy machine's scheduling
	// delays; a block of rows still takes the reader several times longer.
	stall := time.Second
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.API.ExportStallTimeout = stall })
	const rows = 12_000
	ten := exportTenants(t, env, 1, rows)[0]
	srv := exportServer(t, env)
	e := mustStall(t, srv, ten)
	start := time.Now()
	r := bufio.NewReader(e.resp.Body)
	lines := 0
	for {
		_, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("export cut after %d lines: %v", lines, err)
		}
		if lines++; lines%250 == 0 {
			time.Sleep(100 * time.Millisecond) // a block of 4096 rows takes over 1.6 s
		}
	}
	if lines != rows+1 {
		t.Fatalf("export had %d lines, want %d", lines, rows+1)
	}
	if time.Since(start) < 3*stall {
		t.Fatal("the download took less than the stall timeout; the test proves nothing")
	}
}

// Fifty exports of one tenant asked for at once: exactly four are
// admitted (their clients never read, so none ends), the rest refused.
func TestExportsOfATenantAskedAtOnceAdmitOnlyFour(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.API.ExportStallTimeout = time.Minute })
	ten := exportTenants(t, env, 1, 10_000)[0]
	srv := exportServer(t, env)
	statuses := concurrentExports(t, srv, []exportTenant{ten}, 50)
	if statuses[http.StatusOK] != 4 || statuses[http.StatusTooManyRequests] != 46 {
		t.Fatalf("statuses %v, want 4 × 200 and 46 × 429", statuses)
	}
}

// concurrentExports starts n exports at once, spread over the tenants,
// leaves the admitted ones stalled after the first KiB of their body, and
// counts the statuses.
func concurrentExports(t *testing.T, srv *httptest.Server, tenants []exportTenant, n int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			e, err := startExport(srv, tenants[i%len(tenants)])
			if err != nil {
				errs <- err
				return
			}
			t.Cleanup(func() { e.conn.Close() })
			if e.resp.StatusCode == http.StatusOK {
				// The first rows are out: the export holds its block.
				if _, err := io.ReadFull(e.resp.Body, make([]byte, 1024)); err != nil {
					errs <- err
				}
			}
			mu.Lock()
			statuses[e.resp.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return statuses
}

// Fifty clients of five tenants that start exports and stop reading: the
// process's bound admits only as many as it allows, and the heap grows by
// no more than those few exports hold, whatever the other clients do;
// gzipped or not.
func TestExportHeapStaysBoundedWithFiftyStalledReaders(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "identity", true: "gzip"}[gz], func(t *testing.T) {
			heapStaysBounded(t, gz)
		})
	}
}

func heapStaysBounded(t *testing.T, gz bool) {
	const maxExports = 8
	env := webtest.NewEnv(t, func(c *webtest.Config) {
		c.API.ExportStallTimeout = time.Minute
		c.API.MaxExports = maxExports
	})
	tenants := exportTenants(t, env, 5, 10_000)
	if gz {
		tenants = gzipped(tenants)
	}
	srv := exportServer(t, env)
	before := liveHeap()
	statuses := concurrentExports(t, srv, tenants, 50)
	after := liveHeap()
	growth := int64(after) - int64(before)
	t.Logf("heap: %.1f MiB before, %.1f MiB with 50 stalled readers (%d admitted): grew %.1f MiB",
		mib(before), mib(after), statuses[http.StatusOK], mib(uint64(max(growth, 0))))
	// Each running export holds a block of rows and its buffers: about
	// 1 MiB on SQLite, 2 MiB on PostgreSQL (the block as COPY sent it too).
	if limit := int64(maxExports*3<<20 + 8<<20); growth > limit {
		t.Fatalf("heap grew %.1f MiB with 50 stalled readers, want at most %.1f MiB", mib(uint64(growth)), mib(uint64(limit)))
	}
	if statuses[http.StatusOK] != maxExports || statuses[http.StatusTooManyRequests] != 50-maxExports {
		t.Fatalf("statuses %v, want %d × 200 and the rest 429", statuses, maxExports)
	}
}

// liveHeap is the bytes of the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
