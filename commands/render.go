package commands

import (
	"time"

	"forum/events"
	"forum/projections"
)

// renderTook measures a rendering that started at start; tests replace it
// to stand for a slow machine.
var renderTook = time.Since

// decideRendering renders body once, as its readers would see it, and
// returns that HTML with how the event is to say the body is shown: as
// Markdown, or as escaped text when its rendering took over
// projections.RenderBudget. The command decides and the event carries the
// decision, so the projector's rendering reads no clock and a rebuild makes
// the same HTML on any machine under any load.
func decideRendering(body string) (string, events.Rendering) { return decideRenderingWith(body, nil) }

// decideRenderingWith is decideRendering showing the pictures media knows.
func decideRenderingWith(body string, media projections.MediaLookup) (string, events.Rendering) {
	start := time.Now()
	html := projections.RenderMarkdownWith(body, media)
	if renderTook(start) > projections.RenderBudget {
		return projections.RenderText(body), events.AsText
	}
	return html, events.AsMarkdown
}

// rendering is decideRendering's decision alone.
func rendering(body string) events.Rendering {
	_, r := decideRendering(body)
	return r
}
