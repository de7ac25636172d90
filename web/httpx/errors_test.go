package httpx_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// statusOf is the status each code must be answered with: the codes of
// the domain and those of HTTP's own refusals.
var statusOf = map[lifecycle.Code]int{
	lifecycle.NotFound:         http.StatusNotFound,
	lifecycle.Conflict:         http.StatusConflict,
	lifecycle.Invalid:          http.StatusBadRequest,
	lifecycle.Unauthorized:     http.StatusUnauthorized,
	lifecycle.Forbidden:        http.StatusForbidden,
	lifecycle.RateLimited:      http.StatusTooManyRequests,
	lifecycle.Unavailable:      http.StatusServiceUnavailable,
	lifecycle.Internal:         http.StatusInternalServerError,
	httpx.MethodNotAllowed:     http.StatusMethodNotAllowed,
	httpx.NotAcceptable:        http.StatusNotAcceptable,
	httpx.RequestTimeout:       http.StatusRequestTimeout,
	httpx.TooLarge:             http.StatusRequestEntityTooLarge,
	httpx.UnsupportedMediaType: http.StatusUnsupportedMediaType,
}

// Every code has exactly one status, and no two codes share one: the
// mapping is total over the codes, and a status names its code.
func TestEachCodeHasItsOwnStatus(t *testing.T) {
	codeOf := map[int]lifecycle.Code{}
	for _, code := range httpx.Codes() {
		want, ok := statusOf[code]
		if !ok {
			t.Errorf("code %q has no status in this test", code)
			continue
		}
		if got := httpx.StatusOf(&lifecycle.Error{Code: code}); got != want {
			t.Errorf("%s: status %d, want %d", code, got, want)
		}
		if other, taken := codeOf[want]; taken {
			t.Errorf("%s and %s share status %d", code, other, want)
		}
		codeOf[want] = code
	}
	if len(codeOf) != len(statusOf) {
		t.Errorf("httpx.Codes lists %d codes, want %d", len(codeOf), len(statusOf))
	}
	if got := httpx.StatusOf(&lifecycle.Error{Code: "no_such_code"}); got != http.StatusInternalServerError {
		t.Errorf("unknown code: status %d, want 500", got)
	}
}

// Every code of the domain's errors has its status, mapped in one place;
// an internal error never shows its message, an unreachable database does.
func TestProblemOfMapsEachCodeToItsStatus(t *testing.T) {
	for _, code := range httpx.Codes() {
		err := fmt.Errorf("wrapped: %w", &lifecycle.Error{Code: code, Message: "the message"})
		p := httpx.ProblemOf(err)
		if status := statusOf[code]; p.Status != status {
			t.Errorf("%s: status %d, want %d", code, p.Status, status)
		}
		if want := "the message"; code == lifecycle.Internal {
			if p.Message == want {
				t.Errorf("%s: an internal error shows its message", code)
			}
		} else if p.Message != want {
			t.Errorf("%s: message %q, want %q", code, p.Message, want)
		}
	}
	if p := httpx.ProblemOf(errors.New("boom")); p.Status != http.StatusInternalServerError || p.Code != "internal_error" {
		t.Errorf("plain error: %+v, want 500 internal_error", p)
	}
}

// A Reason names the refusal in the API's envelope; the status is still
// its code's.
func TestProblemOfTellsTheReasonKeepingTheStatus(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{&lifecycle.Error{Code: lifecycle.Invalid}, http.StatusBadRequest, "bad_request"},
		{&lifecycle.Error{Code: lifecycle.Invalid, Reason: "bad_cursor"}, http.StatusBadRequest, "bad_cursor"},
		{&lifecycle.Error{Code: lifecycle.Unauthorized, Reason: "invalid_token"}, http.StatusUnauthorized, "invalid_token"},
		{&lifecycle.Error{Code: lifecycle.Forbidden, Reason: "feature_disabled"}, http.StatusForbidden, "feature_disabled"},
		{lifecycle.ErrNotFound, http.StatusNotFound, "not_found"},
		{fmt.Errorf("store: plan: %w", lifecycle.ErrNotFound), http.StatusNotFound, "not_found"},
	} {
		if p := httpx.ProblemOf(tc.err); p.Status != tc.status || p.Code != tc.code || p.Message == "" {
			t.Errorf("%v: %+v, want %d %s with a message", tc.err, p, tc.status, tc.code)
		}
	}
}

// Echo's own errors join the vocabulary by their status, with Echo's
// message.
func TestProblemOfTranslatesEchosErrors(t *testing.T) {
	for _, tc := range []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{echo.ErrNotFound, http.StatusNotFound, "not_found", "Not Found"},
		{echo.ErrMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed", "Method Not Allowed"},
		{echo.ErrStatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "Request Entity Too Large"},
		{echo.ErrUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported Media Type"},
		{echo.ErrRequestTimeout, http.StatusRequestTimeout, "request_timeout", "Request Timeout"},
		{echo.NewHTTPError(http.StatusTeapot), http.StatusBadRequest, "bad_request", "I'm a teapot"},
		{echo.ErrInternalServerError, http.StatusInternalServerError, "internal_error", "Something went wrong on our side."},
	} {
		if p := httpx.ProblemOf(tc.err); p != (httpx.Problem{Status: tc.status, Code: tc.code, Message: tc.message}) {
			t.Errorf("%v: %+v, want %d %s %q", tc.err, p, tc.status, tc.code, tc.message)
		}
	}
}
