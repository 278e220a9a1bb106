package commands_test

import (
	"strconv"
	"testing"

	"forum/commands"
	"forum/fault"
	"forum/internal/forumtest"
)

// Passwords of a simple shape are refused like common ones: one character
// or a short unit repeated, fewer than 4 different characters, a run of
// constant step (wrapping around the digits and letters), spaces around
// them aside. Others like them are not.
func TestPlainRunPasswordsRefused(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	for i, pw := range []string{"aaaaaaaa", "ZZZZZZZZZZ", "abcdefgh", "mnopqrst", "87654321", "hgfedcba", "zyxwvuts", "34567890", "7890123456", "98765432109", "QQQQQQQQQ",
		"12341234", "abababab", "abcdefgh ", "a a a a a", "13579bdf", "acegikmo", "xyzabcde", "aaaaaaab", "  AbAbAbAb  ", "abcabcab", "xyzwxyzw", "aabbaabb",
		"adgjmpsv", "!#%')+-/", "fdb97531", "zxvtrpnl"} {
		_, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "weak" + strconv.Itoa(i), Email: "weak@example.com", Password: pw})
		wantCode(t, "password "+pw, err, fault.EINVALID, "password")
	}
	for i, pw := range []string{"abcdefgi", "correct-horse-battery", "q7#Lm2vx", "k9-mq2-zt", "abcdabce", "13579bdg", "ab ab cd e"} {
		if _, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "fine" + string(rune('a'+i)), Email: "fine" + string(rune('a'+i)) + "@example.com", Password: pw}); err != nil {
			t.Errorf("password %s: %v", pw, err)
		}
	}
}
