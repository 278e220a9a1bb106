package commands

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"forum/fault"
)

// commonPasswordList is the list sign-up refuses, one a line.
//
//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the list as a set, lowercased, read on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 16000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	set[DemoPassword] = struct{}{}
	return set
})

// checkPasswordStrength refuses a common password, one made of a single
// repeated character or a plain run (12345678, abcdefgh, 87654321), and
// one that is the nickname or the email (ignoring case).
func checkPasswordStrength(password, nickname, email string) error {
	lower := strings.ToLower(password)
	if _, common := commonPasswords()[lower]; common {
		return fault.FieldError(fault.EINVALID, "password", "that password is one of the most common ones; choose another")
	}
	if plainRun(lower) {
		return fault.FieldError(fault.EINVALID, "password", "that password is one character repeated or a plain run like 12345678; choose another")
	}
	if lower == strings.ToLower(nickname) || lower == strings.ToLower(email) {
		return fault.FieldError(fault.EINVALID, "password", "the password must not be your nickname or email")
	}
	return nil
}

// plainRun reports whether s is one character repeated, or a run in which
// each character follows (or precedes) the one before it: abcdefgh,
// 12345678, 87654321, 7890123 (the digits wrap from 9 to 0).
func plainRun(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return true
	}
	step := func(a, b rune) rune {
		switch {
		case a == '9' && b == '0':
			return 1
		case a == '0' && b == '9':
			return -1
		}
		return b - a
	}
	first := step(r[0], r[1])
	if first < -1 || first > 1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if step(r[i-1], r[i]) != first {
			return false
		}
	}
	return true
}

// PasswordHasher hashes passwords and checks them against a stored hash.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) bool
}

// Argon2id hashes with argon2id at the OWASP minimum (m=19 MiB, t=2, p=1),
// in PHC string form: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
type Argon2id struct{}

const (
	argonMemory = 19 * 1024
	argonTime   = 2
	argonLanes  = 1
	argonKeyLen = 32
)

// Hash returns the PHC string of password with a fresh random salt.
func (Argon2id) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonLanes, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonLanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches hash, in constant time; a
// malformed hash never matches.
func (Argon2id) Verify(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<22 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
