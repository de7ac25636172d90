package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// downloads collects the files the browser downloads into a folder of the
// test's own.
type downloads struct {
	dir  string
	done chan string // the path of each finished download
}

// saveDownloads makes the browser save every download into a new folder,
// without asking, and report each one when it is complete.
func (tb *tab) saveDownloads() *downloads {
	tb.t.Helper()
	d := &downloads{dir: tb.t.TempDir(), done: make(chan string, 16)}
	var mu sync.Mutex
	names := map[string]string{} // by download GUID
	err := chromedp.ListenBrowser(tb.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *browser.EventDownloadWillBegin:
			mu.Lock()
			names[ev.GUID] = ev.SuggestedFilename
			mu.Unlock()
		case *browser.EventDownloadProgress:
			if ev.State != browser.DownloadProgressStateCompleted {
				return
			}
			mu.Lock()
			path := filepath.Join(d.dir, names[ev.GUID])
			mu.Unlock()
			select {
			case d.done <- path:
			default:
			}
		}
	})
	if err != nil {
		tb.t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: d.dir, EventsEnabled: &events,
	}); err != nil {
		tb.t.Fatalf("setting the download folder: %v", err)
	}
	return d
}

// next waits for the next finished download and returns its path.
func (d *downloads) next(tb *tab) string {
	tb.t.Helper()
	select {
	case path := <-d.done:
		return path
	case <-time.After(stepTimeout):
		entries, _ := os.ReadDir(d.dir)
		tb.t.Fatalf("no download finished within %v; the folder holds %v", stepTimeout, entries)
	}
	return ""
}

// envFile reads a .env file: its variables and its comment lines.
func envFile(t *testing.T, path string) (vars map[string]string, comments []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "#"); ok {
			comments = append(comments, strings.TrimSpace(c))
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is neither a comment nor NAME=value", filepath.Base(path), line)
		}
		if _, dup := vars[name]; dup {
			t.Fatalf("%s: %s set twice", filepath.Base(path), name)
		}
		vars[name] = value
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vars, comments
}

// TestDownloadSavesBothKeysAsAnEnvFile: Download beside the one-time keys
// saves a .env file with both keys as shown, the API's base URL and, in a
// comment, the tenant and the creation time; the file's keys get a token
// from the file's URL as soon as they are activated. On localhost and over
// plain HTTP under another name, where the page is not a secure context.
func TestDownloadSavesBothKeysAsAnEnvFile(t *testing.T) {
	for _, plain := range []bool{false, true} {
		name := "localhost"
		if plain {
			name = "plain HTTP"
		}
		t.Run(name, func(t *testing.T) {
			srv := startServer(t, "--activator", "local")
			base, tb := srv.LocalURL(), (*tab)(nil)
			if plain {
				base, tb = "http://esp.test:"+srv.Port, startBrowser(t, chromedp.Flag("host-resolver-rules", "MAP esp.test 127.0.0.1"))
			} else {
				tb = startBrowser(t)
			}
			saved := tb.saveDownloads()
			tb.login(base, "admin", srv.Passwords["admin"])
			if secure := eval[bool](tb, "window.isSecureContext"); secure == plain {
				t.Fatalf("%s: isSecureContext = %v", base, secure)
			}
			tb.openWindowFromMenu()
			if code := tb.clickAndLoad("generate"); code != 200 {
				t.Fatalf("Generate answered %d, want 200", code)
			}
			s := tb.waitFor("the new keys with Download", func(s screen) bool { return s.AccessKey != "" && s.Download })
			tb.click("download-keys")
			path := saved.next(tb)

			wantName := "esp-api-credentials-demo-" + s.AccessKey[len(s.AccessKey)-4:] + ".env"
			if filepath.Base(path) != wantName {
				t.Errorf("saved as %q, want %q", filepath.Base(path), wantName)
			}
			vars, comments := envFile(t, path)
			for k, want := range map[string]string{
				"ESP_ACCESS_KEY":   s.AccessKey,
				"ESP_SECRET_KEY":   s.SecretKey,
				"ESP_API_BASE_URL": base + "/api/v1",
			} {
				if vars[k] != want {
					t.Errorf("%s=%q, want %q", k, vars[k], want)
				}
			}
			if len(vars) != 3 {
				t.Errorf("variables %v, want exactly the three", vars)
			}
			// The file keeps the server's UTC time: the window's title.
			created := eval[string](tb, `document.querySelector('[data-testid="credential-created"] time').title`)
			if c := strings.Join(comments, " "); !strings.Contains(c, "tenant demo") || !strings.HasSuffix(created, " UTC") || !strings.Contains(c, created) {
				t.Errorf("comments %q do not name the tenant and the creation time %q", comments, created)
			}
			if msg := eval[string](tb, `document.querySelector('[data-testid="download-keys-msg"]').textContent`); msg != "Downloaded "+wantName {
				t.Errorf("Download says %q", msg)
			}

			// The file is all a client needs: its keys, at its URL.
			tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" })
			toServer := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+srv.Port)
			}}
			body, _ := json.Marshal(map[string]string{"accessKeyId": vars["ESP_ACCESS_KEY"], "accessKeySecret": vars["ESP_SECRET_KEY"]})
			resp, err := (&http.Client{Transport: toServer}).Post(vars["ESP_API_BASE_URL"]+"/token/access-key", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token exchange with the downloaded keys: %s", resp.Status)
			}
		})
	}
}
