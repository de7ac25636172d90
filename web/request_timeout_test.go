package web_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// A body that stops arriving is answered 408 in the route's own shape once
// the server's read timeout passes (closing the connection), and logged in
// one line that is not an error.
func TestStalledRequestBodyIsAnswered408(t *testing.T) {
	for _, tt := range []struct {
		path, contentType string
		wantJSON          string // the error's code in the route's JSON shape; "" for a page
	}{
		{"/login", "application/x-www-form-urlencoded", ""},
		{"/api-credentials/generate", "application/x-www-form-urlencoded", ""},
		{"/api/v1/token/access-key", "application/json", "request_timeout"},
		{"/api/v1/oauth/token", "application/x-www-form-urlencoded", "invalid_request"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			env := webtest.NewEnv(t)
			srv := httptest.NewUnstartedServer(env.Server)
			srv.Config.ReadTimeout = 200 * time.Millisecond
			srv.Config.ErrorLog = log.New(env.Logs, "http: ", 0)
			srv.Start()
			defer srv.Close()
			before := len(env.Logs.String())

			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, "POST "+tt.path+" HTTP/1.1\r\nHost: esp\r\nContent-Type: "+tt.contentType+
				"\r\nTransfer-Encoding: chunked\r\n\r\n40\r\nusername=alice&pass"); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // only a bound for a broken server
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("status = %d (%q), want 408", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Error("the connection is kept open after a body that never ended")
			}
			if tt.wantJSON != "" {
				if code := jsonErrorCode(body); code != tt.wantJSON {
					t.Errorf("body = %q, want a JSON error with code %s", body, tt.wantJSON)
				}
			} else if !strings.Contains(string(body), `data-testid="error-code">408<`) {
				t.Errorf("body = %q, want the error page for 408", body)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the answer: %v, want the connection closed", err)
			}

			logged := strings.TrimSpace(env.Logs.String()[before:])
			lines := strings.Split(logged, "\n")
			if logged == "" {
				lines = nil
			}
			if len(lines) > 1 {
				t.Errorf("logged %d lines, want at most one:\n%s", len(lines), logged)
			}
			if strings.Contains(logged, "level=ERROR") {
				t.Errorf("logged an error:\n%s", logged)
			}
		})
	}
}

// jsonErrorCode is the code of the API's error envelope or of an OAuth
// error body.
func jsonErrorCode(body []byte) string {
	var api struct {
		Error struct{ Code string }
	}
	if json.Unmarshal(body, &api) == nil && api.Error.Code != "" {
		return api.Error.Code
	}
	var oauth struct{ Error string }
	if json.Unmarshal(body, &oauth) == nil {
		return oauth.Error
	}
	return ""
}
