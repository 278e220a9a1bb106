package projections

import (
	"bytes"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"regexp"
	"slices"
	"strings"
	"testing"

	"forum/events"

	"github.com/yuin/goldmark"
	mdast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	mdhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

func TestRenderMarkdown(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"**bold**, *em* and ~~gone~~", "<p><strong>bold</strong>, <em>em</em> and <del>gone</del></p>"},
		{"one\ntwo", "<p>one<br>\ntwo</p>"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		{"<b>x</b> `<i>`", "<p>&lt;b&gt;x&lt;/b&gt; <code>&lt;i&gt;</code></p>"},
		{"<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"},
		{"[y](https://e.com/a?b=1&c=2)", `<p><a rel="nofollow ugc noopener" href="https://e.com/a?b=1&amp;c=2">y</a></p>`},
		{"<https://a.b/c>", `<p><a rel="nofollow ugc noopener" href="https://a.b/c">https://a.b/c</a></p>`},
		{"see www.x.com", `<p>see <a rel="nofollow ugc noopener" href="http://www.x.com">www.x.com</a></p>`},
		{"mail a@b.com", `<p>mail <a rel="nofollow ugc noopener" href="mailto:a@b.com">a@b.com</a></p>`},
		{"[x](javascript:alert(1))", "<p>x</p>"},
		{"[x](data:text/html,hi)", "<p>x</p>"},
		{"[x](/relative)", "<p>x</p>"},
		{"[x](//e.com/posts/a)", "<p>x</p>"},
		{"[x](/posts/../signout)", "<p>x</p>"},
		{"[@ada wrote:](/posts/06h52k42qcfv5sfj0b66bx6tpr?comment=06h52k42qcfv5sfj0b66bx6tps)", `<p><a rel="nofollow ugc noopener" href="/posts/06h52k42qcfv5sfj0b66bx6tpr?comment=06h52k42qcfv5sfj0b66bx6tps">@ada wrote:</a></p>`},
		{`[x](https://e.com "a title")`, `<p><a rel="nofollow ugc noopener" href="https://e.com">x</a></p>`},
		{"![pic](https://e.com/p.png)", `<p><a rel="nofollow ugc noopener" href="https://e.com/p.png">pic</a></p>`},
		{"![](https://e.com/p.png)", `<p><a rel="nofollow ugc noopener" href="https://e.com/p.png">https://e.com/p.png</a></p>`},
		{"![pic](/media/01jq8r9b2c3d4e5f6g7h8j9k0m)", "<p>pic</p>"}, // known to no lookup
		{"| a | b |\n|:-|-:|\n| 1 | *2* |", "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td align=\"left\">1</td>\n<td align=\"right\"><em>2</em></td>\n</tr>\n</tbody>\n</table>"},
		{"# Title\n\n3. c\n4. d", "<h1>Title</h1>\n<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>"},
		{"```\n<b>\n```", "<pre><code>&lt;b&gt;\n</code></pre>"},
		{"> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
	} {
		if got := RenderMarkdown(c.in); got != c.want {
			t.Errorf("RenderMarkdown(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// postLink is the one relative link a body may have: a post's page, at a
// comment or not.
var postLink = regexp.MustCompile(`^/posts/[0-9a-z]+(\?comment=[0-9a-z]+)?$`)

// FuzzRenderMarkdown: whatever is typed, only the sanitizer's elements and
// attributes come out, and links only to http, https, mailto and a post.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"<script>x</script>", "[a](javascript:x)", "<a href=x onclick=y>", "*a* `b` ~~c~~ https://d.e", "[a](https://x \"t\")",
		"![a](/media/01jq8r9b2c3d4e5f6g7h8j9k0m \"t\")", "![a *b*](javascript:x)", "![](/media/../x)", "|a|b|\n|-|:-:|\n|![c](/media/01jq8r9b2c3d4e5f6g7h8j9k0m)|d|", "[a](/posts/b?comment=c)", "[a](/posts/b/../../x)"} {
		f.Add(s)
	}
	allowed := map[string][]string{"a": {"rel", "href"}, "ol": {"start"}, "img": {"src", "alt", "width", "height", "loading"}, "th": {"align"}, "td": {"align"}}
	for _, el := range strings.Fields("p br hr em strong del code pre blockquote ul li h1 h2 h3 h4 h5 h6 table thead tbody tr") {
		allowed[el] = nil
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RenderMarkdownWith(s, everyMedia)
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			attrs, ok := allowed[tok.Data]
			if !ok {
				t.Fatalf("RenderMarkdown(%q) = %q has a <%s>", s, out, tok.Data)
			}
			for _, a := range tok.Attr {
				if !slices.Contains(attrs, a.Key) {
					t.Fatalf("RenderMarkdown(%q) = %q has <%s %s>", s, out, tok.Data, a.Key)
				}
				if scheme, _, _ := strings.Cut(strings.ToLower(a.Val), ":"); a.Key == "href" && scheme != "http" && scheme != "https" && scheme != "mailto" && !postLink.MatchString(a.Val) {
					t.Fatalf("RenderMarkdown(%q) = %q links to %q", s, out, a.Val)
				}
				if a.Key == "src" && !mediaSrc.MatchString(a.Val) {
					t.Fatalf("RenderMarkdown(%q) = %q shows the image %q", s, out, a.Val)
				}
				if a.Key == "rel" && a.Val != "nofollow ugc noopener" {
					t.Fatalf("RenderMarkdown(%q) = %q has rel %q", s, out, a.Val)
				}
			}
		}
	})
}

// FuzzRenderPlain: whenever the plain path takes a body, it renders it as
// the full Markdown renderer does.
func FuzzRenderPlain(f *testing.F) {
	for _, s := range []string{"Hello world", "Two lines\nof text", "Paragraphs.\n\nTwo of them", "  indented", "    code?", "1. list", "Café, naïve (yes)", "quotes \" and ' here", "a/b", "x\n \ny", "trailing   \n  lead", "a <tag> & b", "> quote", "x >y", "a &amp b", "<b>bold</b>", "a < b > c", "&", "x &\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		plain, ok := renderPlain(s)
		if !ok {
			return
		}
		if full := renderFull(s, nil); plain != full {
			t.Fatalf("body %q: the plain path makes\n%q\nthe full renderer\n%q", s, plain, full)
		}
	})
}

// renderBombs are the costliest bodies found for the renderer, each within
// the length limit of a post.
var renderBombs = []struct{ name, body string }{
	{"quotes-19999", strings.Repeat(">", 19999) + "a"},
	{"quote-lines", strings.Repeat(strings.Repeat(">", 99)+" a\n", 200)},
	{"bullets-9999", strings.Repeat("- ", 9999) + "a"},
	{"numbers-6666", strings.Repeat("1. ", 6666) + "a"},
	{"quote-list-mix", strings.Repeat("> - ", 4999) + "a"},
	{"list-staircase", staircase(140)},
	{"brackets", strings.Repeat("[", 20000)},
	{"open-links", strings.Repeat("[a](", 5000)},
	{"open-links-at-bound", strings.Repeat("[a](", 10) + strings.Repeat("b", 19960)},
	{"brackets-at-bound", strings.Repeat("[a", maxBrackets) + strings.Repeat("]", 19000)},
	{"images-at-bound", strings.Repeat("![a](b) ", maxBrackets) + strings.Repeat("a", 16000)},
	{"emphasis-runs", strings.Repeat("*a **a ***a ", 1666)},
	{"underscores", strings.Repeat("_a __a ___a ", 1666)},
	{"backtick-runs", backtickRuns(20000)},
	{"reference-storm", strings.Repeat("[a]: https://e.com\n", 100) + strings.Repeat("[a]", 6000)},
	{"pipes", strings.Repeat("|a", 10000)},
	{"www-links", strings.Repeat("www.a ", 3333)},
	{"line-breaks", strings.Repeat("a\n", 10000)},
	{"ampersands", strings.Repeat("&", 20000)},
	{"star-underscore-lines", strings.Repeat("*_\n", 6667)[:20000]},
	{"a-star-underscore", strings.Repeat("a*_", 6667)[:20000]},
	{"underscore-a-star", strings.Repeat("_a*", 6667)[:20000]},
	{"star-underscore-spaces", strings.Repeat("*_ ", 6667)[:20000]},
	{"star-a", strings.Repeat("*a", 10000)},
	{"delimiters-at-bound", strings.Repeat("*_\n", maxDelimiters/2) + strings.Repeat("a ", 9000)},
	{"setext-headings", strings.Repeat("a\n=\n", 5000)},
	{"headings", strings.Repeat("# a\n", 5000)},
	{"setext-at-bound", strings.Repeat("a\n=\n", maxLines/2-1) + "a\n=" + strings.Repeat(" a", 8000)},
	{"headings-at-bound", strings.Repeat("# a\n", maxLines-1) + "# a" + strings.Repeat(" a", 6000)},
	{"code-spans", strings.Repeat("`a", 10000)},
	{"entities", strings.Repeat("&#1", 6666)},
	{"autolinks", strings.Repeat("<a@", 6666)},
	{"intraword-underscores", strings.Repeat("a_", 10000)},
	{"emails", strings.Repeat("a.", 9990) + "@b.c"},
	{"elements-at-bound", strings.Repeat("`a` ", maxElements-1) + strings.Repeat("a", 20000-4*(maxElements-1))},
	{"nested-bullet-lines", strings.Repeat(strings.Repeat("* ", 17)+"a\n", 555)},
	{"nested-bullet-em-lines", strings.Repeat(strings.Repeat("* ", 16)+"*a*\n", 555)},
	{"nested-brackets-at-bound", strings.Repeat("[a", maxBrackets) + strings.Repeat("]", maxBrackets) + strings.Repeat(" a", 9000)},
}

// emphasisBombs are the bodies whose emphasis goldmark took seconds to
// match (each within the length limit of a post).
var emphasisBombs = []string{
	strings.Repeat("*_\n", 6667)[:20000],
	strings.Repeat("a*_", 6667)[:20000],
	strings.Repeat("_a*", 6667)[:20000],
	strings.Repeat("*_ ", 6667)[:20000],
	strings.Repeat("*a", 10000),
}

// A body whose emphasis would take goldmark over maxWalk steps to match (as
// one paragraph of over maxDelimiters runs of '*', '_' and '~', every other
// one closing, would) is parsed without emphasis, whatever the machine or
// its load: the body decides, and the bodies that took seconds are among
// them. Runs in code are not counted.
func TestEmphasisBoundedByTheBody(t *testing.T) {
	t.Parallel()
	for _, body := range emphasisBombs {
		if md, _ := parseBounded([]byte(body)); md != plainMarkdown {
			t.Errorf("%.30q… is parsed with emphasis", body)
		}
	}
	if got, want := RenderMarkdown(strings.Repeat("*a", 10000)), "<p>"+strings.Repeat("*a", 10000)+"</p>"; got != want {
		t.Errorf("*a 10,000 times: %.60q…, want the stars as text", got)
	}
	within := strings.Repeat("*a* ", maxDelimiters/4) + strings.Repeat("~~b~~ ", maxDelimiters/4)
	if got := RenderMarkdown(within); strings.Count(got, "<em>a</em>") != maxDelimiters/4 || strings.Count(got, "<del>b</del>") != maxDelimiters/4 {
		t.Errorf("%d delimiters: %.80q…, want emphasis and strikethrough", maxDelimiters, got)
	}
	if got := RenderMarkdown(within + "~~c~~"); strings.Contains(got, "<em>") || strings.Contains(got, "<del>") || !strings.Contains(got, "~~c~~") {
		t.Errorf("%d delimiters: %.80q…, want them all as text", maxDelimiters+2, got)
	}
	if got := RenderMarkdown(within + "`*a* ~~b~~`"); strings.Count(got, "<em>a</em>") != maxDelimiters/4 {
		t.Errorf("delimiters in code are counted: %.80q…", got)
	}
}

// Only runs that goldmark would walk count, paragraph by paragraph: runs
// that can neither open nor close, runs that nothing closes after, and runs
// of other paragraphs leave a long body its emphasis.
func TestEmphasisOfLongBodies(t *testing.T) {
	t.Parallel()
	var tutorial strings.Builder
	for tutorial.Len() < 15000 {
		tutorial.WriteString("Set **my_var** to *2 * 3*, not ~~x~~ or **y**: the loop runs ~5 times, then stops.\n\n")
	}
	for name, body := range map[string]string{
		"my_var":     strings.Repeat("my_var ", 401),
		"2 * 3":      strings.Repeat("2 * 3 ", 401),
		"~5":         strings.Repeat("~5 ", 401),
		"paragraphs": strings.Repeat("**b** x\n\n", 201),
		"tutorial":   tutorial.String(),
	} {
		if md, _ := parseBounded([]byte(body + "*em*")); md != markdown {
			t.Errorf("%s: parsed without emphasis", name)
		}
		if got := RenderMarkdown(body + "*em*"); !strings.HasSuffix(got, "<em>em</em></p>") {
			t.Errorf("%s: ends %q, want emphasis", name, got[max(0, len(got)-40):])
		}
	}
	if got, n := RenderMarkdown(tutorial.String()), strings.Count(tutorial.String(), "\n\n"); strings.Count(got, "<strong>") != 2*n || strings.Count(got, "<del>x</del>") != n {
		t.Errorf("tutorial: %.200q…, want %d bold and %d struck", got, 2*n, n)
	}
}

// The counting changes nothing within the bound: the body renders as
// goldmark's own parsers of emphasis and strikethrough render it.
func TestEmphasisCountingKeepsTheRendering(t *testing.T) {
	t.Parallel()
	for _, body := range emphasisCases {
		if md, _ := parseBounded([]byte(body)); md != markdown {
			t.Fatalf("%q is parsed without emphasis", body)
		}
		if got, want := renderFull(body, nil), referenceRender(body); got != want {
			t.Errorf("%q renders\n%q\ngoldmark's parsers\n%q", body, got, want)
		}
	}
}

// emphasisCases are bodies whose runs open, close, do both or neither.
var emphasisCases = []string{
	"my_var and my__var__ and _x_ and __y__", "2 * 3 * 4", "a * b *c* d", "~5 ~~x~~ ~y~ ~~~z~~~", "**a*b***",
	"*a **b** c*", "_a_b_ __c__d", "x *\ny* z", "* * *", "a ** b **", "*foo`*`", "[*a* _b](https://e.com) _c_",
	"***a*** *_b_* _*c*_", "a_\n_b", " _ a _ ", "~ a ~", "**a** ~5 *b*\n\n_c_ x_y", "\\*a* \\_b_",
	"a_www.e.com _www.e.com* a__b__c", "# *a* my_b\n\n- _c_ ~d~", "x ~~~ y ~~ z~~",
	" ~~~ www.e.com ~~~www.e.com", "\\~~ x~~", "a**_b_**c _*a*_", "é_ü_ *«a»* _„b“_",
}

// referenceRender renders body with goldmark's parsers of emphasis and
// strikethrough as they come, the forum's tables and images, and the
// sanitizer.
func referenceRender(body string) string {
	inlines := without[parser.InlineParser](parser.DefaultInlineParsers(), parser.NewRawHTMLParser())
	inlines = append(inlines, util.Prioritized(extension.NewStrikethroughParser(), 500))
	md := goldmark.New(
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(nestingCapped(without[parser.BlockParser](parser.DefaultBlockParsers(), parser.NewHTMLBlockParser()))...),
			parser.WithInlineParsers(inlines...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		)),
		goldmark.WithExtensions(extension.Linkify, extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
		goldmark.WithRendererOptions(mdhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500))),
	)
	var buf bytes.Buffer
	src := []byte(body)
	doc := md.Parser().Parse(text.NewReader(src))
	showImages(doc, src, nil)
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return err.Error()
	}
	out := strings.TrimSuffix(string(sanitizer.SanitizeBytes(buf.Bytes())), "\n")
	return strings.ReplaceAll(out, `<a href=`, linkRel)
}

// FuzzEmphasisCounting: within the bound, the counting changes nothing.
func FuzzEmphasisCounting(f *testing.F) {
	for _, body := range emphasisCases {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if md, _ := parseBounded([]byte(s)); md != markdown {
			return
		}
		if got, want := renderFull(s, nil), referenceRender(s); got != want {
			t.Fatalf("%q renders\n%q\ngoldmark's parsers\n%q", s, got, want)
		}
	})
}

// The renderer reads no clock: a body renders the same on every machine,
// under any load, in every rebuild.
func TestRenderReadsNoClock(t *testing.T) {
	t.Parallel()
	file, err := goparser.ParseFile(token.NewFileSet(), "markdown.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "time" && sel.Sel.Name != "Duration" && sel.Sel.Name != "Millisecond" {
				t.Errorf("markdown.go uses time.%s", sel.Sel.Name)
			}
		}
		return true
	})
}

// staircase returns a list nested by indentation, n levels deep.
func staircase(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat("  ", i) + "- a\n")
	}
	return b.String()
}

// backtickRuns returns runs of 1, 2, 3… backticks, up to n bytes.
func backtickRuns(n int) string {
	var b strings.Builder
	for i := 1; b.Len()+i+1 <= n; i++ {
		b.WriteString(strings.Repeat("`", i) + " ")
	}
	return b.String()
}

// renderBounds reports how deep quotes and lists nest in out, and fails t
// unless out is at most maxOutputRatio times as long as in and nests at
// most maxNesting deep.
func checkRenderBounds(t *testing.T, in, out string) (depth int) {
	t.Helper()
	if len(out) > maxOutputRatio*len(in) {
		t.Fatalf("RenderMarkdown(%.60q…) is %d bytes, over %d times its %d", in, len(out), maxOutputRatio, len(in))
	}
	z := html.NewTokenizer(strings.NewReader(out))
	open := 0
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			if depth > maxNesting {
				t.Fatalf("RenderMarkdown(%.60q…) nests quotes and lists %d deep", in, depth)
			}
			return depth
		case html.StartTagToken, html.EndTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "blockquote", "ul", "ol":
				if tt == html.StartTagToken {
					open++
					depth = max(depth, open)
				} else {
					open--
				}
			}
		}
	}
}

// Quotes and lists nest at most 16 deep (deeper markers are text), and no
// body renders to more than 8 times its length.
func TestRenderBounds(t *testing.T) {
	t.Parallel()
	for _, c := range renderBombs {
		out := RenderMarkdown(c.body)
		depth := checkRenderBounds(t, c.body, out)
		if c.name == "quotes-19999" && (depth != maxNesting || !strings.HasSuffix(out, "&gt;a</p>"+strings.Repeat("\n</blockquote>", maxNesting))) {
			t.Errorf("%s: %d quotes deep, ending %q; want 16 quotes around the rest as text", c.name, depth, out[max(0, len(out)-80):])
		}
	}
	for _, body := range []string{strings.Repeat("- ", 30) + "a", staircase(30), strings.Repeat("> 1. ", 15) + "> > a"} {
		if got := renderFull(body, nil); strings.Count(got, "<ul>")+strings.Count(got, "<ol>")+strings.Count(got, "<blockquote>") != maxNesting {
			t.Errorf("%q renders %q, want 16 quotes and lists", body, got)
		}
	}
}

// A body opens at most maxElements+1 quotes, lists and items, whatever its
// shape (lines of nested list markers opened tens a line), and one that
// would open more is shown as text; one within opens them all.
func TestContainersBoundedByTheBody(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		strings.Repeat(strings.Repeat("* ", 17)+"a\n", 555),
		strings.Repeat(strings.Repeat("* ", 16)+"*a*\n", 555),
		strings.Repeat(strings.Repeat("> 1. ", 8)+"a\n", 555),
	} {
		if _, doc := parseBounded([]byte(body)); containerNodes(doc) > maxElements+1 {
			t.Errorf("%.30q… opens %d quotes, lists and items", body, containerNodes(doc))
		}
		if got := RenderMarkdown(body); got != renderEscaped(body) {
			t.Errorf("%.30q… renders %.60q…, want text", body, got)
		}
	}
	within := strings.Repeat(strings.Repeat("* ", 4)+"a\n", 100)
	if _, doc := parseBounded([]byte(within)); containerNodes(doc) != 8+7*99 {
		t.Errorf("100 lines of 4 nested items open %d quotes, lists and items, want 701", containerNodes(doc))
	}
}

// containerNodes counts the quotes, lists and items of doc.
func containerNodes(doc mdast.Node) int {
	n := 0
	_ = mdast.Walk(doc, func(node mdast.Node, entering bool) (mdast.WalkStatus, error) {
		switch node.Kind() {
		case mdast.KindBlockquote, mdast.KindList, mdast.KindListItem:
			if entering {
				n++
			}
		}
		return mdast.WalkContinue, nil
	})
	return n
}

// A rendering over 8 times the body's length is dropped for the body as
// escaped text, as is a body whose event says so (its command found the
// rendering over its budget of time).
func TestRenderFallsBackToText(t *testing.T) {
	t.Parallel()
	if got, want := RenderBody("**a** <b>\nc", events.AsText), "<p>**a** &lt;b&gt;<br>\nc</p>"; got != want {
		t.Errorf("as text: %q, want %q", got, want)
	}
	if got, want := RenderBody("**a**", events.AsMarkdown), "<p><strong>a</strong></p>"; got != want {
		t.Errorf("as Markdown: %q, want %q", got, want)
	}
	if got, want := RenderMarkdown("#"), "<p>#</p>"; got != want {
		t.Errorf("an empty heading, 9 times its body: %q, want %q", got, want)
	}
	if got, want := RenderMarkdown("&"), "&amp;"; got != want {
		t.Errorf("an ampersand: %q, want %q", got, want)
	}
	// Bodies of too many lines are not parsed; those within are.
	if got := RenderMarkdown(strings.Repeat("# a\n", maxLines)); got != renderEscaped(strings.Repeat("# a\n", maxLines)) {
		t.Errorf("%d lines: %.60q…, want text", maxLines+1, got)
	}
	if got := RenderMarkdown(strings.Repeat("# a\n", maxLines-1) + "# a"); strings.Count(got, "<h1>a</h1>") != maxLines {
		t.Errorf("%d lines: %.60q…, want headings", maxLines, got)
	}
	// Bodies of too many elements are not rendered; those within are.
	if body := strings.Repeat("`a` ", maxElements); RenderMarkdown(body) != renderEscaped(body) {
		t.Errorf("%d elements: %.60q…, want text", maxElements+1, RenderMarkdown(body))
	}
	if got := RenderMarkdown(strings.Repeat("`a` ", maxElements-1)); strings.Count(got, "<code>a</code>") != maxElements-1 {
		t.Errorf("%d elements: %.60q…, want code", maxElements, got)
	}
	// Bodies whose links goldmark would take long to parse are not parsed.
	for _, body := range []string{strings.Repeat("[a](", 5000), strings.Repeat("[", maxBrackets+1), "[a](" + strings.Repeat("b", maxLinkScan)} {
		if linkParseable(body) || RenderMarkdown(body) != renderEscaped(body) {
			t.Errorf("%.40q… is parsed", body)
		}
	}
	if got, want := RenderMarkdown(strings.Repeat("[a](https://e.com) ", 100)), `<a rel="nofollow ugc noopener" href="https://e.com">a</a>`; strings.Count(got, want) != 100 {
		t.Errorf("100 links: %.200q…", got)
	}
}

// FuzzRenderBounds: whatever is typed, the HTML is at most 8 times as long
// and nests quotes and lists at most 16 deep. The seeds are the start of
// each bomb, so that the fuzzer gets going within seconds.
func FuzzRenderBounds(f *testing.F) {
	for _, c := range renderBombs {
		f.Add(c.body[:min(len(c.body), 2000)]) // whole ones are in testdata
	}
	f.Add("|" + strings.Repeat("a|", 300) + "\n|" + strings.Repeat("-|", 300) + "\n" + strings.Repeat("|\n", 300))
	f.Add(strings.Repeat("![](/media/01jq8r9b2c3d4e5f6g7h8j9k0m)", 60))
	f.Fuzz(func(t *testing.T, s string) {
		checkRenderBounds(t, s, RenderMarkdown(s))
		checkRenderBounds(t, s, RenderMarkdownWith(s, everyMedia))
	})
}

// FuzzRenderPure: the rendering is a function of the body and its event's
// choice alone, the same each time, and as text it keeps the bounds too.
func FuzzRenderPure(f *testing.F) {
	for _, body := range emphasisBombs {
		f.Add(body[:2000])
	}
	f.Add("**a** _b_ ~~c~~ `d` [e](https://f.g)")
	f.Fuzz(func(t *testing.T, s string) {
		md := RenderMarkdown(s)
		if again := RenderBody(s, events.AsMarkdown); again != md {
			t.Fatalf("body %q renders %q, then %q", s, md, again)
		}
		if old := RenderBody(s, "unknown"); old != md {
			t.Fatalf("body %q: an unknown rendering makes %q, Markdown %q", s, old, md)
		}
		text := RenderBody(s, events.AsText)
		if text != RenderText(s) || text != RenderBody(s, events.AsText) {
			t.Fatalf("body %q as text: %q", s, text)
		}
		checkRenderBounds(t, s, text)
	})
}

// BenchmarkRenderMarkdown measures the renderer on the costliest bodies,
// with the HTML's length over the body's as out/in.
func BenchmarkRenderMarkdown(b *testing.B) {
	for _, c := range renderBombs {
		b.Run(c.name, func(b *testing.B) {
			var out string
			for b.Loop() {
				out = RenderMarkdown(c.body)
			}
			b.ReportMetric(float64(len(out))/float64(len(c.body)), "out/in")
		})
	}
}

// everyMedia knows every id as a picture of the largest size taken.
func everyMedia(string) (MediaInfo, bool) { return MediaInfo{Width: 40000, Height: 40000}, true }

// A picture of the forum's shows as an image with its size, loaded lazily,
// wherever it stands; any other image stays a link; a wide table over many
// lines renders as text, in bounded time.
func TestRenderMedia(t *testing.T) {
	const id = "01jq8r9b2c3d4e5f6g7h8j9k0m"
	known := func(got string) (MediaInfo, bool) { return MediaInfo{Width: 640, Height: 480}, got == id }
	for _, c := range []struct{ in, want string }{
		{"![a cat](/media/" + id + ")", `<p><img src="/media/` + id + `" alt="a cat" width="640" height="480" loading="lazy"></p>`},
		{"![a cat](/media/" + id + ` "title")`, `<p><img src="/media/` + id + `" alt="a cat" width="640" height="480" loading="lazy"></p>`},
		{"- ![x](/media/" + id + ")", "<ul>\n<li><img src=\"/media/" + id + `" alt="x" width="640" height="480" loading="lazy"></li>` + "\n</ul>"},
		{"![x](/media/01jq8r9b2c3d4e5f6g7h8j9k0n)", "<p>x</p>"},
		{"![x](https://e.com/media/" + id + ")", `<p><a rel="nofollow ugc noopener" href="https://e.com/media/` + id + `">x</a></p>`},
		{"![x](/media/" + id + "/thumb)", "<p>x</p>"},
	} {
		if got := RenderMarkdownWith(c.in, known); got != c.want {
			t.Errorf("RenderMarkdownWith(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	wide := "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("|\n", 1000)
	if got := RenderMarkdown(wide); strings.Contains(got, "<table>") {
		t.Errorf("a table of a million cells renders as a table")
	}
	if got := RenderMarkdown("|a|b|\n|-|-|\n|c|d|"); !strings.Contains(got, "<td>d</td>") {
		t.Errorf("a small table: %q", got)
	}
}
