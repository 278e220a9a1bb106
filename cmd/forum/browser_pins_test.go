package main

import (
	"fmt"
	"testing"
)

// Pins in the browser: an admin pins an old post everywhere from its page,
// and it moves to the top of a member's open feed with a "Pinned" badge;
// the member's open post page shows the badge, and loses it live when the
// admin unpins. A hidden post offers no pin or lock until it is restored.
func browserPins(t *testing.T, e *browserEnv) {
	signUp(e.srv, "boss")
	a := signUp(e.srv, "ann")
	old := createPost(e.srv, a.Token, "Read this first", "The house rules", "general")
	fresh := createPost(e.srv, a.Token, "Fresh news", "Something new", "general")
	ann, boss := e.newTab("ann"), e.newTab("boss")
	ann.signIn("ann")
	boss.signIn("boss")
	firstCard := `document.querySelector('#feed article.post-card')`

	ann.open("/", "feed")
	ann.waitLive()
	ann.waitJS("the newest post first", fmt.Sprintf(`%s?.dataset.id === %q && !%s.querySelector('.pinned-badge')`, firstCard, fresh, firstCard))

	boss.open("/posts/"+old, "post")
	boss.waitJS("the moderator's actions in one closed Moderate menu", `(() => {
		const b = document.getElementById('mod-menu');
		return b?.getAttribute('aria-haspopup') === 'menu' && b.getAttribute('aria-expanded') === 'false' &&
			['mod-hide-post', 'mod-pin-global', 'mod-pin-category', 'mod-lock'].every((id) => document.getElementById(id)?.offsetParent === null);
	})()`)
	boss.menuPick(`#mod-menu`, `#mod-pin-global`)
	boss.waitJS("the post pinned", `!!document.getElementById('post-pinned') && !!document.getElementById('mod-unpin')`)
	ann.waitJS("the pinned post on top, live", fmt.Sprintf(`%s?.dataset.id === %q && %s.querySelector('.pinned-badge')?.textContent === 'Pinned'`, firstCard, old, firstCard))
	if got := ann.count(`#feed article.post-card`); got != 2 {
		t.Errorf("the feed shows %d cards, want 2", got)
	}

	ann.open("/posts/"+old, "post")
	ann.waitLive()
	ann.waitJS("the badge on the post page", `document.getElementById('post-pinned')?.textContent === 'Pinned'`)
	if ann.count(`#mod-unpin, #mod-pin-global, #mod-pin-category`) != 0 {
		t.Error("a member is offered to pin")
	}
	boss.menuPick(`#mod-menu`, `#mod-unpin`)
	boss.waitJS("the pin buttons back", `!!document.getElementById('mod-pin-global') && !!document.getElementById('mod-pin-category')`)
	ann.waitJS("the badge gone, live", `!document.getElementById('post-pinned')`)
	ann.open("/", "feed")
	ann.waitJS("the newest post first again", fmt.Sprintf(`%s?.dataset.id === %q`, firstCard, fresh))

	// A hidden post is not offered to be pinned or locked until it is restored.
	boss.menuPick(`#mod-menu`, `#mod-hide-post`)
	boss.waitJS("no pin or lock on the hidden post", `document.getElementById('mod-hide-post')?.textContent === 'Restore' && !document.querySelector('#mod-pin-global, #mod-pin-category, #mod-lock')`)
	boss.menuPick(`#mod-menu`, `#mod-hide-post`)
	boss.waitJS("pin and lock back once it is restored", `document.getElementById('mod-hide-post')?.textContent === 'Hide' && document.querySelectorAll('#mod-pin-global, #mod-pin-category, #mod-lock').length === 3`)
}
