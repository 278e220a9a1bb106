package events

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new opaque identifier: 26 characters of lowercase Crockford
// base32 over 48 bits of Unix milliseconds and 80 random bits, so ids sort
// roughly by creation time and never collide in practice.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an id made by NewID. It keeps
// arbitrary user input out of subjects and queries.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			return false
		}
	}
	return true
}

// UserID is the id of a user, as made by NewID at sign-up.
type UserID string

// PostID is the id of a post.
type PostID string

// CommentID is the id of a comment.
type CommentID string

// MessageID is the id of a direct or room message.
type MessageID string

// SessionID is the id of a signed-in session.
type SessionID string

// FlagID is the id of a flag raised on a post or comment.
type FlagID string
