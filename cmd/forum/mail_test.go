package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"forum/internal/forumtest"
)

var mailWrittenRE = regexp.MustCompile(`msg="mail written \(no --smtp-url\)" path=(\S+)`)

func signUpAt(t *testing.T, f *forum, nick string) {
	t.Helper()
	f.mustDo("POST", "/api/signup", "", map[string]string{"nickname": nick, "email": nick + "@example.com", "password": "a-good-passphrase"}, http.StatusCreated, nil)
}

func TestMailWithoutSMTPIsWrittenToOwnerOnlyFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	f := startForum(t, dir)
	signUpAt(t, f, "olga")
	path := f.stderr.waitFor(t, mailWrittenRE, f.done)[1]
	if filepath.Dir(filepath.Dir(path)) != filepath.Join(dir, "mail") {
		t.Fatalf("mail written to %s, want under %s, in a directory of its user's", path, filepath.Join(dir, "mail"))
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := forumtest.ParseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("To") != "<olga@example.com>" && m.Header.Get("To") != "olga@example.com" {
		t.Errorf("To: %q", m.Header.Get("To"))
	}
	if !strings.Contains(m.Text, "http://"+f.HTTP+"/verify-email?token=") {
		t.Errorf("the link does not lead to the forum's address %s:\n%s", f.HTTP, m.Text)
	}
	f.mustDo("POST", "/api/email/verify", "", map[string]string{"token": m.Token()}, http.StatusNoContent, nil)
	f.stop()

	// A rebuild and a restart send nothing again: only the new sign-up's mail.
	rebuildCmd(t, dir)
	g := startForum(t, dir)
	signUpAt(t, g, "petra")
	g.stderr.waitFor(t, mailWrittenRE, g.done)
	g.stop()
	if n := strings.Count(g.stderr.String(), "mail written"); n != 1 {
		t.Fatalf("the restarted forum wrote %d mails, want 1 (the new sign-up's):\n%s", n, g.stderr.String())
	}
}

func TestMailGoesToTheSMTPServerOfTheFlag(t *testing.T) {
	t.Parallel()
	smtp := forumtest.StartSMTP(t)
	f := startForum(t, t.TempDir(), "--smtp-url", smtp.URL(), "--mail-from", "Our Forum <noreply@forum.example>")
	signUpAt(t, f, "olga")
	m := smtp.WaitTo("olga@example.com")
	if m.From != "noreply@forum.example" || !strings.Contains(m.Header.Get("From"), "Our Forum") {
		t.Errorf("from %q (%q), want noreply@forum.example", m.From, m.Header.Get("From"))
	}
	f.mustDo("POST", "/api/email/verify", "", map[string]string{"token": m.Token()}, http.StatusNoContent, nil)
	var metrics string
	forumtest.Eventually(t, "the sent mail is counted", func() bool {
		_, b := f.do("GET", "/metrics", "", nil)
		metrics = string(b)
		return strings.Contains(metrics, "\nforum_mail_sent_total 1\n")
	})
	if !strings.Contains(metrics, "\nforum_mail_failed_total 0\n") {
		t.Error("/metrics has no forum_mail_failed_total 0")
	}
	for _, bad := range []string{"ftp://mail.example", "smtp://", "smtp://mail.example:99999"} {
		err := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", "off", "--demo=false", "--smtp-url", bad}, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--smtp-url") {
			t.Errorf("--smtp-url %s: err = %v, want one naming --smtp-url", bad, err)
		}
	}
}
