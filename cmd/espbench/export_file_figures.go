package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// fetch GETs url with the bearer token (and Accept-Encoding when not ""),
// copies the body as it came into w, and answers how long that took.
func fetch(ctx context.Context, c *http.Client, url, token, acceptEncoding string, w io.Writer) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Encoding"); got != acceptEncoding && acceptEncoding != "" {
		return 0, fmt.Errorf("GET %s: Content-Encoding %q, want %q", url, got, acceptEncoding)
	}
	_, err = io.Copy(w, resp.Body)
	return time.Since(t0), err
}

// serveFile serves path with http.ServeContent on a loopback port of this
// process until stop is called: the physical limit of sending those bytes
// over HTTP (sendfile from the page cache).
func serveFile(path string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		http.ServeContent(w, r, "plan.csv", fi.ModTime(), f)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/plan.csv", func() { srv.Close() }, nil
}

// fileBaseline is row 4's baseline: the imported file, which the export
// must have reproduced byte for byte (exported), served by http.ServeContent
// and read by the same client the same way.
func fileBaseline(ctx context.Context, f *Figure, c *http.Client, csvPath string, exported lineCounter, want int) {
	f.BaselineName = "the same bytes by http.ServeContent from a file"
	url, stop, err := serveFile(csvPath)
	if err != nil {
		f.Failed = err.Error()
		return
	}
	defer stop()
	var lc lineCounter
	took, err := fetch(ctx, c, url, "", "", &lc)
	if err != nil {
		f.Failed = err.Error()
		return
	}
	if f.Failed == "" && (lc.bytes != exported.bytes || lc.sum != exported.sum) {
		f.Failed = fmt.Sprintf("the export (%d bytes, CRC-32C %08x) is not the imported file (%d bytes, %08x)", exported.bytes, exported.sum, lc.bytes, lc.sum)
	}
	recordBaseline(f, took, lc.lines-1, want)
}

// gzipFigure measures row 12: the export gzipped (Accept-Encoding: gzip)
// against gzip -1 of the imported file, which it must decompress to, in
// speed and in size (within 10 % of gzip -1's).
func gzipFigure(ctx context.Context, o options, c *http.Client, url, token, csvPath string) Figure {
	f := Figure{Row: 12, Name: fmt.Sprintf("gzipped CSV export of that %d-row plan", o.planRows), Unit: "rows/s",
		Goal: RatioAtLeast, Target: 0.8, BaselineName: "gzip -1 of the same file"}
	var body bytes.Buffer
	took, err := fetch(ctx, c, url, token, "gzip", &body)
	if err != nil {
		f.Failed = err.Error()
		return f
	}
	sent := body.Len()
	var plain lineCounter
	if z, err := gzip.NewReader(&body); err != nil {
		f.Failed = "the gzipped export: " + err.Error()
	} else if _, err := io.Copy(&plain, z); err != nil {
		f.Failed = "the gzipped export: " + err.Error()
	}
	if f.Failed == "" && plain.lines-1 != int64(o.planRows) {
		f.Failed = fmt.Sprintf("the gzipped export holds %d rows, want %d", plain.lines-1, o.planRows)
	}
	f.Value = float64(o.planRows) / took.Seconds()
	var gz lineCounter
	cmd := exec.CommandContext(ctx, "gzip", "-1", "-c", csvPath)
	cmd.Stdout = &gz
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		f.Failed = "gzip -1: " + err.Error()
		return f
	}
	f.Baseline = float64(o.planRows) / time.Since(t0).Seconds()
	size := float64(sent) / float64(gz.bytes)
	f.Note = fmt.Sprintf("export %s, %.1f MB; gzip -1 %s, %.1f MB; the export's size %.3f× gzip -1's (at most 1.1×)",
		took.Round(time.Millisecond), float64(sent)/1e6, time.Since(t0).Round(time.Millisecond), float64(gz.bytes)/1e6, size)
	if f.Failed == "" && size > 1.1 {
		f.Failed = fmt.Sprintf("the gzipped export is %.3f× the size of gzip -1's output, over 1.1×", size)
	}
	return f
}
