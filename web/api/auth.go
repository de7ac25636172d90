package api

import (
	"errors"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// authFailed counts a failed authentication from addr, or, when the address
// has used up its failures, answers 429 instead of the failure. Counting and
// deciding are one step (httpx.AttemptLimit.Take), so failures that arrive
// together get no more answers than the same failures one after another.
// Only failing requests are limited: keys and tokens are 256-bit random, so
// nothing can be guessed by succeeding, and a client that got some calls
// wrong keeps working with its right ones.
func (h *Handlers) authFailed(c echo.Context, addr string) error {
	ok, wait, err := h.failures.Take(c.Request().Context(), addr)
	if err != nil || ok {
		return err
	}
	c.Response().Header().Set("Retry-After", retryAfter(wait))
	return &lifecycle.Error{Code: lifecycle.RateLimited,
		Message: "Too many failed authentications from this address; retry after " + retryAfter(wait) + " seconds."}
}

func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int(math.Ceil(wait.Seconds())))
}

// tokenContextKey holds the authenticated lifecycle.Bearer in the
// echo.Context.
const tokenContextKey = "esp.api.bearer"

// apiTenantID is the tenant of the request's token (set by RequireToken).
func apiTenantID(c echo.Context) int64 {
	b, _ := c.Get(tokenContextKey).(lifecycle.Bearer)
	return b.TenantID
}

// caller is the request's lifecycle.Caller: its client address as the
// router sees it (httpx.ClientAddr, after the trusted proxies) and its
// User-Agent.
func caller(c echo.Context) lifecycle.Caller {
	a, _ := netip.ParseAddr(httpx.ClientAddr(c))
	return lifecycle.Caller{Addr: a.Unmap(), UserAgent: c.Request().UserAgent()}
}

// addressRefused reports whether err refuses the caller's address
// (lifecycle.ReasonIPNotAllowed), counting it by kind when it does. That
// refusal is answered as it is on every route (403 ip_not_allowed in the
// API's envelope, naming the address), and it is no failed
// authentication: the caller presented live keys or a live token.
func (h *Handlers) addressRefused(err error, kind string) bool {
	var e *lifecycle.Error
	if !errors.As(err, &e) || e.Reason != lifecycle.ReasonIPNotAllowed {
		return false
	}
	h.refused.AddressRefused(kind)
	return true
}

// bearerError is an Unauthorized with the RFC 6750 challenge that goes with
// it; the RFC's error code, when there is one, is its Reason.
func bearerError(c echo.Context, errCode, description string) error {
	challenge := `Bearer realm="esp"`
	if errCode != "" {
		challenge += `, error="` + errCode + `", error_description="` + description + `"`
	}
	c.Response().Header().Set("WWW-Authenticate", challenge)
	return &lifecycle.Error{Code: lifecycle.Unauthorized, Reason: errCode, Message: description}
}

// RequireToken lets a request through only with a live bearer token
// (lifecycle.Tokens.Authenticate).
func (h *Handlers) RequireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		addr := httpx.LimitAddr(c)
		token, errCode, problem := bearerToken(c.Request())
		if problem != "" {
			if err := h.authFailed(c, addr); err != nil {
				return err
			}
			return bearerError(c, errCode, problem)
		}
		bearer, err := h.tokens.Authenticate(c.Request().Context(), token, caller(c))
		if h.addressRefused(err, "token") {
			return err
		}
		switch lifecycle.ErrorCode(err) {
		case "":
		case lifecycle.Unauthorized:
			if err := h.authFailed(c, addr); err != nil {
				return err
			}
			return bearerError(c, "invalid_token", lifecycle.ErrorMessage(err))
		case lifecycle.Forbidden:
			return &lifecycle.Error{Code: lifecycle.Forbidden, Reason: "feature_disabled", Message: lifecycle.ErrorMessage(err)}
		default:
			return err
		}
		c.Set(tokenContextKey, bearer)
		c.Response().Header().Set("Cache-Control", "no-store")
		setCredentialExpires(c, bearer.CredentialExpires)
		return next(c)
	}
}

// bearerToken takes the token from "Authorization: Bearer TOKEN". problem
// says what is wrong, with the RFC 6750 error code: none when the header is
// missing, invalid_request when it is malformed, invalid_token when the
// token cannot be one of ours.
func bearerToken(r *http.Request) (token, errCode, problem string) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", "", "An access token is required: send Authorization: Bearer TOKEN."
	case len(vals) > 1:
		return "", "invalid_request", "Send exactly one Authorization header."
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", "invalid_request", "The Authorization header must be: Bearer TOKEN."
	}
	if !lifecycle.WellFormedToken(token) {
		return "", "invalid_token", lifecycle.ErrTokenInvalid.Message
	}
	return token, "", ""
}
