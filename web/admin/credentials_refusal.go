package admin

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/views"
)

// maxNamedAdmins is how many admins a refusal names; more are counted.
const maxNamedAdmins = 5

// refuseCredentials answers a signed-in user for whom the API Credentials
// window does not exist. The status stays 404, as for any address that is
// not theirs, but the page says why and whom to ask: a non-admin learns
// who manages API credentials for the tenant (the admins' usernames, which
// every user of the tenant may know; never their email addresses), and an
// admin of a tenant whose public API is off learns who can turn it on.
func (h *Handlers) refuseCredentials(c echo.Context) error {
	u := currentSession(c)
	vm := views.ErrorVM{Page: h.page(c, errorTitle(http.StatusNotFound)), Code: http.StatusNotFound,
		Message: errorMessage(http.StatusNotFound)}
	r := views.Refusal{Tenant: u.tenant.Name, UserIsAdmin: u.user.IsAdmin}
	if !u.user.IsAdmin {
		admins, err := h.tenantAdmins(c.Request().Context(), u.tenant.Name)
		if err != nil {
			return err
		}
		r.Admins = admins
		if len(admins) > maxNamedAdmins {
			r.Admins, r.MoreAdmins = admins[:maxNamedAdmins], len(admins)-maxNamedAdmins
		}
	}
	vm.Refusal = &r
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusNotFound)
	}
	return h.render(c, http.StatusNotFound, views.ErrorPage(vm))
}

// tenantAdmins are the usernames of the tenant's ESP admins, in order.
func (h *Handlers) tenantAdmins(ctx context.Context, tenant string) ([]string, error) {
	users, err := h.accounts.Users(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, u := range users {
		if u.IsAdmin {
			names = append(names, u.Username)
		}
	}
	return names, nil
}
