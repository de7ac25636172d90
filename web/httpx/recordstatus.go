package httpx

import "github.com/labstack/echo/v4"

// RecordStatus is route middleware that tells record the status each
// request of its routes was answered with. An error is answered at once,
// by the router's error handler and in the route's own shape, so that
// record sees the status the client gets.
func RecordStatus(record func(status int)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := next(c); err != nil {
				c.Error(err)
			}
			record(c.Response().Status)
			return nil
		}
	}
}
