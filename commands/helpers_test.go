package commands_test

import (
	"errors"
	"testing"

	"forum/fault"
)

// demoPosts is how many posts the demo content has.
const demoPosts = 12

// wantCode fails the test unless err is an application error with code (and
// field, when not empty).
func wantCode(t *testing.T, what string, err error, code, field string) {
	t.Helper()
	if got := fault.Code(err); got != code {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
	if field == "" {
		return
	}
	var e *fault.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("%s: err = %#v, want field %q", what, err, field)
	}
}
