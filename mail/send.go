// Package mail writes the forum's mail from templates and hands it to an
// SMTP server (--smtp-url) or, without one, writes each as an .eml file for
// the owner to read; Mails decides which mail an event of the log causes,
// for the outbox that sends it once.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail to send.
type Message struct {
	// User is the account the mail is about: its files are kept apart, so
	// that its erasure removes them (RemoveUserFiles).
	User    string
	To      string
	Subject string
	Text    string
	HTML    string
	// MessageID is the Message-ID without its angle brackets (id@host):
	// derived from the event that caused the mail, so a mail sent again
	// is recognisable as the same.
	MessageID string
	Date      time.Time
}

// Sender hands mail on.
type Sender interface {
	// Send hands m on; an error means it may not have been.
	Send(ctx context.Context, m Message) error
}

// SenderConfig says how mail leaves.
type SenderConfig struct {
	// SMTPURL is smtp://[user:password@]host[:port] (STARTTLS when the
	// server offers it; port 587 by default) or smtps://… (TLS from the
	// start; port 465 by default). Empty: mail is written to Dir.
	SMTPURL string
	// From is the sender's address.
	From string
	// Dir is where .eml files are written without SMTPURL.
	Dir    string
	Logger *slog.Logger
}

// NewSender returns the Sender cfg describes; an SMTP URL that does not
// parse, or a From that is not an address, is an error.
func NewSender(cfg SenderConfig) (Sender, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := gomail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("--mail-from %q: %w", cfg.From, err)
	}
	if cfg.SMTPURL == "" {
		return &fileSender{dir: cfg.Dir, from: cfg.From, log: cfg.Logger}, nil
	}
	return newSMTPSender(cfg)
}

// build makes the go-mail message of m from from.
func build(m Message, from string) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, err
	}
	if err := msg.To(m.To); err != nil {
		return nil, err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// fileSender writes each mail as an .eml file, readable by the owner only.
type fileSender struct {
	dir, from string
	log       *slog.Logger
}

// Send writes m to a file named after its Message-ID, in the directory
// of its user: a mail written again replaces its file.
func (f *fileSender) Send(_ context.Context, m Message) error {
	msg, err := build(m, f.from)
	if err != nil {
		return err
	}
	if !validName(m.User) {
		return fmt.Errorf("write mail: user %q is no name for a directory", m.User)
	}
	dir := filepath.Join(f.dir, m.User)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mail directory: %w", err)
	}
	for _, d := range []string{f.dir, dir} {
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("mail directory: %w", err)
		}
	}
	name := strings.NewReplacer("@", "_", "/", "_", "<", "", ">", "").Replace(m.MessageID) + ".eml"
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".mail-*")
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = msg.WriteTo(tmp)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
	} else {
		tmp.Close()
	}
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	f.log.Info("mail written (no --smtp-url)", "path", path, "subject", m.Subject)
	return nil
}

// validName reports whether s is a plain name of letters and digits (a
// user's id), safe as one element of a path.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// RemoveUserFiles removes the mail files of user under dir (the files an
// erased account's mail was written to, without --smtp-url).
func RemoveUserFiles(dir, user string) error {
	if !validName(user) {
		return nil
	}
	return os.RemoveAll(filepath.Join(dir, user))
}

// FileUsers returns the users that have mail files under dir.
func FileUsers(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var users []string
	for _, e := range entries {
		if e.IsDir() && validName(e.Name()) {
			users = append(users, e.Name())
		}
	}
	return users, nil
}

// smtpSender hands mail to an SMTP server, a connection a mail.
type smtpSender struct {
	host string
	opts []gomail.Option
	from string
}

func newSMTPSender(cfg SenderConfig) (*smtpSender, error) {
	u, err := url.Parse(cfg.SMTPURL)
	if err != nil {
		return nil, errors.New("--smtp-url does not parse")
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portText = u.Host, ""
	}
	if host == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("--smtp-url: want smtp://[user:password@]host[:port] or smtps://…")
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("--smtp-url: scheme %q: want smtp or smtps", u.Scheme)
	}
	if portText != "" {
		if port, err = strconv.Atoi(portText); err != nil || port < 1 || port > 65535 {
			return nil, errors.New("--smtp-url: the port is not a number from 1 to 65535")
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return &smtpSender{host: host, opts: opts, from: cfg.From}, nil
}

// Send hands m to the server over a connection of its own.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	msg, err := build(m, s.from)
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
