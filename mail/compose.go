package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"forum/events"
)

//go:embed templates
var templateFiles embed.FS

// Data is what a mail's templates are given.
type Data struct {
	// Site is the forum's name.
	Site string
	// Email is the address the mail goes to.
	Email string
	// Link is the link the mail is for, Expires when it stops working.
	Link, Expires string
}

// templates are each kind's parts: the plain text (with the subject, as
// its "subject" template) and the HTML.
type templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var kinds = map[events.MailKind]templates{
	events.MailVerify: parse("verify"),
	events.MailReset:  parse("reset"),
}

func parse(name string) templates {
	return templates{
		text: texttemplate.Must(texttemplate.New(name+".txt").Option("missingkey=error").ParseFS(templateFiles, "templates/"+name+".txt")),
		html: htmltemplate.Must(htmltemplate.New(name+".html").Option("missingkey=error").ParseFS(templateFiles, "templates/"+name+".html")),
	}
}

// Compose writes the mail of kind for d: its subject, its plain text and
// its HTML. It fails for a kind that has no templates.
func Compose(kind events.MailKind, d Data) (subject, text, html string, err error) {
	t, ok := kinds[kind]
	if !ok {
		return "", "", "", fmt.Errorf("no templates for mail of kind %q", kind)
	}
	var s, tx, h bytes.Buffer
	if err := t.text.ExecuteTemplate(&s, "subject", d); err != nil {
		return "", "", "", err
	}
	if err := t.text.Execute(&tx, d); err != nil {
		return "", "", "", err
	}
	if err := t.html.Execute(&h, d); err != nil {
		return "", "", "", err
	}
	return strings.TrimSpace(s.String()), tx.String(), h.String(), nil
}
