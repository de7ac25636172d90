package lifecycle

import (
	"errors"
	"fmt"
)

// Code says what kind of refusal an Error is; the HTTP layer maps each code
// to a status in one place.
type Code string

// The codes of the one error vocabulary.
const (
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	RateLimited  Code = "rate_limited"
	Unavailable  Code = "unavailable"
	Internal     Code = "internal"
)

// Codes lists every code of the vocabulary, for checks that each has its
// answer.
func Codes() []Code {
	return []Code{NotFound, Conflict, Invalid, Unauthorized, Forbidden, RateLimited, Unavailable, Internal}
}

// Error is a coded error: its Code says what kind of refusal it is, its
// Message is what a user may read, and Err, when set, is the cause. Reason,
// when set, names the refusal more finely than Code for a client that tells
// refusals apart (the API's "invalid_credentials" is an Unauthorized); it
// never changes what kind of refusal it is.
type Error struct {
	Code    Code
	Reason  string
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a coded error whose message is formatted as fmt.Errorf
// does; a %w verb names the cause.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode is the code of err: "" for nil, the code of the first coded
// error in its chain, or Internal for any other error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage is what a user may read of err: the message of the first
// coded error in its chain, or "" when err carries none (an internal error
// says nothing of itself).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return ""
}

// refused is the Conflict a user's move meets when the credential's status
// does not allow it, or changed at the same time.
func refused(message string) *Error {
	return &Error{Code: Conflict, Message: message, Err: ErrConflict}
}

// ErrNotFound is what storage returns, wrapped, for a row that does not
// exist.
var ErrNotFound = &Error{Code: NotFound}

// ErrConflict is what storage returns, wrapped, for a change that would
// break an invariant (a duplicate name, a second live credential) or whose
// row was not in the state the change expected.
var ErrConflict = &Error{Code: Conflict}

// ErrUnavailable is what storage returns, wrapped, when the database
// cannot be reached for now (down, restarting, failing over): the request
// may succeed if tried again shortly.
var ErrUnavailable = &Error{Code: Unavailable, Message: "The database cannot be reached right now. Try again in a few seconds."}
