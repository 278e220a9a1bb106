package commands_test

import (
	"testing"

	"forum/commands"
	"forum/fault"
	"forum/internal/forumtest"
)

// Passwords of one repeated character or a plain run are refused like
// common ones; others like them are not.
func TestPlainRunPasswordsRefused(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	for i, pw := range []string{"aaaaaaaa", "ZZZZZZZZZZ", "abcdefgh", "mnopqrst", "87654321", "hgfedcba", "zyxwvuts", "34567890", "7890123456", "98765432109", "QQQQQQQQQ"} {
		_, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "weak" + string(rune('a'+i)), Email: "weak@example.com", Password: pw})
		wantCode(t, "password "+pw, err, fault.EINVALID, "password")
	}
	for i, pw := range []string{"abcdefgi", "13579bdf", "aaaaaaab", "correct-horse-battery"} {
		if _, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "fine" + string(rune('a'+i)), Email: "fine" + string(rune('a'+i)) + "@example.com", Password: pw}); err != nil {
			t.Errorf("password %s: %v", pw, err)
		}
	}
}
