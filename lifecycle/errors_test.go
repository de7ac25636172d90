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

// The sentinels are coded errors: each has its code, and errors.Is still
// finds it through wrapping.
func TestSentinelsAreCodedErrors(t *testing.T) {
	for _, tc := range []struct {
		err  *lifecycle.Error
		code lifecycle.Code
	}{
		{lifecycle.ErrNotFound, lifecycle.NotFound},
		{lifecycle.ErrConflict, lifecycle.Conflict},
		{lifecycle.ErrUnavailable, lifecycle.Unavailable},
		{lifecycle.ErrBadLogin, lifecycle.Unauthorized},
		{lifecycle.ErrAlreadyGenerated, lifecycle.Conflict},
		{lifecycle.ErrMalformedKey, lifecycle.Invalid},
		{lifecycle.ErrKeysRejected, lifecycle.Unauthorized},
		{lifecycle.ErrFeatureOff, lifecycle.Forbidden},
		{lifecycle.ErrTokenInvalid, lifecycle.Unauthorized},
	} {
		wrapped := fmt.Errorf("context: %w", tc.err)
		if got := lifecycle.ErrorCode(wrapped); got != tc.code {
			t.Errorf("%v: code %q, want %q", tc.err, got, tc.code)
		}
		if !errors.Is(wrapped, tc.err) {
			t.Errorf("%v: errors.Is does not find it wrapped", tc.err)
		}
	}
	if errors.Is(lifecycle.ErrAlreadyGenerated, lifecycle.ErrConflict) {
		t.Error("a sentinel is another sentinel of its code")
	}
}

// Every code is listed once.
func TestCodesListsEachCodeOnce(t *testing.T) {
	seen := map[lifecycle.Code]bool{}
	for _, c := range lifecycle.Codes() {
		if seen[c] || c == "" {
			t.Errorf("code %q listed twice or empty", c)
		}
		seen[c] = true
	}
	if len(seen) != 8 {
		t.Errorf("%d codes, want 8", len(seen))
	}
}
