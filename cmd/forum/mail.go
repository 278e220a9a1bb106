package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"sync"

	"forum/events"
	"forum/mail"
	"forum/outbox"
)

// mailFlags are the flags of outbound mail.
type mailFlags struct {
	smtpURL, from string
}

func (f *mailFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.smtpURL, "smtp-url", getenv("FORUM_SMTP_URL"), "mail server: smtp://user:password@host:port (STARTTLS when offered) or smtps://… (TLS); empty writes each mail to --data/mail/ (env FORUM_SMTP_URL)")
	fs.StringVar(&f.from, "mail-from", getenv("FORUM_MAIL_FROM"), "the sender of the forum's mail, e.g. Forum <forum@example.org> (default forum@ the public host) (env FORUM_MAIL_FROM)")
}

// mailHost is the domain of the forum's Message-IDs and default sender:
// the host of --public-url, else localhost (an address is no domain).
func mailHost(public *url.URL) string {
	if public == nil || net.ParseIP(public.Hostname()) != nil || public.Hostname() == "" {
		return "localhost"
	}
	return public.Hostname()
}

// sender returns how mail leaves, as the flags say; a bad --smtp-url or
// --mail-from is an error, told before anything starts.
func (f mailFlags) sender(data string, public *url.URL, logger *slog.Logger) (mail.Sender, error) {
	from := f.from
	if from == "" {
		from = "forum@" + mailHost(public)
	}
	return mail.NewSender(mail.SenderConfig{SMTPURL: f.smtpURL, From: from, Dir: filepath.Join(data, "mail"), Logger: logger})
}

// startMail starts the mail outbox of this instance, whose links begin
// with base; stop stops it and waits for the mail under way.
func startMail(ctx context.Context, sender mail.Sender, data string, base *url.URL, host string, store *events.Store, rm *readModels, logger *slog.Logger) (ob *outbox.Outbox, stop func()) {
	mails := &mail.Mails{Sender: sender, Keys: rm.keys, BaseURL: base, Host: host, Site: rm.db.SiteName}
	ob = outbox.New(outbox.Config{
		Name: mail.OutboxName, Subjects: mail.Subjects, Metric: "mail", Log: store, Decide: mails.Decide, Logger: logger,
	})
	octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(octx) })
	wg.Go(func() { removeErasedMail(octx, filepath.Join(data, "mail"), rm, logger) })
	return ob, func() { cancel(); wg.Wait() }
}

// removeErasedMail removes the mail files (without --smtp-url) of every
// account erased: those of accounts erased already when it starts, then
// each as the read models apply its erasure, until ctx ends, with a last
// look then, so an erasure answered before a clean stop leaves no file.
func removeErasedMail(ctx context.Context, dir string, rm *readModels, logger *slog.Logger) {
	remove := func(user string) {
		if err := mail.RemoveUserFiles(dir, user); err != nil {
			logger.Error("remove an erased account's mail", "user", user, "err", err)
		}
	}
	sweep := func() {
		users, err := mail.FileUsers(dir)
		if err != nil {
			logger.Error("the mail directory", "err", err)
		}
		for _, u := range users {
			if erased, err := rm.db.Erased(context.WithoutCancel(ctx), events.UserID(u)); err == nil && erased {
				remove(u)
			}
		}
	}
	after := rm.proj.Seq()
	sweep()
	for {
		changed := rm.proj.Changed()
		evs, ok := rm.proj.Since(after, 1000)
		if !ok {
			after = rm.proj.Seq()
			sweep()
		}
		for _, ev := range evs {
			after = ev.Seq
			if ev.Type == events.UserErased {
				var d events.UserModData
				if err := ev.Payload(&d); err == nil {
					remove(d.UserID)
				}
			}
		}
		if ok && len(evs) == 1000 {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
		}
	}
}

// linkBase is the address links in mail begin with: --public-url, else
// the address the forum listens on.
func linkBase(public *url.URL, listen net.Addr) (*url.URL, error) {
	if public != nil {
		return public, nil
	}
	u, err := url.Parse("http://" + listen.String())
	if err != nil {
		return nil, fmt.Errorf("the forum's address: %w", err)
	}
	return u, nil
}
