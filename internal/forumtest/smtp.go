package forumtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server in the test process that keeps every
// mail it accepts, parsed.
type SMTPServer struct {
	t      testing.TB
	srv    *smtp.Server
	ln     net.Listener
	addr   string
	refuse atomic.Bool

	mu      sync.Mutex
	mails   []Mail
	arrived chan struct{} // closed and replaced at each mail
	tries   int           // transactions begun, refused ones included
}

// Mail is one mail the server accepted.
type Mail struct {
	From      string
	To        []string
	Header    mail.Header
	Text      string // the text/plain part, decoded
	HTML      string // the text/html part, decoded
	MessageID string
	Raw       []byte
}

// Token returns the token of the link in the mail's text ("" if none).
func (m Mail) Token() string {
	if s := tokenRE.FindStringSubmatch(m.Text); s != nil {
		return s[1]
	}
	return ""
}

var tokenRE = regexp.MustCompile(`[?&]token=([A-Za-z0-9_-]+)`)

// StartSMTP starts an SMTP server on a free loopback port until the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{t: t, arrived: make(chan struct{}), addr: ln.Addr().String()}
	s.start(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *SMTPServer) start(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain = "mail.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are no news
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// URL returns the server's smtp:// URL.
func (s *SMTPServer) URL() string { return "smtp://" + s.addr }

// Refuse makes the server refuse (451) every mail while on.
func (s *SMTPServer) Refuse(on bool) { s.refuse.Store(on) }

// Stop closes the server: connections to it are refused until Restart.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart serves again on the same address.
func (s *SMTPServer) Restart() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.start(ln)
}

// Mails returns the mails accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Tries returns the mail transactions begun so far, refused ones included.
func (s *SMTPServer) Tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries
}

// Wait waits (up to 20 s) until n mails have been accepted, and returns them.
func (s *SMTPServer) Wait(n int) []Mail {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		got, arrived := len(s.mails), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Mails()
		}
		select {
		case <-arrived:
		case <-deadline:
			s.t.Fatalf("%d mails arrived, want %d", got, n)
		}
	}
}

// WaitTo waits for the first mail to addr and returns it.
func (s *SMTPServer) WaitTo(addr string) Mail {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		arrived := s.arrived
		for _, m := range s.mails {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) {
					s.mu.Unlock()
					return m
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline:
			s.t.Fatalf("no mail to %s arrived", addr)
		}
	}
}

func (s *SMTPServer) keep(m Mail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

type smtpSession struct {
	s    *SMTPServer
	from string
	to   []string
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	ss.s.tries++
	ss.s.mu.Unlock()
	if ss.s.refuse.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := ParseMail(raw)
	if err != nil {
		ss.s.t.Errorf("a mail that does not parse: %v\n%s", err, raw)
		return err
	}
	m.From, m.To = ss.from, ss.to
	ss.s.keep(m)
	return nil
}

// ParseMail parses a mail as sent: its headers and its text and HTML parts.
func ParseMail(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	m := Mail{Header: msg.Header, Raw: raw, MessageID: msg.Header.Get("Message-Id")}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return Mail{}, err
	}
	return m, nil
}

func (m *Mail) readPart(contentType, encoding string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
