package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"esp/web/httpx"
)

// The metrics' outcome labels. What came of a login, a token exchange or
// an authentication is read from the status its request was answered with
// (the one mapping of errors to statuses is httpx's), by middleware that
// routes.go puts on the routes it concerns: the handlers stay as they are,
// and every label is one of the fixed words below.

// countLogins counts the logins of POST /login by outcome, and the ones
// the login limit refused.
func (s *Server) countLogins() echo.MiddlewareFunc {
	return httpx.RecordStatus(func(status int) {
		s.obs.Login(loginOutcome(status))
		if status == http.StatusTooManyRequests {
			s.obs.RateLimited("login")
		}
	})
}

// loginOutcome names a login by the status of its answer.
func loginOutcome(status int) string {
	switch status {
	case http.StatusSeeOther:
		return "success" // on to the home page, signed in
	case http.StatusUnauthorized:
		return "wrong" // wrong username or password
	case http.StatusTooManyRequests:
		return "limited" // too many failed logins from the address
	case http.StatusServiceUnavailable:
		return "busy" // no password check came free in time
	case http.StatusForbidden:
		return "expired" // the form's CSRF token did not match
	}
	if status >= 500 {
		return "error"
	}
	return "invalid"
}

// countExchanges counts the token exchanges of the token routes by
// outcome, the keys that failed to authenticate, and the exchanges the
// failed-authentication limit refused.
func (s *Server) countExchanges() echo.MiddlewareFunc {
	return httpx.RecordStatus(func(status int) {
		s.obs.TokenExchange(exchangeOutcome(status))
		s.countAuthentication("keys", status)
	})
}

// exchangeOutcome names a token exchange by the status of its answer. On
// the OAuth route RFC 6749 answers 400 to every refusal but a failed
// client authentication, so there a tenant whose public API is off is
// counted invalid, not forbidden.
func exchangeOutcome(status int) string {
	switch status {
	case http.StatusOK:
		return "issued"
	case http.StatusUnauthorized:
		return "rejected" // keys unknown, mismatched, or not Activated
	case http.StatusForbidden:
		return "forbidden" // the tenant's public API is off
	case http.StatusTooManyRequests:
		return "limited"
	}
	if status >= 500 {
		return "error"
	}
	return "invalid"
}

// countTokens counts the requests of the token-guarded routes whose token
// failed to authenticate, and those the failed-authentication limit
// refused.
func (s *Server) countTokens() echo.MiddlewareFunc {
	return httpx.RecordStatus(func(status int) { s.countAuthentication("token", status) })
}

func (s *Server) countAuthentication(kind string, status int) {
	switch status {
	case http.StatusUnauthorized:
		s.obs.AuthenticationFailed(kind)
	case http.StatusTooManyRequests:
		s.obs.RateLimited("api")
	}
}

// noObserver counts nothing.
type noObserver struct{}

func (noObserver) ObserveRequest(string, string, int, time.Duration) {}
func (noObserver) Login(string)                                      {}
func (noObserver) TokenExchange(string)                              {}
func (noObserver) AuthenticationFailed(string)                       {}
func (noObserver) RateLimited(string)                                {}
