package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// tokenResponse is the answer of both token routes (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// exchangeError is why keys did not get a token. The two token routes word
// it differently: the JSON envelope on one, RFC 6749 errors on the other.
type exchangeError struct {
	status  int
	code    string // the JSON envelope's code
	oauth   string // the RFC 6749 §5.2 error
	message string
	failure bool // counts against the client address's failure budget
}

// exchangeRefusal words a refused exchange (lifecycle.Tokens.Exchange's
// Unauthorized and Forbidden); ok is false for any other error.
func exchangeRefusal(err error) (xe exchangeError, ok bool) {
	msg := lifecycle.ErrorMessage(err)
	switch lifecycle.ErrorCode(err) {
	case lifecycle.Unauthorized:
		return exchangeError{status: http.StatusUnauthorized, code: "invalid_credentials", oauth: "invalid_client", message: msg, failure: true}, true
	case lifecycle.Forbidden:
		return exchangeError{status: http.StatusForbidden, code: "feature_disabled", oauth: "unauthorized_client", message: msg}, true
	}
	return exchangeError{}, false
}

// writeToken answers a successful exchange; tokens are never cached.
func writeToken(c echo.Context, t lifecycle.IssuedToken) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, tokenResponse{AccessToken: t.Token, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second)})
}
