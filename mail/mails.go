package mail

import (
	"context"
	"net/url"
	"time"

	"forum/events"
	"forum/outbox"
)

// OutboxName is the durable consumer of the mail outbox, shared by every
// instance: a stable name (a new one would start over from the beginning
// of the log, though no mail would go twice: each is recorded).
const OutboxName = "forum-outbox-mail"

// Subjects are the events that may cause a mail.
var Subjects = []string{
	events.VerificationRequested.Subject("*"),
	events.ResetRequested.Subject("*"),
}

// GiveUp is how long a mail is tried for at most.
const GiveUp = 24 * time.Hour

// Keys opens the personal data sealed in events.
type Keys interface {
	OpenPayload(ctx context.Context, actor string, payload any) (erased bool, err error)
}

// Mails decides the mail an event causes and sends it with its Sender.
type Mails struct {
	// Sender hands the mail on.
	Sender Sender
	// Keys opens the address and the link's token, sealed in the event.
	Keys Keys
	// BaseURL is the forum's address that links start with.
	BaseURL *url.URL
	// Host ends every Message-ID.
	Host string
	// Site returns the forum's name.
	Site func(ctx context.Context) string
}

// Decide returns the mail ev causes, nil for none: the verification link
// of verification.requested, the reset link of reset.requested. A user
// erased since gets nothing.
func (m *Mails) Decide(ctx context.Context, ev events.Event) (*outbox.Effect, error) {
	var (
		kind             events.MailKind
		user, email, tok string
		expires          time.Time
		path             string
	)
	switch ev.Type {
	case events.VerificationRequested:
		var d events.VerificationRequestedData
		if err := m.open(ctx, ev, &d); err != nil {
			return nil, err
		}
		kind, user, email, tok, expires, path = events.MailVerify, d.UserID, d.Email, d.Token, d.ExpiresAt, "/verify-email"
	case events.ResetRequested:
		var d events.ResetRequestedData
		if err := m.open(ctx, ev, &d); err != nil {
			return nil, err
		}
		kind, user, email, tok, expires, path = events.MailReset, d.UserID, d.Email, d.Token, d.ExpiresAt, "/reset-password"
	default:
		return nil, nil
	}
	if email == events.ErasedText || tok == events.ErasedText || email == "" || tok == "" {
		return nil, nil // erased: nothing to send, and nobody to send it to
	}
	link := *m.BaseURL
	link.Path = path
	link.RawQuery = url.Values{"token": {tok}}.Encode()
	site := m.Site(ctx)
	subject, text, html, err := Compose(kind, Data{Site: site, Email: email, Link: link.String(), Expires: expires.UTC().Format("2 January 2006, 15:04 UTC")})
	if err != nil {
		return nil, err
	}
	id := ev.ID + "." + string(kind) + "@" + m.Host
	msg := Message{User: user, To: email, Subject: subject, Text: text, HTML: html, MessageID: id, Date: ev.Time}
	return &outbox.Effect{
		ID: id, Key: ev.ID, Record: events.MailSent,
		Sent:     events.MailSentData{UserID: user, Kind: kind, CauseID: ev.ID, CauseSeq: ev.Seq, MessageID: "<" + id + ">"},
		Deadline: minTime(ev.Time.Add(GiveUp), expires),
		Do:       func(ctx context.Context) error { return m.Sender.Send(ctx, msg) },
	}, nil
}

// open decodes ev's payload into d with its personal data opened.
func (m *Mails) open(ctx context.Context, ev events.Event, d any) error {
	if err := ev.Payload(d); err != nil {
		return err
	}
	_, err := m.Keys.OpenPayload(ctx, ev.Actor, d)
	return err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
