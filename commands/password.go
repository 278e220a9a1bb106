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

// checkPasswordStrength refuses a common password, one of a simple shape
// (simplePassword), and one that is the nickname or the email (ignoring
// case). Spaces around the password do not count.
func checkPasswordStrength(password, nickname, email string) error {
	lower := strings.TrimSpace(strings.ToLower(password))
	if _, common := commonPasswords()[lower]; common {
		return fault.FieldError(fault.EINVALID, "password", "that password is one of the most common ones; choose another")
	}
	if simplePassword(lower) {
		return fault.FieldError(fault.EINVALID, "password", "that password is too simple (a short part repeated, fewer than 4 different characters, or a run like 12345678 or acegikmo); choose another")
	}
	if lower == strings.ToLower(nickname) || lower == strings.ToLower(email) {
		return fault.FieldError(fault.EINVALID, "password", "the password must not be your nickname or email")
	}
	return nil
}

// simplePassword reports whether s (lowercased, spaces around it trimmed)
// is of a shape guessed early: a unit of at most 4 characters repeated
// (abababab, 12341234), fewer than 4 different characters besides spaces
// (a a a a a), or a run of constant step (steppedRun).
func simplePassword(s string) bool {
	r := []rune(s)
	return repeatedUnit(r, 4) || distinct(r) < 4 || steppedRun(r)
}

// repeatedUnit reports whether r is a unit of at most max characters
// written at least twice, the last time perhaps in part.
func repeatedUnit(r []rune, max int) bool {
	for p := 1; p <= max && 2*p <= len(r); p++ {
		i := p
		for i < len(r) && r[i] == r[i-p] {
			i++
		}
		if i == len(r) {
			return true
		}
	}
	return false
}

// distinct counts the different characters of r, spaces aside.
func distinct(r []rune) int {
	seen := make(map[rune]struct{}, len(r))
	for _, c := range r {
		if c != ' ' {
			seen[c] = struct{}{}
		}
	}
	return len(seen)
}

// alphabets are the orders a run may step through, each wrapping around:
// the digits, the letters, and the digits then the letters (13579bdf).
var alphabets = []string{"0123456789", "abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuvwxyz"}

// steppedRun reports whether each character of r follows the one before
// by the same step: in code points (any step: 12345678, 87654321,
// !#%')+-/), or in an alphabet, wrapping around (7890123, xyzabcde,
// acegikmo, 13579bdf).
func steppedRun(r []rune) bool {
	if len(r) < 3 {
		return true
	}
	if constantStep(r, func(c rune) (int, bool) { return int(c), true }, 0) {
		return true
	}
	for _, a := range alphabets {
		pos := func(c rune) (int, bool) {
			i := strings.IndexRune(a, c)
			return i, i >= 0
		}
		if constantStep(r, pos, len(a)) {
			return true
		}
	}
	return false
}

// constantStep reports whether the positions of r's characters (pos; a
// character without one fails) differ by one step throughout, modulo n
// when n > 0.
func constantStep(r []rune, pos func(rune) (int, bool), n int) bool {
	step := 0
	prev, ok := pos(r[0])
	for i := 1; ok && i < len(r); i++ {
		var cur int
		if cur, ok = pos(r[i]); !ok {
			break
		}
		d := cur - prev
		if n > 0 {
			d = ((d % n) + n) % n
		}
		if i == 1 {
			step = d
		}
		ok = d == step
		prev = cur
	}
	return ok
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
