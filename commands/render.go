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
// Markdown, or as escaped text when its rendering took over the budget
// (Config.RenderBudget). The command decides and the event carries the
// decision, so the projector's rendering reads no clock and a rebuild makes
// the same HTML on any machine under any load.
func (s *Service) decideRendering(body string) (string, events.Rendering) {
	return s.decideRenderingWith(body, nil)
}

// decideRenderingWith is decideRendering showing the pictures media knows.
func (s *Service) decideRenderingWith(body string, media projections.MediaLookup) (string, events.Rendering) {
	return decideRenderingWithin(body, media, s.RenderBudget)
}

// decideRenderingWithin is decideRenderingWith under the budget given.
func decideRenderingWithin(body string, media projections.MediaLookup, budget time.Duration) (string, events.Rendering) {
	start := time.Now()
	html := projections.RenderMarkdownWith(body, media)
	if renderTook(start) > budget {
		return projections.RenderText(body), events.AsText
	}
	return html, events.AsMarkdown
}

// rendering is decideRendering's decision alone.
func (s *Service) rendering(body string) events.Rendering {
	_, r := s.decideRendering(body)
	return r
}
