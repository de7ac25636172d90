package admin

import (
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
	"esp/web/httpx"
)

// AllowedIPsPage is GET /api-credentials/allowed-ips: the tenant's allowed
// addresses, and the admin's own address as the server sees it.
func (h *Handlers) AllowedIPsPage(c echo.Context) error {
	l, err := h.lc.AllowedAddresses(c.Request().Context(), currentSession(c).tenant.ID)
	if err != nil {
		return err
	}
	return h.renderAllowedIPs(c, http.StatusOK, l, l.String(), "")
}

// AllowedIPsSave is POST /api-credentials/allowed-ips: it replaces the
// list with the textarea's. A bad line refuses the whole list (400 with
// its line number, the text as sent, nothing saved); a saved list is shown
// back normalised.
func (h *Handlers) AllowedIPsSave(c echo.Context) error {
	u := currentSession(c)
	text := c.Request().PostFormValue("allowed_ips")
	l, err := h.lc.SetAllowedAddresses(c.Request().Context(), u.tenant.ID, u.actor(), text)
	if lifecycle.ErrorCode(err) == lifecycle.Invalid {
		saved, rerr := h.lc.AllowedAddresses(c.Request().Context(), u.tenant.ID)
		if rerr != nil {
			return rerr
		}
		return h.renderAllowedIPs(c, httpx.StatusOf(err), saved, text, refusal(err))
	}
	if err != nil {
		return err
	}
	return h.renderAllowedIPs(c, http.StatusOK, l, l.String(), "")
}

// renderAllowedIPs answers the page with the saved list saved, the
// textarea holding text, and why a save was refused ("" when it was not).
func (h *Handlers) renderAllowedIPs(c echo.Context, status int, saved lifecycle.AllowList, text, refused string) error {
	vm := views.AllowedIPsVM{Page: h.page(c, "Allowed addresses"), List: text, Entries: len(saved),
		Max: lifecycle.MaxAllowedAddresses, YourAddress: yourAddress(c), Notice: refused, NoticeIsError: refused != ""}
	if refused == "" && c.Request().Method == http.MethodPost {
		vm.Notice = "Saved. The list applies from the next API request on."
	}
	return h.render(c, status, views.AllowedIPs(vm))
}

// yourAddress is the request's client address as the API would check it
// (after the trusted proxies; IPv4-mapped IPv6 as IPv4).
func yourAddress(c echo.Context) string {
	a, err := netip.ParseAddr(httpx.ClientAddr(c))
	if err != nil {
		return httpx.ClientAddr(c)
	}
	return a.Unmap().String()
}
