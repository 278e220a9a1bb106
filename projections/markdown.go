package projections

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Bodies are Markdown: CommonMark with autolinks and strikethrough, a line
// break where the author broke the line, and no raw HTML (the parsers for
// it are left out, so tags typed in a body are text). RenderMarkdown is
// part of the projector: changing what it makes is a projectorVersion bump,
// and the read models are rebuilt with the new rendering.
var markdown = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		parser.WithBlockParsers(without[parser.BlockParser](parser.DefaultBlockParsers(), parser.NewHTMLBlockParser())...),
		parser.WithInlineParsers(without[parser.InlineParser](parser.DefaultInlineParsers(), parser.NewRawHTMLParser())...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)),
	goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
	goldmark.WithRendererOptions(html.WithHardWraps()),
)

// without returns the prioritized parsers of list other than those of the
// same type as drop.
func without[T any](list []util.PrioritizedValue, drop T) []util.PrioritizedValue {
	out := list[:0:0]
	for _, v := range list {
		if fmt.Sprintf("%T", v.Value) != fmt.Sprintf("%T", drop) {
			out = append(out, v)
		}
	}
	return out
}

// sanitizer is the second guard: whatever the renderer makes, only these
// elements and attributes reach a reader, and links only to http, https and
// mailto. rel is set by RenderMarkdown on every link it keeps.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	return p
}()

var mdBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// linkRel is what every link in a rendered body carries.
const linkRel = `<a rel="nofollow ugc noopener" href=`

// RenderMarkdown returns body's sanitized HTML.
func RenderMarkdown(body string) string {
	if body == "" {
		return ""
	}
	if html, ok := renderPlain(body); ok {
		return html
	}
	return renderFull(body)
}

// renderFull renders body with the Markdown parser and the sanitizer.
func renderFull(body string) string {
	buf := mdBuffers.Get().(*bytes.Buffer)
	defer mdBuffers.Put(buf)
	buf.Reset()
	if err := markdown.Convert([]byte(body), buf); err != nil {
		// Rendering to memory fails only on a renderer bug: show the text.
		buf.Reset()
		buf.WriteString("<p>")
		buf.WriteString(stdhtml.EscapeString(body))
		buf.WriteString("</p>")
	}
	out := sanitizer.SanitizeBytes(buf.Bytes())
	s := strings.TrimSuffix(string(out), "\n")
	return strings.ReplaceAll(s, `<a href=`, linkRel)
}

// renderPlain renders a body that uses no Markdown at all (most do): words,
// spaces, line breaks and plain punctuation, in paragraphs. It makes what
// the full renderer makes of such a body (FuzzRenderPlain holds the two to
// that), without parsing and sanitizing; ok is false for any other body.
func renderPlain(body string) (string, bool) {
	if strings.Contains(body, "www.") || strings.Contains(body, "WWW.") || strings.Contains(body, "://") {
		return "", false
	}
	for i, r := range body {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '\n',
			r == '.', r == ',', r == ';', r == '?', r == '(', r == ')', r == '\'', r == '"', r == '/',
			// With no ':' or '@' in the body no autolink can form, and raw HTML is text anyway.
			r == '<', r == '>':
		case r == '&' && (i+1 == len(body) || body[i+1] == ' ' || body[i+1] == '\n'): // not an entity
		case r >= 0x80 && unicode.IsLetter(r):
		default:
			return "", false
		}
	}
	var b strings.Builder
	b.Grow(len(body) + 32)
	open := false // inside a paragraph
	for _, line := range strings.Split(body, "\n") {
		text := strings.Trim(line, " ")
		if text == "" {
			if open {
				b.WriteString("</p>\n")
				open = false
			}
			continue
		}
		if text != line {
			return "", false // spaces around a line: code blocks, hard breaks
		}
		if first := text[0]; first >= '0' && first <= '9' || first == '>' {
			return "", false // perhaps an ordered list item, or a quote
		}
		if open {
			b.WriteString("<br>\n")
		} else {
			b.WriteString("<p>")
			open = true
		}
		b.WriteString(stdhtml.EscapeString(text))
	}
	if !open {
		return "", false // nothing but spaces
	}
	b.WriteString("</p>")
	return b.String(), true
}
