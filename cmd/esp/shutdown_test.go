package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

// bigPlanCSV writes a plan file of n rows.
func bigPlanCSV(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(plancsv.Header)
	day := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%s,day,Skill %d,Unit %d,%d,%d,12.5,13,80,21,82.5\n",
			day.AddDate(0, 0, i/100).Format("2006-01-02"), i%10, i%7, 1000+i%500, 200+i%300)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// SIGTERM while a client downloads a large export: the export completes
// and the process exits 0.
func TestSIGTERMDuringExportFinishesTheExport(t *testing.T) {
	const rows = 100_000
	dir := t.TempDir()
	mustRun(t, dir, "", "tenant", "add", "acme")
	mustRun(t, dir, "", "tenant", "feature", "acme", "public-api", "on")
	mustRun(t, dir, "pw\n", "user", "add", "--tenant", "acme", "--admin", "alice")
	mustRun(t, dir, "", "plan", "import", "--tenant", "acme", "--name", "Big", bigPlanCSV(t, rows))
	st := mustStore(t, dir)
	keys, err := lifecycle.NewService(st, time.Now, lifecycle.Config{}).Generate(context.Background(), tenant(t, dir, "acme").ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	p := startServe(t, dir, "--tick", "100ms")
	waitStatuses(t, dir, []int64{keys.Credential.ID}, lifecycle.Activated, 20*time.Second)
	body, _ := json.Marshal(map[string]string{"accessKeyId": keys.AccessKey, "accessKeySecret": keys.SecretKey})
	resp, err := http.Post(p.URL+"/api/v1/token/access-key", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token exchange: %d", resp.StatusCode)
	}

	req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/v1/plans/1/export", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	header, err := r.ReadString('\n')
	if err != nil || header != plancsv.Header {
		t.Fatalf("header %q %v", header, err)
	}
	// The download is under way: ask the server to stop.
	p.cmd.Process.Signal(syscall.SIGTERM)
	lines := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" {
				t.Fatalf("export ends with a partial line %q", line)
			}
			break
		}
		lines++
		if lines%10_000 == 0 {
			time.Sleep(20 * time.Millisecond) // a client slower than the server
		}
	}
	if lines != rows {
		t.Fatalf("export had %d rows, want %d", lines, rows)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("esp serve did not exit within 30s of SIGTERM")
	}
	if !strings.Contains(p.stderr.String(), "stopped") {
		t.Fatalf("no clean stop in the log: %s", p.stderr.String())
	}
}
