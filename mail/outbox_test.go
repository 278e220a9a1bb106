package mail_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/mail"
)

// sentRecords returns the Message-IDs of the mail.sent records in the log.
func sentRecords(t *testing.T, store *events.Store) []string {
	t.Helper()
	evs, err := store.History(forumtest.Context(t), []string{events.MailSent.Subject("*")}, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range evs {
		var d events.MailSentData
		if err := ev.Payload(&d); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.MessageID)
	}
	return ids
}

func messageIDs(ms []forumtest.Mail) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.MessageID)
	}
	slices.Sort(ids)
	return ids
}

func TestTwoInstancesOnOneStreamSendEachMailOnce(t *testing.T) {
	a := forumtest.Start(t, forumtest.Options{})
	b := forumtest.NewCore(t, forumtest.Options{Store: a.Store, Empty: true})
	smtp := forumtest.StartSMTP(t)
	a.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL()})
	b.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL()})
	const n = 6
	start := time.Now()
	for _, nick := range []string{"ada", "bob", "cyd", "dan", "eve", "fay"} {
		a.SignUp(nick)
	}
	smtp.Wait(n)
	t.Logf("%d sign-ups to %d mails received: %v", n, n, time.Since(start))
	forumtest.Eventually(t, "the outbox settles", a.MailSettled)
	got := messageIDs(smtp.Mails())
	if len(got) != n || len(slices.Compact(slices.Clone(got))) != n {
		t.Fatalf("%d mails (%v), want %d distinct", len(got), got, n)
	}
	records := sentRecords(t, a.Store)
	slices.Sort(records)
	if !slices.Equal(records, got) {
		t.Fatalf("the log records %v, the server got %v", records, got)
	}
}

func TestARebuildOrARestartSendsNothing(t *testing.T) {
	f, smtp := mailForum(t)
	f.SignUp("ada")
	f.SignUp("bob")
	smtp.Wait(2)
	forumtest.Eventually(t, "the outbox settles", f.MailSettled)
	// Read models rebuilt from the whole log, with an outbox of their own,
	// as a restarted instance on a fresh read.db would.
	rebuilt := forumtest.NewCore(t, forumtest.Options{Store: f.Store, Empty: true})
	rebuilt.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL()})
	head, err := f.Store.LastSeq(forumtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rebuilt.Proj.WaitFor(forumtest.Context(t), head); err != nil {
		t.Fatal(err)
	}
	forumtest.Eventually(t, "the outbox settles", rebuilt.MailSettled)
	// One more mail, after the rebuild, comes once: the outbox ran.
	f.SignUp("cyd")
	smtp.WaitTo("cyd@example.com")
	forumtest.Eventually(t, "the outbox settles", f.MailSettled)
	if got := len(smtp.Mails()); got != 3 {
		t.Fatalf("%d mails after a rebuild and one sign-up, want 3", got)
	}
}

// stuckSender takes a mail and never hands it on, as a process killed
// between deciding a mail and sending it.
type stuckSender struct{ took chan string }

func (s stuckSender) Send(ctx context.Context, m mail.Message) error {
	s.took <- m.MessageID
	<-ctx.Done()
	return ctx.Err()
}

func TestAStopBetweenDecidingAndSendingLosesNothing(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	stuck := stuckSender{took: make(chan string, 1)}
	_, stop := f.StartMail(forumtest.MailOptions{Sender: stuck, AckWait: 300 * time.Millisecond})
	f.SignUp("ada")
	id := <-stuck.took
	stop()
	smtp := forumtest.StartSMTP(t)
	f.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL(), AckWait: 300 * time.Millisecond})
	got := smtp.Wait(1)
	forumtest.Eventually(t, "the outbox settles", f.MailSettled)
	if len(smtp.Mails()) != 1 || "<"+id+">" != got[0].MessageID {
		t.Fatalf("got %v, want the one mail %s", messageIDs(smtp.Mails()), id)
	}
}

func TestARefusingOrVanishingServerIsRetriedAndSlowsNothing(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	smtp := forumtest.StartSMTP(t)
	smtp.Refuse(true)
	ob, _ := f.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL()})
	start := time.Now()
	ada := f.SignUp("ada")
	ada.CreatePost("written while mail is refused")
	ada.MustDo("GET", "/api/me", nil, http.StatusOK, nil)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a sign-up, a post and a read took %v while the mail server refuses", d)
	}
	forumtest.Eventually(t, "refused attempts are retried", func() bool { _, _, r := ob.Counts(); return r >= 3 })
	smtp.Stop()
	_, _, before := ob.Counts()
	forumtest.Eventually(t, "attempts on a vanished server are retried", func() bool { _, _, r := ob.Counts(); return r >= before+3 })
	smtp.Refuse(false)
	smtp.Restart()
	m := smtp.WaitTo("ada@example.com")
	forumtest.Eventually(t, "the outbox settles", f.MailSettled)
	sent, failed, _ := ob.Counts()
	if sent != 1 || failed != 0 || len(smtp.Mails()) != 1 || m.Token() == "" {
		t.Fatalf("sent %d, failed %d, mails %d: want the one mail, sent once", sent, failed, len(smtp.Mails()))
	}
}
