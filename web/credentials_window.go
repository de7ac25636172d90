package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
)

// statusPath is the live-status endpoint the window's script polls.
const statusPath = views.StatusURL

// credentialsWindow is GET /api-credentials: the window with masked keys.
func (s *Server) credentialsWindow(c echo.Context) error {
	return s.renderWindow(c, http.StatusOK, "")
}

// renderWindow answers the window showing the tenant's current credential
// and, when refused is not empty, why the last action was refused.
func (s *Server) renderWindow(c echo.Context, status int, refused string) error {
	cur, err := s.lc.Current(c.Request().Context(), currentSession(c).tenant.ID)
	if err != nil {
		return err
	}
	vm, err := s.credentialsVM(c, cur)
	if err != nil {
		return err
	}
	vm.Notice, vm.NoticeIsError = refused, refused != ""
	return s.render(c, status, views.CredentialsWindow(vm))
}

// refusal is the message of a lifecycle refusal (a conflict), or "" for any
// other error.
func refusal(err error) string {
	var le *lifecycle.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return ""
}

// credentialsStatus is GET /api-credentials/status: the window's fields as
// JSON for the live-status script. It never carries a key.
func (s *Server) credentialsStatus(c echo.Context) error {
	cur, err := s.lc.Current(c.Request().Context(), currentSession(c).tenant.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fieldsOf(cur))
}
