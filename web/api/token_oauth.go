package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// oauthErrorBody is an RFC 6749 §5.2 error, the shape stock OAuth2 clients
// parse. The token endpoint answers its errors in this shape rather than
// the API's envelope.
type oauthErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func oauthError(c echo.Context, status int, code, description string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="esp"`)
	}
	return c.JSON(status, oauthErrorBody{Error: code, ErrorDescription: description})
}

// OAuthToken is the client-credentials grant of RFC 6749 §4.4: the
// access key is the client id and the secret key the client secret, sent by
// HTTP Basic or as client_id and client_secret form fields (§2.3.1). Its
// route answers errors in the RFC's shape (RenderOAuthError), each refusal
// naming its RFC error as its Reason.
func (h *Handlers) OAuthToken(c echo.Context) error {
	addr := httpx.LimitAddr(c)
	body, err := readAPIBody(c, "application/x-www-form-urlencoded")
	if err != nil {
		return err // an invalid_request (RenderOAuthError)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return oauthRefusal(lifecycle.Invalid, "invalid_request", "The body is not a valid form.")
	}
	for _, name := range []string{"grant_type", "client_id", "client_secret", "scope"} {
		if len(form[name]) > 1 {
			return oauthRefusal(lifecycle.Invalid, "invalid_request", "The parameter "+name+" is given more than once.")
		}
	}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "":
		return oauthRefusal(lifecycle.Invalid, "invalid_request", "grant_type is required: client_credentials.")
	default:
		return oauthRefusal(lifecycle.Invalid, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
	}
	id, secret, fromHeader, problem := oauthClient(c.Request(), form)
	if problem != "" {
		refusal := oauthRefusal(lifecycle.Unauthorized, "invalid_client", problem)
		if fromHeader && (form.Has("client_id") || form.Has("client_secret")) {
			refusal = oauthRefusal(lifecycle.Invalid, "invalid_request", problem)
		}
		if err := h.authFailed(c, addr); err != nil {
			return err
		}
		return refusal
	}
	t, err := h.exchange(c, oauthRefusals, addr, id, secret)
	if err != nil {
		return err
	}
	return writeToken(c, t)
}

// oauthRefusal is a refusal that names its RFC 6749 §5.2 error as its
// Reason.
func oauthRefusal(code lifecycle.Code, rfcError, description string) error {
	return &lifecycle.Error{Code: code, Reason: rfcError, Message: description}
}

// oauthClient finds the client's credentials: HTTP Basic (each part
// form-urlencoded, RFC 6749 §2.3.1) or the client_id and client_secret form
// fields, never a secret in both.
func oauthClient(r *http.Request, form url.Values) (id, secret string, fromHeader bool, problem string) {
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		id, secret = form.Get("client_id"), form.Get("client_secret")
		if id == "" || secret == "" {
			return "", "", false, "Client authentication is required: HTTP Basic, or client_id and client_secret."
		}
		return id, secret, false, ""
	}
	if form.Has("client_secret") {
		return "", "", true, "Use one client authentication method: HTTP Basic or client_id and client_secret, not both."
	}
	scheme, creds, _ := strings.Cut(auth[0], " ")
	if len(auth) > 1 || !strings.EqualFold(scheme, "Basic") {
		return "", "", true, "Client authentication must use HTTP Basic."
	}
	raw, err := base64.StdEncoding.DecodeString(creds)
	if err != nil {
		return "", "", true, "The Basic credentials are not valid base64."
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", true, "The Basic credentials must be client_id:client_secret."
	}
	if id, err = url.QueryUnescape(rawID); err == nil {
		secret, err = url.QueryUnescape(rawSecret)
	}
	if err != nil || id == "" || secret == "" {
		return "", "", true, "The Basic credentials must be client_id:client_secret."
	}
	// Some clients name themselves in the body too (RFC 6749 §3.2.1 allows
	// it); only a different name is a conflict.
	if form.Has("client_id") && form.Get("client_id") != id {
		return "", "", true, "The client_id in the body is not the one in the Basic credentials."
	}
	return id, secret, true, ""
}
