package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
)

// CredentialsWindow is GET /api-credentials: the window with masked keys.
func (h *Handlers) CredentialsWindow(c echo.Context) error {
	return h.renderWindow(c, http.StatusOK, window{})
}

// BackToWindow sends a GET of a form's address to the window.
func BackToWindow(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/api-credentials")
}

// window is what one answer of the API Credentials window holds beyond the
// tenant's current credential. A handler sets what it has already read or
// made; renderWindow reads the rest.
type window struct {
	// plans are the tenant's plans, the page behind the window; nil when
	// not read yet (a tenant without plans has an empty list).
	plans []views.PlanSummary
	// keys are the keys Generate has just made: the window shows them in
	// full, this once, and reads nothing more once they exist.
	keys *lifecycle.NewKeys
	// refused says why the last action was refused.
	refused string
	// confirm asks the admin to confirm Deactivate.
	confirm bool
}

// renderWindow is the one place the window is built: it reads what w does
// not hold, turns it into the window's view model and answers with it.
func (h *Handlers) renderWindow(c echo.Context, status int, w window) error {
	ctx, tenant := c.Request().Context(), currentSession(c).tenant
	var cur lifecycle.Current
	if w.keys != nil {
		cur = w.keys.Current()
	} else {
		var err error
		if cur, err = h.lc.Current(ctx, tenant.ID); err != nil {
			return err
		}
	}
	if w.plans == nil {
		plans, err := h.planSummaries(ctx, tenant.ID)
		if err != nil {
			return err
		}
		w.plans = plans
	}
	f := fieldsOf(cur, h.lc.Now())
	vm := views.CredentialsVM{
		Page:          h.page(c, "API Credentials"),
		Plans:         w.plans,
		StatusCode:    f.StatusCode,
		StatusLabel:   f.StatusLabel,
		Description:   f.Description,
		Created:       f.Created,
		CreatedISO:    f.CreatedISO,
		LastUsed:      f.LastUsed,
		LastUsedISO:   f.LastUsedISO,
		AccessKey:     lifecycle.Mask(cur.Credential.AccessLast4),
		SecretKey:     lifecycle.Mask(cur.Credential.SecretLast4),
		CanGenerate:   f.CanGenerate,
		CanDeactivate: f.CanDeactivate,
		Pending:       f.Pending,
		LeakURL:       cur.LeakURL,
		Notice:        w.refused,
		NoticeIsError: w.refused != "",
		// A new id for every rendering: each Generate form is carried out once.
		GenerateRequest: randomRequestID(),
		Tenant:          tenant.Name,
		APIBase:         h.apiBase(c),
		// Asked only while Deactivate is available: otherwise the form is
		// refused as before.
		ConfirmDeactivate: w.confirm && f.CanDeactivate,
		LastUsedFrom:      f.LastUsedFrom,
		RecentAddresses:   recentAddresses(cur.Uses),
	}
	if err := h.expiryFields(ctx, &vm, tenant.ID, f); err != nil {
		return err
	}
	if w.keys != nil {
		vm.AccessKey, vm.SecretKey, vm.FullKeys = w.keys.AccessKey, w.keys.SecretKey, true
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	}
	return h.render(c, status, views.CredentialsWindow(vm))
}

// refusal is the message of a lifecycle refusal, or "" for any other error.
func refusal(err error) string { return lifecycle.ErrorMessage(err) }

// CredentialsStatus is GET /api-credentials/status: the window's fields as
// JSON for the live-status script. It never carries a key.
func (h *Handlers) CredentialsStatus(c echo.Context) error {
	cur, err := h.lc.Current(c.Request().Context(), currentSession(c).tenant.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fieldsOf(cur, h.lc.Now()))
}

// apiBase is the public API's base URL as clients reach it: under
// --public-url when it is set, else under the scheme and host the admin's
// browser used.
func (h *Handlers) apiBase(c echo.Context) string {
	site := h.publicURL
	if site == "" {
		site = c.Scheme() + "://" + c.Request().Host
	}
	return strings.TrimRight(site, "/") + views.APIBaseURL
}
