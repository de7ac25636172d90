package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"esp/web/httpx"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// adminState is what the admin pages keep between requests.
type adminState struct {
	cookies    *sessions.CookieStore
	verified   *verifiedCookies // decoded cookies, see session_cookiecache.go
	csrfKey    []byte
	idle, max  time.Duration
	loginLimit httpx.AttemptLimit
	checks     passwordChecks // bounds the password checks running at once
	plans      planLister
	static     map[string]staticFile
}

// Defaults for Config fields left zero.
const (
	defaultSessionIdle = 30 * time.Minute
	defaultSessionMax  = 12 * time.Hour
	// Logins per client address: 10 at once, then one every 6s. A login
	// takes its attempt before the password is checked; a right password
	// gives it back.
	loginBurst = 10
	loginEvery = 6 * time.Second
	// How long a login waits for a free password check before it is
	// refused with 503.
	passwordCheckWait = 5 * time.Second
)

func (s *Server) initAdmin() error {
	keys, err := loadSessionKeys(s.cfg.DataDir, s.log)
	if err != nil {
		return err
	}
	a := &s.admin
	a.idle, a.max = s.cfg.SessionIdle, s.cfg.SessionMax
	if a.idle <= 0 {
		a.idle = defaultSessionIdle
	}
	if a.max <= 0 {
		a.max = defaultSessionMax
	}
	a.cookies = sessions.NewCookieStore(keys.Hash, keys.Block)
	a.verified = newVerifiedCookies()
	// The signed timestamp inside the cookie expires with the absolute
	// timeout too; the server-side row is what really decides.
	a.cookies.MaxAge(int(a.max / time.Second))
	a.cookies.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies}
	a.csrfKey = keys.CSRF
	a.loginLimit = httpx.NewMemoryLimit(loginEvery, loginBurst, s.now)
	a.checks = newPasswordChecks(defaultPasswordChecks(), passwordCheckWait)
	a.plans = storePlans{s.store}
	if a.static, err = loadStatic(); err != nil {
		return err
	}
	return nil
}

// methodNotAllowed answers methods a path does not take, after its checks,
// naming in Allow the ones it does.
func methodNotAllowed(allow string) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.ErrMethodNotAllowed
	}
}

// allowedMethods lists the methods routed for path so far, for Allow.
func allowedMethods(e *echo.Echo, path string) string {
	var ms []string
	for _, r := range e.Routes() {
		if r.Path == path && r.Method != echo.RouteNotFound && !slices.Contains(ms, r.Method) {
			ms = append(ms, r.Method)
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// backToWindow sends a GET of a form's address to the window.
func backToWindow(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/api-credentials")
}
