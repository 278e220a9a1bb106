package projections

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"forum/events"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Bodies are Markdown: CommonMark with autolinks and strikethrough, a line
// break where the author broke the line, and no raw HTML (the parsers for
// it are left out, so tags typed in a body are text). Quotes and lists nest
// at most maxNesting deep; a body whose emphasis would take over maxWalk
// steps to match is rendered by plainMarkdown, where '*', '_' and '~' are
// text.
// RenderMarkdown is part of the projector: changing what it makes is a
// projectorVersion bump, and the read models are rebuilt with the new
// rendering.
// GFM tables render too, unless a body's table could make over
// maxTableCells cells (see tablesBounded): then its pipes are text.
var (
	markdown           = newMarkdown(true, true)
	plainMarkdown      = newMarkdown(false, true)
	tablelessMarkdown  = newMarkdown(true, false)
	tablelessPlainMark = newMarkdown(false, false)
)

// newMarkdown returns the Markdown of bodies, with emphasis and
// strikethrough or without them, with tables or without.
func newMarkdown(emphasis, tables bool) goldmark.Markdown {
	exts := []goldmark.Extender{extension.Linkify}
	if tables {
		exts = append(exts, extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)))
	}
	inlines := without[parser.InlineParser](parser.DefaultInlineParsers(), parser.NewRawHTMLParser())
	if emphasis {
		inlines = append(delimitersCounted(inlines), util.Prioritized(countedParser{extension.NewStrikethroughParser()}, 500))
	} else {
		inlines = without[parser.InlineParser](inlines, parser.NewEmphasisParser())
	}
	return goldmark.New(
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(nestingCapped(without[parser.BlockParser](parser.DefaultBlockParsers(), parser.NewHTMLBlockParser()))...),
			parser.WithInlineParsers(inlines...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		)),
		goldmark.WithExtensions(exts...),
		goldmark.WithRendererOptions(html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500))),
	)
}

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

// Bounds of a rendering, whatever the body: quotes and lists nest at most
// maxNesting deep (deeper markers are text), and the HTML is at most
// maxOutputRatio times the body's length, else the body is shown as escaped
// text. Every bound is decided by the body alone, never by a clock, so a
// body renders the same on every machine and in every rebuild. A command
// measures its body's rendering against RenderBudget; the event of one
// over it says to show the body as text (see RenderBody).
const (
	maxNesting     = 16
	maxOutputRatio = 8
	// RenderBudget is the longest a body's rendering may take when its
	// command measures it; a body over it is shown as escaped text.
	RenderBudget = 20 * time.Millisecond
)

// goldmark matches emphasis paragraph by paragraph: from every run of '*',
// '_' or '~' that can close, it walks back over the runs before it in the
// paragraph that can open or close, so the cost grows as the square of
// their number. Runs that can do neither (my_var, 2 * 3) are text at once
// and walked by none. The parse counts, for every closing run, the runs
// before it in its paragraph: a body whose count passes maxWalk (as a
// paragraph of maxDelimiters runs, every other one closing, makes) is
// rendered without emphasis and strikethrough (plainMarkdown), which bounds
// the walks at maxWalk steps whatever the body.
const (
	maxDelimiters = 400
	maxWalk       = maxDelimiters * maxDelimiters / 4
)

// emphasisWalk is the key, in a parse's context, of its *walkCount.
var emphasisWalk = parser.NewContextKey()

// walkCount bounds the walks of a parse's emphasis: the runs that can open
// or close in the paragraph being parsed, and the steps so far.
type walkCount struct {
	block ast.Node // the paragraph (or heading, or item) runs counts
	runs  int
	steps int
}

// add counts a run of block that can open or close.
func (w *walkCount) add(block ast.Node, closes bool) {
	if block != w.block {
		w.block, w.runs = block, 0
	}
	if closes {
		w.steps += w.runs
	}
	w.runs++
}

// walked returns the walkCount of pc's parse.
func walked(pc parser.Context) *walkCount {
	return pc.ComputeIfAbsent(emphasisWalk, func() any { return new(walkCount) }).(*walkCount)
}

// delimitersCounted returns the inline parsers of list, with that of
// emphasis counting its delimiters.
func delimitersCounted(list []util.PrioritizedValue) []util.PrioritizedValue {
	out := make([]util.PrioritizedValue, len(list))
	for i, v := range list {
		out[i] = v
		if ip := v.Value.(parser.InlineParser); fmt.Sprintf("%T", ip) == fmt.Sprintf("%T", parser.NewEmphasisParser()) {
			out[i] = util.Prioritized(countedParser{ip}, v.Priority)
		}
	}
	return out
}

// countedParser is a parser of emphasis or strikethrough delimiters that
// makes text of runs that can neither open nor close, counts the walks of
// the others, and takes none once they pass maxWalk.
type countedParser struct{ parser.InlineParser }

// Parse parses a delimiter unless the body's walks are past maxWalk, which
// tells the renderer to parse the body again without emphasis.
func (c countedParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	w := walked(pc)
	if w.steps > maxWalk {
		return nil
	}
	line, segment := block.PeekLine()
	if n := inertRun(line, block.PrecendingCharacter()); n > 0 {
		block.Advance(n)
		return ast.NewTextSegment(segment.WithStop(segment.Start + n))
	}
	node := c.InlineParser.Parse(parent, block, pc)
	if d, ok := node.(*parser.Delimiter); ok {
		w.add(parent, d.CanClose)
	}
	return node
}

// inertRun returns the length of the run of '*', '_' or '~' line starts
// with when it can neither open nor close emphasis (as goldmark's
// parser.ScanDelimiter tells, without making a delimiter), else 0.
func inertRun(line []byte, before rune) int {
	if len(line) == 0 || line[0] != '*' && line[0] != '_' && line[0] != '~' {
		return 0
	}
	n := 1
	for n < len(line) && line[n] == line[0] {
		n++
	}
	after := ' '
	if n < len(line) {
		after = util.ToRune(line, n)
	}
	beforePunct, beforeSpace := util.IsPunctRune(before), util.IsSpaceRune(before)
	afterPunct, afterSpace := util.IsPunctRune(after), util.IsSpaceRune(after)
	left := !afterSpace && (!afterPunct || beforeSpace || beforePunct)
	right := !beforeSpace && (!beforePunct || afterSpace || afterPunct)
	if line[0] == '_' {
		left, right = left && (!right || beforePunct), right && (!left || afterPunct)
	}
	if left || right {
		return 0
	}
	return n
}

// goldmark's link parser reads, for every "](", the rest of the run of
// non-blank bytes after it, and works on every "[" with every other: bodies
// past these bounds are shown as text without parsing (whatever their
// length, those within take a few milliseconds).
const (
	maxBrackets = 500
	maxLinkScan = 200_000
)

// goldmark spends microseconds on every line and on every block, and a body
// of short lines has thousands of both: a body of over maxLines lines is
// shown as text without parsing (a line break where the author broke the
// line, as Markdown would).
const maxLines = 2000

// parseable reports whether body is within maxLines, maxBrackets and
// maxLinkScan.
func parseable(body string) bool {
	return strings.Count(body, "\n") < maxLines && linkParseable(body)
}

// linkParseable reports whether body is within maxBrackets and maxLinkScan.
func linkParseable(body string) bool {
	brackets, scan := 0, 0
	end := len(body) // where the run of non-blank bytes at i ends
	for i := len(body) - 1; i >= 0; i-- {
		switch body[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			end = i
		case '[':
			brackets++
		case '(':
			if i > 0 && body[i-1] == ']' {
				scan += end - i
			}
		}
	}
	return brackets <= maxBrackets && scan <= maxLinkScan
}

// nestingCapped wraps the parsers of quotes and lists in list so that they
// open no block maxNesting quotes and lists deep, and the parsers of quotes,
// lists and items so that they open none once the body has opened over
// maxElements of them.
func nestingCapped(list []util.PrioritizedValue) []util.PrioritizedValue {
	out := make([]util.PrioritizedValue, len(list))
	for i, v := range list {
		out[i] = v
		switch bp := v.Value.(parser.BlockParser); fmt.Sprintf("%T", bp) {
		case fmt.Sprintf("%T", parser.NewBlockquoteParser()), fmt.Sprintf("%T", parser.NewListParser()):
			out[i] = util.Prioritized(cappedParser{bp, true}, v.Priority)
		case fmt.Sprintf("%T", parser.NewListItemParser()):
			out[i] = util.Prioritized(cappedParser{bp, false}, v.Priority)
		}
	}
	return out
}

// goldmark tries, on every line, to open a block at every level of the
// quotes and lists the line is in, and a body of lines of nested list
// markers opens tens of them a line. Every one opened is an element, so a
// body that opens over maxElements is shown as text whatever else it holds:
// once it has, no quote, list or item opens (the rest is paragraphs),
// which bounds that work by maxElements blocks.
//
// containers is the key, in a parse's context, of its *blockCount.
var containers = parser.NewContextKey()

// blockCount counts the quotes, lists and items a parse has opened.
type blockCount struct{ opened int }

// opened returns the count of quotes, lists and items of pc's parse.
func opened(pc parser.Context) *blockCount {
	return pc.ComputeIfAbsent(containers, func() any { return new(blockCount) }).(*blockCount)
}

// cappedParser is a parser of quotes, lists or items that opens nothing
// past maxElements blocks, nor, for quotes and lists (nests), at
// maxNesting quotes and lists deep.
type cappedParser struct {
	parser.BlockParser
	nests bool
}

// Open opens the block unless the body has opened over maxElements quotes,
// lists and items, or, for a quote or list, parent is already maxNesting
// deep; and counts it.
func (c cappedParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	count := opened(pc)
	if count.opened > maxElements || c.nests && nesting(parent) >= maxNesting {
		return nil, parser.NoChildren
	}
	node, state := c.BlockParser.Open(parent, reader, pc)
	if node != nil {
		count.opened++
	}
	return node, state
}

// nesting counts the quotes and lists n is in, itself included.
func nesting(n ast.Node) int {
	depth := 0
	for ; n != nil; n = n.Parent() {
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindList:
			depth++
		}
	}
	return depth
}

// sanitizer is the second guard: whatever the renderer makes, only these
// elements and attributes reach a reader, and links only to http, https and
// mailto. rel is set by RenderMarkdown on every link it keeps.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
		"table", "thead", "tbody", "tr", "th", "td")
	// Links go to http, https and mailto alone, and within this forum to a
	// post or a comment of one (what a quote links to); the other relative
	// address kept is an image's, and only of this forum's pictures.
	p.AllowAttrs("href").Matching(absoluteLink).OnElements("a")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("src").Matching(mediaSrc).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.AllowAttrs("loading").Matching(regexp.MustCompile(`^lazy$`)).OnElements("img")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	return p
}()

// absoluteLink is the address a link may have: http, https or mailto, or a
// post's page of this forum, at a comment or not.
var absoluteLink = regexp.MustCompile(`^(?i:https?:|mailto:)|^/posts/[0-9a-z]{1,40}(\?comment=[0-9a-z]{1,40})?$`)

// mediaSrc is the address an image may have: one of this forum's pictures.
var mediaSrc = regexp.MustCompile(`^/media/[0-9a-z]{26}$`)

var mdBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// linkRel is what every link in a rendered body carries.
const linkRel = `<a rel="nofollow ugc noopener" href=`

// RenderMarkdown returns body's sanitized HTML, at most maxOutputRatio
// times as long as body, else body as escaped text. It is a function of
// body alone, and its cost is bounded by the body's length.
func RenderMarkdown(body string) string { return RenderMarkdownWith(body, nil) }

// MediaInfo is what a rendering knows of one of the forum's pictures: its
// size in pixels.
type MediaInfo struct{ Width, Height int }

// MediaLookup says whether id names one of the forum's pictures, and its
// size. A rendering asks it, in the body's order, about every image whose
// address is /media/{id}; nil knows none.
type MediaLookup func(id string) (MediaInfo, bool)

// RenderMarkdownWith is RenderMarkdown showing the images of this forum's
// pictures that media knows (with their width and height, loaded lazily);
// every other image is shown as a link to it, with its alt text.
func RenderMarkdownWith(body string, media MediaLookup) string {
	if body == "" {
		return ""
	}
	if html, ok := renderPlain(body); ok && len(html) <= maxOutputRatio*len(body) {
		return html
	}
	if !parseable(body) {
		return renderEscaped(body)
	}
	if html := renderFull(body, media); len(html) <= maxOutputRatio*len(body) {
		return html
	}
	return renderEscaped(body)
}

// RenderBody returns body's HTML as its event says to show it: as escaped
// text when its command found the rendering over RenderBudget, else as
// Markdown (events written before the choice say nothing and are Markdown).
func RenderBody(body string, r events.Rendering) string { return RenderBodyWith(body, r, nil) }

// RenderBodyWith is RenderBody showing the pictures media knows.
func RenderBodyWith(body string, r events.Rendering, media MediaLookup) string {
	if r == events.AsText {
		return RenderText(body)
	}
	return RenderMarkdownWith(body, media)
}

// RenderText returns body as escaped text, as a body over RenderBudget is
// shown.
func RenderText(body string) string {
	if body == "" {
		return ""
	}
	return renderEscaped(body)
}

// renderEscaped renders body as text: escaped, in one paragraph, a line
// break where the author broke the line. It is at most 5 times as long as
// body and 7 bytes, or without the paragraph when that is over
// maxOutputRatio times.
func renderEscaped(body string) string {
	escaped := strings.ReplaceAll(stdhtml.EscapeString(body), "\n", "<br>\n")
	if html := "<p>" + escaped + "</p>"; len(html) <= maxOutputRatio*len(body) {
		return html
	}
	return escaped
}

// renderFull renders body with the Markdown parser and the sanitizer.
func renderFull(body string, media MediaLookup) string {
	buf := mdBuffers.Get().(*bytes.Buffer)
	defer mdBuffers.Put(buf)
	buf.Reset()
	src := []byte(body)
	md, doc := parseBounded(src)
	if elements(doc) > maxElements {
		return renderEscaped(body)
	}
	showImages(doc, src, media)
	if err := md.Renderer().Render(buf, src, doc); err != nil {
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

// showImages keeps in doc the images of the pictures media knows, with
// their size and lazy loading, and turns every other image into a link to
// its address with its alt text (the address itself when it has none).
func showImages(doc ast.Node, src []byte, media MediaLookup) {
	var images []*ast.Image
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := node.(*ast.Image); ok && entering {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		id, ok := strings.CutPrefix(string(img.Destination), "/media/")
		var m MediaInfo
		if ok && events.ValidID(id) && media != nil {
			m, ok = media(id)
		} else {
			ok = false
		}
		if ok {
			img.Title = nil
			img.SetAttributeString("width", []byte(strconv.Itoa(m.Width)))
			img.SetAttributeString("height", []byte(strconv.Itoa(m.Height)))
			img.SetAttributeString("loading", []byte("lazy"))
			continue
		}
		link := ast.NewLink()
		link.Destination = img.Destination
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			link.AppendChild(link, c)
			c = next
		}
		if !link.HasChildren() {
			link.AppendChild(link, ast.NewString(img.Destination))
		}
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

// Every element costs the renderer and the sanitizer a microsecond or two,
// and a body of 20,000 characters can make 10,000 of them (code spans,
// headings): a body whose Markdown makes over maxElements is shown as text.
const maxElements = 2000

// elements counts the elements of doc (its nodes but text and itself), up
// to maxElements+1.
func elements(doc ast.Node) int {
	n := 0
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || node == doc || node.Kind() == ast.KindText {
			return ast.WalkContinue, nil
		}
		if n++; n > maxElements {
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return n
}

// parseBounded parses src with markdown, or with plainMarkdown when its
// emphasis would take over maxWalk steps to match, and returns the one that
// parsed it with the tree it made.
func parseBounded(src []byte) (goldmark.Markdown, ast.Node) {
	md, plain := markdown, plainMarkdown
	if !tablesBounded(src) {
		md, plain = tablelessMarkdown, tablelessPlainMark
	}
	pc := parser.NewContext()
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	if walked(pc).steps > maxWalk {
		return plain, plain.Parser().Parse(text.NewReader(src))
	}
	return md, doc
}

// A table has as many cells a row as its delimiter row has columns, even
// on rows of one pipe: a wide delimiter row over many short lines would
// make cells as the square of the body's length. A body whose widest
// delimiter row times its lines passes maxTableCells renders its tables as
// text.
const maxTableCells = 4000

// tablesBounded reports whether src's tables make at most maxTableCells
// cells whatever their rows.
func tablesBounded(src []byte) bool {
	lines := bytes.Count(src, []byte("\n")) + 1
	widest := 0
	for line := range bytes.SplitSeq(src, []byte("\n")) {
		if !bytes.Contains(line, []byte("-")) || len(bytes.Trim(line, "|:- \t\r")) > 0 {
			continue
		}
		widest = max(widest, bytes.Count(line, []byte("|"))+1)
	}
	return widest*lines <= maxTableCells
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
