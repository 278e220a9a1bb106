package fault_test

import (
	"fmt"
	"os"
	"testing"

	"forum/fault"
)

func TestErrorCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"app error", fault.Errorf(fault.ENOTFOUND, "post not found"), fault.ENOTFOUND},
		{"field error", fault.FieldError(fault.ETAKEN, "nickname", "taken"), fault.ETAKEN},
		{"wrapped", fmt.Errorf("wrapped: %w", fault.Errorf(fault.ECONFLICT, "x")), fault.ECONFLICT},
		{"foreign", os.ErrNotExist, fault.EINTERNAL},
	}
	for _, tt := range tests {
		if got := fault.Code(tt.err); got != tt.want {
			t.Errorf("%s: ErrorCode = %q, want %q", tt.name, got, tt.want)
		}
	}
}
