// Package fault holds the forum's application errors: a code every layer may
// return and the gateway maps to an HTTP status, a message fit for users, and
// optionally the field of the input it concerns. Any other error is internal.
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every layer. The gateway maps each to an HTTP status.
const (
	EINVALID         = "validation"
	EUNAUTHENTICATED = "unauthenticated"
	EFORBIDDEN       = "forbidden"
	ESUSPENDED       = "suspended" // 403, with Until
	ENOTFOUND        = "not_found"
	ETAKEN           = "taken"
	ECONFLICT        = "conflict"
	ETOOLARGE        = "too_large"
	ERATELIMITED     = "rate_limited"
	EUNAVAILABLE     = "unavailable"
	EINTERNAL        = "internal"
	// ESECONDFACTOR: the password was right, and the account asks for a
	// second factor too (401, with Ticket).
	ESECONDFACTOR = "second_factor"
)

// Error is an application error: a code from the list above, a message fit for
// users, and optionally the input field it concerns. Any other error is internal.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, for ERATELIMITED and EUNAVAILABLE, is how many seconds
	// to wait before trying again (0: a second).
	RetryAfter int
	// Problems, when the input has more than one, lists each (this one
	// first): a form can show them all at once.
	Problems []*Error
	// Until, for ESUSPENDED, is when the suspension ends.
	Until *time.Time
	// Ticket, for ESECONDFACTOR, is what the second step of the sign-in
	// takes with the second factor.
	Ticket string
}

// Error returns the code and the message, and the field when there is one.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a validation or taken error about one input field.
func FieldError(code, field, message string) *Error {
	return &Error{Code: code, Field: field, Message: message}
}

// Joined returns nil for no problems, the one problem, or the first with
// every problem listed in its Problems.
func Joined(problems []*Error) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return problems[0]
	}
	first := *problems[0]
	first.Problems = problems
	return &first
}

// Code returns the code of an application error, or EINTERNAL for any other
// error (and "" for nil).
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
