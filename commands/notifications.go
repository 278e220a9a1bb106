package commands

import (
	"context"
	"strconv"

	"forum/events"
	"forum/fault"
)

// MarkNotificationsRead records that user has read their notifications up
// to and including the one with id upTo. Marking up to a notification that
// is already read changes nothing; one beyond the newest marks the newest.
func (s *Service) MarkNotificationsRead(ctx context.Context, userID events.UserID, upTo string) error {
	user := string(userID)
	n, err := strconv.ParseUint(upTo, 10, 63)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != upTo {
		return fault.FieldError(fault.EINVALID, "up_to", "up_to must be the id of a notification")
	}
	seq, read, err := s.DB.LastNotificationSeq(ctx, userID, n)
	if err != nil || seq == 0 || seq <= read {
		return err
	}
	_, err = s.emit(ctx, events.NotificationsRead, user, user, events.NotificationsReadData{UserID: user, UpToSeq: seq})
	return err
}
