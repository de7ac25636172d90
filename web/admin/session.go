package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"esp/lifecycle"
)

// Cookie names. The session cookie carries only a random session id (signed
// and encrypted); the login cookie carries the login form's CSRF token for a
// visitor who has no session yet.
const (
	sessionCookie = "esp_session"
	loginCookie   = "esp_login"
	sidValue      = "sid"
	csrfValue     = "csrf"
	sessionCtxKey = "esp.session"
)

// Sessions are the signed-in browsers (lifecycle.Sessions): Start returns
// the new session's id for the cookie, Load who an id signs in (or
// lifecycle.ErrNoSession), End logs one out, and MaxAge is the longest any
// session lives, the cookie's too.
type Sessions interface {
	Start(ctx context.Context, user lifecycle.User) (id string, err error)
	Load(ctx context.Context, id string) (lifecycle.SignedIn, error)
	End(ctx context.Context, id string) error
	MaxAge() time.Duration
}

// userSession is the signed-in user of a request.
type userSession struct {
	id     string // the session's id, from its cookie
	user   lifecycle.User
	tenant lifecycle.Tenant
	csrf   string // the token every form of this session must send back
}

// canManageCredentials reports whether the API Credentials window exists for
// this user: an ESP admin of a tenant whose public API feature is on.
func (u *userSession) canManageCredentials() bool { return u.user.IsAdmin && u.tenant.PublicAPI }

// actor names the user in the audit trail.
func (u *userSession) actor() string { return lifecycle.UserActor(u.user.Username) }

// currentSession is the request's signed-in user, or nil.
func currentSession(c echo.Context) *userSession {
	u, _ := c.Get(sessionCtxKey).(*userSession)
	return u
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfToken derives the session's CSRF token from its id, so it needs no
// storage and changes with every new session.
func (h *Handlers) csrfToken(sid string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte("esp csrf\x00"))
	m.Write([]byte(sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookieOptions are the cookie attributes for this request: HttpOnly,
// SameSite=Lax, and Secure when configured or when the request came over TLS.
func (h *Handlers) cookieOptions(c echo.Context, maxAge int) *sessions.Options {
	o := *h.cookies.Options
	o.MaxAge = maxAge
	o.Secure = o.Secure || c.Request().TLS != nil
	return &o
}

// readCookie decodes one of our cookies; a missing, forged, expired or
// otherwise unreadable cookie gives no values.
// The values returned must not be modified: they may be shared with other
// requests bringing the same cookie (see verifiedCookies).
func (h *Handlers) readCookie(c echo.Context, name string) map[any]any {
	raw, err := c.Request().Cookie(name)
	if err != nil {
		return nil
	}
	// Real time, not h.now: the cookie's own age limit is checked against
	// real time when it is decoded.
	key, now := name+"="+raw.Value, time.Now()
	if values, ok := h.verified.get(key, now); ok {
		return values
	}
	sess, err := h.cookies.New(c.Request(), name)
	if err != nil || sess.IsNew {
		return nil
	}
	h.verified.put(key, sess.Values, now)
	return sess.Values
}

// writeCookie sets one of our cookies to values; nil values delete it.
func (h *Handlers) writeCookie(c echo.Context, name string, values map[any]any) error {
	sess := sessions.NewSession(h.cookies, name)
	sess.Options = h.cookieOptions(c, 0) // a browser-session cookie
	if values == nil {
		sess.Options.MaxAge = -1
	} else {
		sess.Values = values
	}
	if err := h.cookies.Save(c.Request(), c.Response(), sess); err != nil {
		return fmt.Errorf("web: write cookie %s: %w", name, err)
	}
	return nil
}

// loadSession finds the request's signed-in user, or nil.
func (h *Handlers) loadSession(c echo.Context) (*userSession, error) {
	sid, _ := h.readCookie(c, sessionCookie)[sidValue].(string)
	if sid == "" {
		return nil, nil
	}
	in, err := h.sessions.Load(c.Request().Context(), sid)
	if errors.Is(err, lifecycle.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &userSession{id: sid, user: in.User, tenant: in.Tenant, csrf: h.csrfToken(sid)}, nil
}

// startSession signs user in with a brand-new session id (never one the
// browser brought along), ending the request's previous session if any.
// A user whose password changed, or who was removed, since user was read
// gets no session (lifecycle.ErrConflict).
func (h *Handlers) startSession(c echo.Context, user lifecycle.User) error {
	ctx := c.Request().Context()
	if old := currentSession(c); old != nil {
		if err := h.sessions.End(ctx, old.id); err != nil {
			return err
		}
	}
	sid, err := h.sessions.Start(ctx, user)
	if err != nil {
		return err
	}
	if err := h.writeCookie(c, sessionCookie, map[any]any{sidValue: sid}); err != nil {
		return err
	}
	return h.writeCookie(c, loginCookie, nil)
}

// endSession logs the request's user out on the server and in the browser.
func (h *Handlers) endSession(c echo.Context) error {
	if u := currentSession(c); u != nil {
		if err := h.sessions.End(c.Request().Context(), u.id); err != nil {
			return err
		}
	}
	c.Set(sessionCtxKey, nil)
	return h.writeCookie(c, sessionCookie, nil)
}

// WithSession loads the signed-in user, if any, into the request.
func (h *Handlers) WithSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := h.loadSession(c)
		if err != nil {
			return err
		}
		if u != nil {
			c.Set(sessionCtxKey, u)
		}
		return next(c)
	}
}

// RequireSession sends anonymous visitors to the login page (the live-status
// JSON answers 401 instead: a script cannot follow a login redirect).
// Everything behind it is personal: nothing may be cached.
func (h *Handlers) RequireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if currentSession(c) == nil {
			if wantsJSON(c) {
				return c.JSON(http.StatusUnauthorized, statusError{"Your session has ended. Log in again."})
			}
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		return next(c)
	}
}

// RequireCredentialsAccess hides the API Credentials window from everyone
// but an admin of a tenant with the public API on: for them it does not
// exist (404), like an unknown address, though the page says whom to ask
// (refuseCredentials).
func (h *Handlers) RequireCredentialsAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentSession(c).canManageCredentials() {
			if wantsJSON(c) {
				return c.JSON(http.StatusNotFound, statusError{"Not found."})
			}
			return h.refuseCredentials(c)
		}
		return next(c)
	}
}

// statusError is the live-status endpoint's error body.
type statusError struct {
	Error string `json:"error"`
}

// jsonCtxKey marks, in the echo.Context, a route that answers JSON.
const jsonCtxKey = "esp.answersJSON"

// AnswersJSON marks the routes it guards as answering JSON (the live
// status), so that the refusals above answer JSON too.
func AnswersJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(jsonCtxKey, true)
		return next(c)
	}
}

// wantsJSON reports whether the route answers JSON (see AnswersJSON).
func wantsJSON(c echo.Context) bool { return c.Get(jsonCtxKey) == true }
