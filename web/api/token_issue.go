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

// refusalNames words, for one token route, the refusals of
// lifecycle.Tokens.Exchange (Unauthorized and Forbidden): the code it is
// answered with and the reason the route names it by.
type refusalNames map[lifecycle.Code]lifecycle.Error

// keysRefusals are the refusals of the JSON token route.
var keysRefusals = refusalNames{
	lifecycle.Unauthorized: {Code: lifecycle.Unauthorized, Reason: "invalid_credentials"},
	lifecycle.Forbidden:    {Code: lifecycle.Forbidden, Reason: "feature_disabled"},
}

// oauthRefusals are the refusals of the OAuth token route: RFC 6749 §5.2
// answers every error but a failed client authentication 400.
var oauthRefusals = refusalNames{
	lifecycle.Unauthorized: {Code: lifecycle.Unauthorized, Reason: "invalid_client"},
	lifecycle.Forbidden:    {Code: lifecycle.Invalid, Reason: "unauthorized_client"},
}

// exchange trades the keys for a token, a refusal worded as names says.
// Keys that fail to authenticate count against addr's failures.
func (h *Handlers) exchange(c echo.Context, names refusalNames, addr, access, secret string) (lifecycle.IssuedToken, error) {
	t, err := h.tokens.Exchange(c.Request().Context(), access, secret, caller(c))
	if h.addressRefused(err, "keys") {
		return t, err
	}
	named, ok := names[lifecycle.ErrorCode(err)]
	if !ok {
		return t, err
	}
	if lifecycle.ErrorCode(err) == lifecycle.Unauthorized {
		if err := h.authFailed(c, addr); err != nil {
			return t, err
		}
	}
	named.Message, named.Err = lifecycle.ErrorMessage(err), err
	return t, &named
}

// writeToken answers a successful exchange; tokens are never cached.
func writeToken(c echo.Context, t lifecycle.IssuedToken) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	setCredentialExpires(c, t.CredentialExpires)
	return c.JSON(http.StatusOK, tokenResponse{AccessToken: t.Token, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second)})
}

// CredentialExpiresHeader tells, on the answers of a credential that
// expires, when it does: RFC 3339 in UTC, to the second.
const CredentialExpiresHeader = "ESP-Credential-Expires"

// setCredentialExpires announces the expiry of the request's credential
// (zero: it has none, and nothing is said).
func setCredentialExpires(c echo.Context, expires time.Time) {
	if !expires.IsZero() {
		c.Response().Header().Set(CredentialExpiresHeader, expires.UTC().Format(time.RFC3339))
	}
}
