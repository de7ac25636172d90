package admin

import (
	"context"
	"errors"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
	"esp/web/httpx"
)

// Messages of the login form. A bad login never says which field was wrong.
const (
	msgBadLogin     = "Wrong username or password."
	msgLoginExpired = "The login form expired. Please try again."
	msgLoginBusy    = "The server is busy checking other logins. Please try again in a moment."
	msgLoggedOut    = "You have been logged out."
)

// loggedOutURL is where Log out lands. The flag only picks the fixed
// sentence msgLoggedOut, so it keeps no state on the server and carries
// nothing a link could abuse: a forged one shows a true-enough sentence on
// our own login page, and nothing else.
const loggedOutURL = "/login?logged_out=1"

// Longest input worth checking: longer is a wrong login without a lookup.
const (
	maxUsernameLen = 100
	maxPasswordLen = 1024
)

// loginCSRF returns the login form's token. A visitor has no session yet, so
// the token lives in its own signed, encrypted, HttpOnly cookie and the form
// must send the same value back (double submit). Because the cookie is
// signed with our key, an attacker on a sibling domain cannot plant a token
// of their choosing; this stops login CSRF (being signed in to an account
// an attacker controls) without keeping server state for anonymous visitors.
func (h *Handlers) loginCSRF(c echo.Context, fresh bool) (string, error) {
	if !fresh {
		if t, _ := h.readCookie(c, loginCookie)[csrfValue].(string); t != "" {
			return t, nil
		}
	}
	t := randomToken()
	return t, h.writeCookie(c, loginCookie, map[any]any{csrfValue: t})
}

// renderLogin answers the login form with status, a message and the
// username to fill in again.
func (h *Handlers) renderLogin(c echo.Context, status int, username, msg string, freshToken bool) error {
	return h.renderLoginVM(c, status, views.LoginVM{Username: username, Error: msg}, freshToken)
}

func (h *Handlers) renderLoginVM(c echo.Context, status int, vm views.LoginVM, freshToken bool) error {
	token, err := h.loginCSRF(c, freshToken)
	if err != nil {
		return err
	}
	vm.Page = views.Page{Title: "Log in", CSRFToken: token}
	return h.render(c, status, views.Login(vm))
}

// LoginPage is GET /login; a signed-in user goes straight home. Right after
// Log out it says so.
func (h *Handlers) LoginPage(c echo.Context) error {
	if currentSession(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	var vm views.LoginVM
	if c.QueryParam("logged_out") == "1" {
		vm.Notice = msgLoggedOut
	}
	return h.renderLoginVM(c, http.StatusOK, vm, false)
}

// Login is POST /login: the CSRF check, then the login limit per client
// address, then the password check; success starts a brand-new session.
// The attempt is taken from the limit before the password is checked, so
// simultaneous attempts get no more checks than the same attempts one after
// another; only a wrong login keeps it.
func (h *Handlers) Login(c echo.Context) error {
	r := c.Request()
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	if t, _ := h.readCookie(c, loginCookie)[csrfValue].(string); !tokensMatch(r.PostFormValue(csrfField), t) {
		return h.renderLogin(c, http.StatusForbidden, username, msgLoginExpired, true)
	}
	ctx, addr := r.Context(), httpx.LimitAddr(c)
	ok, wait, err := h.loginLimit.Take(ctx, addr)
	if err != nil {
		return err
	}
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return h.renderLogin(c, http.StatusTooManyRequests, username,
			"Too many failed logins from your address. Try again in "+strconv.Itoa(secs)+" seconds.", false)
	}
	user, err := h.authenticate(c, username, password)
	if errors.Is(err, lifecycle.ErrBadLogin) {
		return h.renderLogin(c, http.StatusUnauthorized, username, msgBadLogin, false)
	}
	// A right password, or a check that never ran, does not count.
	if rerr := h.loginLimit.Refund(context.WithoutCancel(ctx), addr); rerr != nil && err == nil {
		err = rerr
	}
	if errors.Is(err, errChecksBusy) || ctx.Err() != nil {
		c.Response().Header().Set("Retry-After", "1")
		return h.renderLogin(c, http.StatusServiceUnavailable, username, msgLoginBusy, false)
	}
	if err != nil {
		return err
	}
	err = h.startSession(c, user)
	if errors.Is(err, lifecycle.ErrConflict) {
		// The password changed while this one was being checked.
		return h.renderLogin(c, http.StatusUnauthorized, username, msgBadLogin, false)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (h *Handlers) authenticate(c echo.Context, username, password string) (lifecycle.User, error) {
	if username == "" || password == "" || len(username) > maxUsernameLen || len(password) > maxPasswordLen {
		return lifecycle.User{}, lifecycle.ErrBadLogin
	}
	ctx := c.Request().Context()
	return h.checks.run(ctx, func() (lifecycle.User, error) {
		return h.accounts.Authenticate(ctx, username, password)
	})
}

// passwordChecks bounds the password checks that run at once. They are
// CPU-bound by design (bcrypt), so a storm of logins from many addresses
// would otherwise leave nothing for the API and the pages. A login that
// finds no free check within wait is refused.
type passwordChecks struct {
	slots chan struct{}
	wait  time.Duration
	// For tests: onQueue runs when a check must wait for a slot, onCheck in
	// the slot just before the check.
	onQueue func()
	onCheck func(context.Context)
}

func newPasswordChecks(n int, wait time.Duration) passwordChecks {
	return passwordChecks{slots: make(chan struct{}, n), wait: wait}
}

// defaultPasswordChecks is half the processors Go uses, at least one: the
// other half stays free for everything else.
func defaultPasswordChecks() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// errChecksBusy means no password check came free in time.
var errChecksBusy = errors.New("web: every password check is busy")

// run runs check in a free slot, waiting at most p.wait for one.
func (p *passwordChecks) run(ctx context.Context, check func() (lifecycle.User, error)) (lifecycle.User, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		if p.onQueue != nil {
			p.onQueue()
		}
		t := time.NewTimer(p.wait)
		defer t.Stop()
		select {
		case p.slots <- struct{}{}:
		case <-t.C:
			return lifecycle.User{}, errChecksBusy
		case <-ctx.Done():
			return lifecycle.User{}, ctx.Err()
		}
	}
	defer func() { <-p.slots }()
	if p.onCheck != nil {
		p.onCheck(ctx)
	}
	return check()
}

// Logout is POST /logout: the session ends on the server, so a copy of the
// old cookie no longer works either. The login page it lands on says so.
func (h *Handlers) Logout(c echo.Context) error {
	if err := h.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, loggedOutURL)
}
