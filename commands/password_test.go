package commands

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// phc is the PHC string form of an argon2id hash at the OWASP minimum:
// m=19456 KiB, t=2, p=1, a 16-byte salt and a 32-byte key.
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestArgon2id(t *testing.T) {
	t.Parallel()
	const password = "pässwörd with spaces"
	var h Argon2id
	hash, err := h.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	m := phc.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("Hash = %q, want argon2id v=19 m=19456,t=2,p=1 with a 16-byte salt and 32-byte key", hash)
	}
	// The key is argon2id of the password with exactly those parameters.
	salt, _ := base64.RawStdEncoding.DecodeString(m[1])
	key := argon2.IDKey([]byte(password), salt, 2, 19456, 1, 32)
	if got, want := m[2], base64.RawStdEncoding.EncodeToString(key); got != want {
		t.Errorf("key = %s, want argon2id(m=19456,t=2,p=1) = %s", got, want)
	}
	again, err := h.Hash(password)
	if err != nil || again == hash {
		t.Errorf("two hashes of one password are equal (no fresh salt): %q", again)
	}

	parts := strings.Split(hash, "$")
	replace := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right password", hash, password, true},
		{"right password, second hash", again, password, true},
		{"wrong password", hash, "pässwörd with space", false},
		{"empty password", hash, "", false},
		{"other case", hash, strings.ToUpper(password), false},
		{"argon2i", replace(1, "argon2i"), password, false},
		{"other version", replace(2, "v=16"), password, false},
		{"other memory", replace(3, "m=19457,t=2,p=1"), password, false},
		{"other time", replace(3, "m=19456,t=3,p=1"), password, false},
		{"absurd memory", replace(3, "m=99999999,t=2,p=1"), password, false},
		{"no lanes", replace(3, "m=19456,t=2,p=0"), password, false},
		{"bad salt", replace(4, "!!!"), password, false},
		{"bad key", replace(5, "!!!"), password, false},
		{"empty key", replace(5, ""), password, false},
		{"other salt", replace(4, base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))), password, false},
		{"too few parts", strings.Join(parts[:5], "$"), password, false},
		{"empty", "", password, false},
		{"plain text", password, password, false},
	}
	for _, tt := range tests {
		if got := h.Verify(tt.hash, tt.password); got != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDummyHash checks that the hash verified for an unknown login has the
// same parameters as real ones, so a failed sign-in costs the same either way.
func TestDummyHash(t *testing.T) {
	t.Parallel()
	if !phc.MatchString(dummyHash) {
		t.Fatalf("dummyHash %q does not have the parameters of a real hash", dummyHash)
	}
	if (Argon2id{}).Verify(dummyHash, "") {
		t.Error("dummyHash matches the empty password")
	}
}

func TestTokenHash(t *testing.T) {
	t.Parallel()
	// SHA-256 of "test", hex.
	if got, want := TokenHash("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; got != want {
		t.Errorf("TokenHash(test) = %s, want %s", got, want)
	}
}

// BenchmarkPasswordStrength measures the checks of a sign-up's password at
// its longest that passes them all, so that every check runs to its end.
func BenchmarkPasswordStrength(b *testing.B) {
	pw := strings.Repeat("correct horse battery staple ", 9)[:maxPasswordLen]
	for b.Loop() {
		if err := checkPasswordStrength(pw, "fay", "fay@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
