package forumtest

import (
	"context"
	"net/url"
	"sync"
	"time"

	"forum/mail"
	"forum/outbox"
)

// MailOptions shape a test forum's mail outbox. The zero value sends to
// nowhere; set SMTPURL (an SMTPServer's), Dir (.eml files) or Sender.
type MailOptions struct {
	SMTPURL, Dir string
	Sender       mail.Sender
	// AckWait (default 1 s), RetryFirst (default 20 ms) and RetryMax
	// (default 100 ms) are the outbox's, short for tests.
	AckWait, RetryFirst, RetryMax time.Duration
}

// StartMail runs a mail outbox on the core's stream and keys, as an
// instance of the forum does, until stop (or the test's end).
func (c *Core) StartMail(o MailOptions) (ob *outbox.Outbox, stop func()) {
	c.T.Helper()
	sender := o.Sender
	if sender == nil {
		var err error
		if sender, err = mail.NewSender(mail.SenderConfig{SMTPURL: o.SMTPURL, Dir: o.Dir, From: "Forum <forum@forum.test>"}); err != nil {
			c.T.Fatal(err)
		}
	}
	keys, err := c.Store.Keys(Context(c.T))
	if err != nil {
		c.T.Fatal(err)
	}
	base, _ := url.Parse("http://forum.test")
	m := &mail.Mails{Sender: sender, Keys: keys, BaseURL: base, Host: "forum.test", Site: c.DB.SiteName}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.AckWait, time.Second)
	def(&o.RetryFirst, 20*time.Millisecond)
	def(&o.RetryMax, 100*time.Millisecond)
	ob = outbox.New(outbox.Config{
		Name: mail.OutboxName, Subjects: mail.Subjects, Metric: "mail", Log: c.Store, Decide: m.Decide,
		AckWait: o.AckWait, RetryFirst: o.RetryFirst, RetryMax: o.RetryMax,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	c.T.Cleanup(stop)
	return ob, stop
}

// MailSettled reports whether the mail outbox has nothing left to do:
// every event that may cause a mail has been answered.
func (c *Core) MailSettled() bool {
	waiting, unanswered, err := c.Store.DurablePending(Context(c.T), mail.OutboxName)
	return err == nil && waiting == 0 && unanswered == 0
}
