package admin

import (
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

// userSession is the signed-in user of a request.
type userSession struct {
	idHash []byte
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

func hashSessionID(sid string) []byte {
	h := sha256.Sum256([]byte(sid))
	return h[:]
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

// loadSession finds the request's signed-in user. A session that has been
// logged out, has idled longer than SessionIdle or is older than SessionMax
// (by the server's clock) is no session. Its row stays until the
// scheduler's housekeeping deletes it: no request deletes rows that the
// requests of every server could race for.
func (h *Handlers) loadSession(c echo.Context) (*userSession, error) {
	sid, _ := h.readCookie(c, sessionCookie)[sidValue].(string)
	if sid == "" {
		return nil, nil
	}
	ctx := c.Request().Context()
	idHash := hashSessionID(sid)
	now := h.now()
	// One query for the session, its user and the tenant, or none when the
	// read cache has them: this runs on every admin request. A cached
	// last-seen time that would make the session idle is read again.
	row, user, tenant, err := h.store.SessionAccount(ctx, idHash, now.Add(-h.idle))
	if errors.Is(err, lifecycle.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(row.LastSeenAt) >= h.idle || now.Sub(row.CreatedAt) >= h.max {
		return nil, nil
	}
	if user.ID == 0 {
		return nil, nil // the user was removed (its sessions go with it)
	}
	if tenant.ID == 0 {
		return nil, fmt.Errorf("store: tenant %d of user %d: %w", user.TenantID, user.ID, lifecycle.ErrNotFound)
	}
	// Recording every request would make each page view a database write
	// (one writer at a time in SQLite); recording at most once per
	// touchEvery keeps the idle timeout exact to within touchEvery.
	if now.Sub(row.LastSeenAt) >= h.touchEvery() {
		if err := h.store.TouchSession(ctx, idHash, now); err != nil {
			return nil, err
		}
	}
	return &userSession{idHash: idHash, user: user, tenant: tenant, csrf: h.csrfToken(sid)}, nil
}

// touchEvery is how stale a session's last-seen time may get before a
// request records it again: a minute, or a thirtieth of the idle timeout
// when that is shorter.
func (h *Handlers) touchEvery() time.Duration {
	return min(time.Minute, h.idle/30)
}

// startSession signs user in with a brand-new session id (never one the
// browser brought along), ending the request's previous session if any.
// A user whose password changed, or who was removed, since user was read
// gets no session (lifecycle.ErrConflict); a user at
// lifecycle.MaxSessionsPerUser loses their oldest other session.
func (h *Handlers) startSession(c echo.Context, user lifecycle.User) error {
	ctx := c.Request().Context()
	if old := currentSession(c); old != nil {
		if err := h.store.DeleteSession(ctx, old.idHash); err != nil {
			return err
		}
	}
	now := h.now()
	sid := randomToken()
	if err := h.store.CreateSession(ctx, lifecycle.Session{IDHash: hashSessionID(sid), UserID: user.ID, CreatedAt: now, LastSeenAt: now}, user.PasswordHash); err != nil {
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
		if err := h.store.DeleteSession(c.Request().Context(), u.idHash); err != nil {
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
// exist (404), exactly like an unknown address.
func (h *Handlers) RequireCredentialsAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentSession(c).canManageCredentials() {
			if wantsJSON(c) {
				return c.JSON(http.StatusNotFound, statusError{"Not found."})
			}
			return echo.ErrNotFound
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
