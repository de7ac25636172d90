package admin_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/web"
	"esp/web/admin"
	"esp/web/internal/webtest"
)

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	stolen := c.CookieSnapshot()

	rec := c.PostForm(t, "/", "/logout", nil)
	webtest.WantRedirect(t, rec, "/login?logged_out=1")
	if _, ok := c.Cookies["esp_session"]; ok {
		t.Fatal("logout did not delete the session cookie")
	}

	replay := webtest.NewClient(env)
	replay.Cookies = stolen
	webtest.WantRedirect(t, replay.Get("/"), "/login")
	webtest.WantRedirect(t, replay.Get("/api-credentials"), "/login")
}

func TestSessionEndsAfterIdleTime(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	// Each visit restarts the idle clock.
	for range 3 {
		env.Clock.Add(29 * time.Minute)
		webtest.WantStatus(t, c.Get("/"), http.StatusOK)
	}
	env.Clock.Add(30 * time.Minute)
	webtest.WantRedirect(t, c.Get("/"), "/login")
	// The scheduler's housekeeping deletes it: then coming back in time
	// does not revive it.
	if r := env.Tick(t); r.ExpiredSessions != 1 {
		t.Fatalf("tick %+v, want the expired session deleted", r)
	}
	env.Clock.Add(-30 * time.Minute)
	webtest.WantRedirect(t, c.Get("/"), "/login")
}

func TestSessionEndsAfterMaximumAgeEvenWhenActive(t *testing.T) {
	env := webtest.NewEnv(t, func(c *webtest.Config) { c.Lifecycle.SessionMax = 2 * time.Hour })
	c := webtest.SignedIn(t, env, "alice")
	for range 5 {
		env.Clock.Add(20 * time.Minute)
		webtest.WantStatus(t, c.Get("/"), http.StatusOK)
	}
	env.Clock.Add(20 * time.Minute) // 2 h after login
	webtest.WantRedirect(t, c.Get("/"), "/login")
}

func TestSessionDefaultMaximumAgeIs12Hours(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	for range 35 {
		env.Clock.Add(20 * time.Minute)
		webtest.WantStatus(t, c.Get("/"), http.StatusOK)
	}
	env.Clock.Add(20 * time.Minute)
	webtest.WantRedirect(t, c.Get("/"), "/login")
}

func TestSessionCookieSignedWithAnotherKeyIsRefused(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	sid := webtest.SessionID(t, env, c.Cookies["esp_session"])
	hash, block := webtest.ReadSessionKeys(t, env.Cfg.Admin.DataDir)

	// The same session id sealed with the server's keys works (the test
	// builds cookies correctly)...
	same := webtest.NewClient(env)
	same.Cookies["esp_session"] = webtest.SealSessionID(t, sid, hash, block)
	webtest.WantStatus(t, same.Get("/"), http.StatusOK)

	// ...and sealed with other keys it does not.
	otherHash, otherBlock := make([]byte, 64), make([]byte, 32)
	rand.Read(otherHash)
	rand.Read(otherBlock)
	forged := webtest.NewClient(env)
	forged.Cookies["esp_session"] = webtest.SealSessionID(t, sid, otherHash, otherBlock)
	webtest.WantRedirect(t, forged.Get("/"), "/login")
	signedOnly := webtest.NewClient(env)
	signedOnly.Cookies["esp_session"] = webtest.SealSessionID(t, sid, otherHash, block)
	webtest.WantRedirect(t, signedOnly.Get("/"), "/login")
}

func TestSessionCookieAttributes(t *testing.T) {
	login := func(t *testing.T, env *webtest.Env, tlsConn bool) *http.Cookie {
		t.Helper()
		c := webtest.NewClient(env)
		token := c.CSRF(t, "/login")
		req := webtest.NewFormRequest("/login", map[string][]string{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}})
		if tlsConn {
			req.TLS = &tls.ConnectionState{}
		}
		rec := c.Send(req)
		webtest.WantRedirect(t, rec, "/")
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "esp_session" {
				return ck
			}
		}
		t.Fatal("no session cookie")
		return nil
	}
	for _, tt := range []struct {
		name       string
		secure     bool
		tls        bool
		wantSecure bool
	}{
		{"plain HTTP", false, false, false},
		{"TLS", false, true, true},
		{"SecureCookies", true, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := webtest.NewEnv(t, func(c *webtest.Config) { c.Admin.SecureCookies = tt.secure })
			ck := login(t, env, tt.tls)
			if !ck.HttpOnly {
				t.Error("session cookie is not HttpOnly")
			}
			if ck.SameSite != http.SameSiteLaxMode {
				t.Errorf("SameSite = %v, want Lax", ck.SameSite)
			}
			if ck.Secure != tt.wantSecure {
				t.Errorf("Secure = %v, want %v", ck.Secure, tt.wantSecure)
			}
			if ck.Path != "/" {
				t.Errorf("Path = %q, want /", ck.Path)
			}
		})
	}
}

func TestSessionKeyFileIsPrivateAndKept(t *testing.T) {
	env := webtest.NewEnv(t)
	path := filepath.Join(env.Cfg.Admin.DataDir, admin.SessionKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("session key file mode = %v, want 0600", got)
	}
	c := webtest.SignedIn(t, env, "alice")

	// A restart with a file others can read narrows it and keeps the keys:
	// sessions survive.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	env.Admin, err = admin.New(env.Cfg.Admin, quiet, env.Service, env.Accounts, env.Sessions, env.Plans)
	if err != nil {
		t.Fatal(err)
	}
	env.Server = web.New(quiet, env.Admin, env.API, web.Options{})
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("session key file mode after restart = %v, want 0600", fi.Mode().Perm())
	}
	webtest.WantStatus(t, c.Get("/"), http.StatusOK)
}

func TestDamagedSessionKeyFileStopsTheStart(t *testing.T) {
	env := webtest.NewEnv(t)
	path := filepath.Join(env.Cfg.Admin.DataDir, admin.SessionKeyFile)
	if err := os.WriteFile(path, []byte("not keys\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := admin.New(env.Cfg.Admin, slog.New(slog.NewTextHandler(io.Discard, nil)), env.Service, env.Accounts, env.Sessions, env.Plans)
	if err == nil {
		t.Fatal("admin.New accepted a damaged session key file")
	}
}

func TestSymlinkedSessionKeyFileIsRefusedAndItsTargetLeftAlone(t *testing.T) {
	env := webtest.NewEnv(t)
	path := filepath.Join(env.Cfg.Admin.DataDir, admin.SessionKeyFile)
	keys, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The link points at a file others may read, holding valid keys: a
	// server that followed the link would narrow that file and start.
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, keys, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, err = admin.New(env.Cfg.Admin, slog.New(slog.NewTextHandler(io.Discard, nil)), env.Service, env.Accounts, env.Sessions, env.Plans)
	if err == nil {
		t.Fatal("admin.New accepted a symlinked session key file")
	}
	if msg := err.Error(); !strings.Contains(msg, "symlink") || !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
		t.Errorf("error = %q, want one line naming the file and the symlink", msg)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("symlink target mode = %v, want it left at 0644", got)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink itself was replaced (%v, %v)", fi, err)
	}
}

func TestDeletedUserSessionEnds(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "bob")
	if _, err := env.Store.DB.ExecContext(context.Background(), `DELETE FROM users WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	webtest.WantRedirect(t, c.Get("/"), "/login")
}
