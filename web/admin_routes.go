package web

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// adminState is what the admin pages keep between requests.
type adminState struct {
	cookies      *sessions.CookieStore
	verified     *verifiedCookies // decoded cookies, see session_cookiecache.go
	csrfKey      []byte
	idle, max    time.Duration
	loginLimiter *failureLimiter
	plans        planLister
	static       map[string]staticFile
}

// Defaults for Config fields left zero.
const (
	defaultSessionIdle = 30 * time.Minute
	defaultSessionMax  = 12 * time.Hour
	// Failed logins per client address: 10 at once, then one every 6s.
	loginFailureBurst = 10
	loginFailureEvery = 6 * time.Second
)

func (s *Server) initAdmin() error {
	// Client addresses come from the connection only: X-Forwarded-For and
	// X-Real-IP are set by whoever sends the request, so trusting them would
	// let anyone dodge the failed-login limit.
	s.echo.IPExtractor = echo.ExtractIPDirect()

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
	a.loginLimiter = newFailureLimiter(loginFailureEvery, loginFailureBurst, s.now)
	a.plans = storePlans{s.store}
	if a.static, err = loadStatic(); err != nil {
		return err
	}
	s.echo.Use(s.securityHeaders)
	return nil
}

// adminRoutes registers the login, the pages and the API Credentials window.
func (s *Server) adminRoutes() {
	e := s.echo
	// Middleware order matters: who you are (303 to /login), then whether
	// the window exists for you (404), then the CSRF token (403), so that a
	// refused user learns nothing from a 403.
	session, signedIn, window, csrf := s.withSession, s.requireSession, s.requireCredentialsAccess, s.requireCSRF

	get := []string{http.MethodGet, http.MethodHead}

	// Sign in and out.
	e.Match(get, "/login", s.loginPage, session)
	e.POST("/login", s.login, session)
	e.POST("/logout", s.logout, session, signedIn, csrf)

	// Pages.
	e.Match(get, "/", s.home, session, signedIn)

	// The API Credentials window. Every other method on its paths goes
	// through the same checks first, so that a visitor who may not see the
	// window gets /login or 404 rather than a 405 that gives it away.
	for _, p := range []string{"/api-credentials", "/api-credentials/generate", "/api-credentials/deactivate", "/api-credentials/status"} {
		e.Any(p, methodNotAllowed, session, signedIn, window)
	}
	e.GET("/api-credentials", s.credentialsWindow, session, signedIn, window)
	e.POST("/api-credentials/generate", s.credentialsGenerate, session, signedIn, window, csrf)
	e.POST("/api-credentials/deactivate", s.credentialsDeactivate, session, signedIn, window, csrf)
	e.GET("/api-credentials/status", s.credentialsStatus, session, signedIn, window)
	// Reloading or bookmarking the address a form posted to shows the window.
	e.GET("/api-credentials/generate", backToWindow, session, signedIn, window)
	e.GET("/api-credentials/deactivate", backToWindow, session, signedIn, window)

	// Embedded CSS and JS.
	e.Match([]string{http.MethodGet, http.MethodHead}, "/static/*", s.staticFile)
}

func methodNotAllowed(echo.Context) error { return echo.ErrMethodNotAllowed }

func backToWindow(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/api-credentials")
}
