package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web"
	"esp/web/httpx"
	"esp/web/internal/webtest"
)

// A page and the API answer the same coded error with the same status,
// the one its code maps to: only the shape differs.
func TestPagesAndAPIAnswerACodeWithOneStatus(t *testing.T) {
	env := webtest.NewEnv(t)
	const msg = "Refused for this test."
	for _, code := range httpx.Codes() {
		err := &lifecycle.Error{Code: code, Message: msg}
		path := "/refused/" + string(code)
		web.RefuseWith(env.Server, path, err)
		status := httpx.ProblemOf(err).Status
		page := env.Do(httptest.NewRequest(http.MethodGet, path, nil))
		if page.Code != status {
			t.Errorf("%s: page %d, want %d", code, page.Code, status)
		}
		if ct := page.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: page Content-Type %q, want HTML", code, ct)
		}
		shown := strings.Contains(page.Body.String(), msg)
		if want := code != lifecycle.Internal; shown != want {
			t.Errorf("%s: page shows the message: %v, want %v", code, shown, want)
		}
		api := env.Do(httptest.NewRequest(http.MethodGet, "/api"+path, nil))
		webtest.MustAPIError(t, api, status, httpx.ProblemOf(err).Code)
	}
}
