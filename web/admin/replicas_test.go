package admin_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esp/store/storetest"
	"esp/web/admin"
	"esp/web/internal/webtest"
)

// A session made on one replica works on the others, a form from one
// replica's page is accepted by another (one CSRF key), and a logout on one
// replica is refused at the very next request on every other, though each
// has decoded and checked that very cookie before: what a replica keeps
// between requests (decoded cookies, cached reads) must not let it through.
func TestLogoutOnOneReplicaIsRefusedOnEveryOtherAtOnce(t *testing.T) {
	rs := webtest.NewReplicas(t, 3)
	browser := webtest.SignedIn(t, rs[0], "alice")
	for range 2 { // the second time from whatever each replica keeps
		for i, r := range rs {
			if rec := browser.On(r).Get("/api-credentials/status"); rec.Code != http.StatusOK {
				t.Fatalf("replica %d: the session made on replica 1 answered %d, want 200", i+1, rec.Code)
			}
		}
	}
	cookie := browser.CookieSnapshot()["esp_session"]

	// Log out on replica 2 with the form of replica 1's page.
	fields := browser.FormFields(t, "/", "/logout")
	webtest.WantRedirect(t, browser.On(rs[1]).Post("/logout", fields), "/login?logged_out=1")

	// A copy of the cookie from before the logout is refused everywhere.
	for i, r := range rs {
		replay := webtest.NewClient(r)
		replay.Cookies["esp_session"] = cookie
		if rec := replay.Get("/api-credentials/status"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("replica %d: the logged-out session answered %d, want 401", i+1, rec.Code)
		}
		webtest.WantRedirect(t, replay.Get("/"), "/login")
	}
}

// Wrong logins from one address, spread over the replicas, use one
// allowance: the 11th is refused on whichever replica it reaches, even with
// the right password.
func TestWrongLoginsSpreadOverReplicasShareOneAllowance(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("one server per SQLite data folder: each server counts its own logins")
	}
	rs := webtest.NewReplicas(t, 3)
	browser := webtest.NewClient(rs[0])
	for i := range 10 {
		if rec := browser.On(rs[i%3]).Login(t, "alice", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong login %d on replica %d: %d, want 401", i+1, i%3+1, rec.Code)
		}
	}
	for i, r := range rs {
		rec := browser.On(r).Login(t, "alice", "password-alice")
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "6" {
			t.Fatalf("login on replica %d after 10 wrong ones: %d, Retry-After %q; want 429, 6",
				i+1, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	rs[0].Clock.Add(6 * time.Second)
	webtest.WantRedirect(t, browser.On(rs[2]).Login(t, "alice", "password-alice"), "/")
}

// On PostgreSQL the replicas keep no session key file: the keys are the
// database's. The login form of one replica is accepted by another.
func TestReplicasOnPostgresKeepTheSessionKeysInTheDatabase(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("on SQLite the keys are the data folder's file (session_test.go)")
	}
	rs := webtest.NewReplicas(t, 2)
	browser := webtest.NewClient(rs[0])
	token := browser.CSRF(t, "/login")
	form := map[string][]string{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}}
	webtest.WantRedirect(t, browser.On(rs[1]).Send(webtest.NewFormRequest("/login", form)), "/")
	webtest.WantStatus(t, browser.Get("/"), http.StatusOK)
	for i, r := range rs {
		if _, err := os.Stat(filepath.Join(r.Cfg.Admin.DataDir, admin.SessionKeyFile)); !os.IsNotExist(err) {
			t.Fatalf("replica %d wrote a session key file (%v)", i+1, err)
		}
	}
}

// keyTable is a KeyTable answering fixed keys.
type keyTable struct {
	keys admin.SessionKeys
	err  error
}

func (k keyTable) SessionKeys(context.Context, admin.SessionKeys) (admin.SessionKeys, error) {
	return k.keys, k.err
}

// Keys that cannot be the session keys, or a table that cannot be read,
// stop the start with a one-line error that shows no key.
func TestSessionKeysTheTableCannotGiveStopTheStart(t *testing.T) {
	env := webtest.NewEnv(t)
	short := admin.SessionKeys{Hash: make([]byte, 64), Block: []byte("0123456789abcdef"), CSRF: make([]byte, 32)}
	for _, tc := range []struct {
		name  string
		table keyTable
		want  string
	}{
		{"a short key", keyTable{keys: short}, "damaged"},
		{"a failing table", keyTable{err: errors.New("connection refused")}, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := env.Cfg.Admin
			cfg.Keys = admin.KeysIn(tc.table)
			_, err := admin.New(cfg, slog.New(slog.DiscardHandler), env.Service, env.Accounts, env.Sessions, env.Plans)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") ||
				strings.Contains(err.Error(), "0123456789abcdef") {
				t.Fatalf("admin.New = %v, want one line saying %q without the keys", err, tc.want)
			}
		})
	}
}
