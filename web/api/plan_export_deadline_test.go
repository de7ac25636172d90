package api_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// A server with a write timeout far shorter than an export still delivers
// every row to a client that keeps reading: the export moves its own
// deadline as it streams.
func TestExportOutlastsTheServerWriteTimeout(t *testing.T) {
	env := webtest.NewEnv(t)
	const rows = 20_000
	p := webtest.ImportCSV(t, env, env.Acme.ID, "Long", webtest.PlanCSV(rows))
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))

	srv := httptest.NewUnstartedServer(env.Server)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	// Small socket buffers, so that the server's writes wait for the client
	// instead of finishing into the kernel's buffers.
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/plans/"+strconv.FormatInt(p.ID, 10)+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status=%d", resp.StatusCode)
	}
	start := time.Now()
	r := bufio.NewReader(resp.Body)
	lines := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" || !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("export cut after %d lines: %v", lines, err)
			}
			break
		}
		lines++
		if lines%2000 == 0 {
			time.Sleep(60 * time.Millisecond) // a client slower than the write timeout
		}
	}
	if time.Since(start) < srv.Config.WriteTimeout {
		t.Fatalf("the download took less than the write timeout; the test proves nothing")
	}
	if lines != rows+1 {
		t.Fatalf("export had %d lines, want %d", lines, rows+1)
	}
}

type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
		tc.SetReadBuffer(4096)
	}
	return c, err
}
