package gateway

import (
	"forum/projections"
)

// The bodies of the answers that name what they hold. Their fields are in
// the order of their JSON names, so the bytes are those the API has always
// written (a test holds each to the bytes of the map it replaced).
type (
	// postAnswer holds one post.
	postAnswer struct {
		Post projections.Post `json:"post"`
	}
	// commentAnswer holds one comment.
	commentAnswer struct {
		Comment projections.Comment `json:"comment"`
	}
	// messageAnswer holds one message.
	messageAnswer struct {
		Message projections.Message `json:"message"`
	}
	// flagAnswer holds one flag.
	flagAnswer struct {
		Flag projections.Flag `json:"flag"`
	}
	// usersAnswer holds a list of users, all on one page.
	usersAnswer struct {
		Items []projections.User `json:"items"`
	}
	// sessionsAnswer holds a user's sessions, all on one page (next is
	// always null).
	sessionsAnswer struct {
		Items []sessionView `json:"items"`
		Next  *string       `json:"next"`
	}
	// accountAnswer holds a signed-in user and their session's token.
	accountAnswer struct {
		Token string           `json:"token"`
		User  projections.User `json:"user"`
	}
	// meAnswer holds the signed-in user, their preferences and their
	// unread counts.
	meAnswer struct {
		Preferences projections.Preferences `json:"preferences"`
		// TwoFactor is "on", "pending" (an enrolment not yet confirmed) or "off".
		TwoFactor string             `json:"two_factor"`
		Unread    projections.Unread `json:"unread"`
		User      projections.User   `json:"user"`
	}
	// userAnswer holds one user.
	userAnswer struct {
		User projections.User `json:"user"`
	}
	// storedAnswer says a write is in the log, not yet in this instance's
	// read models.
	storedAnswer struct {
		ID     string `json:"id"`
		Seq    uint64 `json:"seq"`
		Status string `json:"status"`
	}
)
