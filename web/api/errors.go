package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// apiErrorBody is the public API's error envelope.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RenderError answers with the public API's error envelope.
func RenderError(c echo.Context, p httpx.Problem) error {
	if p.Status == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="esp"`)
	}
	return c.JSON(p.Status, apiErrorBody{apiErrorDetail{Code: p.Code, Message: p.Message}})
}

// RenderOAuthError answers the OAuth token route's errors as RFC 6749 §5.2
// does: with the RFC's error the refusal names as its Reason, a failure
// limit's refusal as temporarily_unavailable, any other as invalid_request.
// The RFC has no error for a failure on the server's side, nor for a
// caller outside the tenant's allowed addresses: those get the API's
// envelope, the latter as 403 ip_not_allowed, like on every other route.
func RenderOAuthError(c echo.Context, p httpx.Problem) error {
	if p.Status >= 500 || p.Code == lifecycle.ReasonIPNotAllowed {
		return RenderError(c, p)
	}
	return oauthError(c, p.Status, oauthErrorCode(p.Code), p.Message)
}

// oauthErrorCode is the RFC 6749 error that answers an error the API's
// envelope would name code.
func oauthErrorCode(code string) string {
	switch code {
	case "invalid_client", "unauthorized_client", "unsupported_grant_type":
		return code
	case "rate_limited":
		return "temporarily_unavailable"
	}
	return "invalid_request"
}
