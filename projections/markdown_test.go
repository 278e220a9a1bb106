package projections

import (
	"slices"
	"strings"
	"testing"

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
		{`[x](https://e.com "a title")`, `<p><a rel="nofollow ugc noopener" href="https://e.com">x</a></p>`},
		{"![pic](https://e.com/p.png)", "<p></p>"},
		{"# Title\n\n3. c\n4. d", "<h1>Title</h1>\n<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>"},
		{"```\n<b>\n```", "<pre><code>&lt;b&gt;\n</code></pre>"},
		{"> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
	} {
		if got := RenderMarkdown(c.in); got != c.want {
			t.Errorf("RenderMarkdown(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzRenderMarkdown: whatever is typed, only the sanitizer's elements and
// attributes come out, and links only to http, https and mailto.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"<script>x</script>", "[a](javascript:x)", "<a href=x onclick=y>", "*a* `b` ~~c~~ https://d.e", "[a](https://x \"t\")"} {
		f.Add(s)
	}
	allowed := map[string][]string{"a": {"rel", "href"}, "ol": {"start"}}
	for _, el := range strings.Fields("p br hr em strong del code pre blockquote ul li h1 h2 h3 h4 h5 h6") {
		allowed[el] = nil
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RenderMarkdown(s)
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
				if scheme, _, _ := strings.Cut(strings.ToLower(a.Val), ":"); a.Key == "href" && scheme != "http" && scheme != "https" && scheme != "mailto" {
					t.Fatalf("RenderMarkdown(%q) = %q links to %q", s, out, a.Val)
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
		if full := renderFull(s); plain != full {
			t.Fatalf("body %q: the plain path makes\n%q\nthe full renderer\n%q", s, plain, full)
		}
	})
}
