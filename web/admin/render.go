package admin

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"esp/views"
	"esp/web/httpx"
)

// render is the one way pages are written: the component renders into a
// buffer first, so a failure half-way answers an error page instead of
// half a page.
func (h *Handlers) render(c echo.Context, status int, page templ.Component) error {
	return h.renderContext(c.Request().Context(), c, status, page)
}

// renderContext is render with the context the component renders in.
func (h *Handlers) renderContext(ctx context.Context, c echo.Context, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(ctx, &buf); err != nil {
		return fmt.Errorf("web: render page: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// page is the shell of a page for the request's user (none on the login
// page or for an anonymous visitor).
func (h *Handlers) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title}
	if u := currentSession(c); u != nil {
		p.Username = u.user.Username
		p.IsAdmin = u.user.IsAdmin
		p.ShowAPICredentials = u.canManageCredentials()
		p.CSRFToken = u.csrf
	}
	return p
}

// errorTitles are friendlier words for the statuses people meet.
var errorTitles = map[int]string{
	http.StatusNotFound:         "Page not found",
	http.StatusForbidden:        "Not allowed",
	http.StatusMethodNotAllowed: "Not allowed",
	http.StatusTooManyRequests:  "Too many requests",
}

func errorTitle(status int) string {
	if t, ok := errorTitles[status]; ok {
		return t
	}
	return http.StatusText(status)
}

// errorMessage replaces Echo's bare status texts with a sentence.
func errorMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "There is no page at this address."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	}
	return http.StatusText(status) + "."
}

// RenderErrorPage answers a page request with an error page, inside the
// app shell when the user is signed in.
func (h *Handlers) RenderErrorPage(c echo.Context, p httpx.Problem) error {
	status, msg := p.Status, p.Message
	if msg == "" || msg == http.StatusText(status) {
		msg = errorMessage(status)
	}
	vm := views.ErrorVM{Page: h.page(c, errorTitle(status)), Code: status, Message: msg}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	// The page is written even when the request's context has ended (a
	// body that timed out ends it), so the client gets its status.
	return h.renderContext(context.WithoutCancel(c.Request().Context()), c, status, views.ErrorPage(vm))
}
