package httpx_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"esp/lifecycle"
	"esp/web/httpx"
)

// Every code of the domain's errors has its status, mapped in one place;
// an internal error never shows its message.
func TestProblemOfMapsEachCodeToItsStatus(t *testing.T) {
	for code, status := range map[lifecycle.Code]int{
		lifecycle.NotFound:     http.StatusNotFound,
		lifecycle.Conflict:     http.StatusConflict,
		lifecycle.Invalid:      http.StatusBadRequest,
		lifecycle.Unauthorized: http.StatusUnauthorized,
		lifecycle.Forbidden:    http.StatusForbidden,
		lifecycle.RateLimited:  http.StatusTooManyRequests,
		lifecycle.Internal:     http.StatusInternalServerError,
	} {
		err := fmt.Errorf("wrapped: %w", &lifecycle.Error{Code: code, Message: "the message"})
		p := httpx.ProblemOf(err)
		if p.Status != status {
			t.Errorf("%s: status %d, want %d", code, p.Status, status)
		}
		if want := "the message"; status >= 500 {
			if p.Message == want {
				t.Errorf("%s: an internal error shows its message", code)
			}
		} else if p.Message != want {
			t.Errorf("%s: message %q, want %q", code, p.Message, want)
		}
	}
	if p := httpx.ProblemOf(errors.New("boom")); p.Status != http.StatusInternalServerError {
		t.Errorf("plain error: status %d, want 500", p.Status)
	}
}
