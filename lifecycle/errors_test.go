package lifecycle_test

import (
	"errors"
	"fmt"
	"testing"

	"esp/lifecycle"
)

func TestErrorCodeIsTheFirstCodedErrorsCode(t *testing.T) {
	cause := errors.New("disk full")
	coded := lifecycle.Errorf(lifecycle.Conflict, "plan %q exists: %w", "p1", cause)
	for _, tc := range []struct {
		name    string
		err     error
		code    lifecycle.Code
		message string
	}{
		{"nil", nil, "", ""},
		{"plain error", cause, lifecycle.Internal, ""},
		{"coded", coded, lifecycle.Conflict, `plan "p1" exists: disk full`},
		{"wrapped coded", fmt.Errorf("import: %w", coded), lifecycle.Conflict, `plan "p1" exists: disk full`},
		{"internal hides its message", &lifecycle.Error{Code: lifecycle.Internal, Message: "secret detail"}, lifecycle.Internal, ""},
	} {
		if got := lifecycle.ErrorCode(tc.err); got != tc.code {
			t.Errorf("%s: ErrorCode=%q, want %q", tc.name, got, tc.code)
		}
		if got := lifecycle.ErrorMessage(tc.err); got != tc.message {
			t.Errorf("%s: ErrorMessage=%q, want %q", tc.name, got, tc.message)
		}
	}
	if !errors.Is(coded, cause) {
		t.Error("Errorf with %w does not wrap its cause")
	}
}
