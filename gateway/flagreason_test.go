package gateway_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// A flag's reason is the flagger's, sealed under their key: not in clear in
// the log, shown in the moderators' queue, and gone with the flagger's
// account. Hiding on the flag does not copy it into the moderator's event.
func TestFlagReasonSealed(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	const reason = "bob thinks zqx-secret-grudge"
	p := mkPost(ann, "Flag me")
	var flag struct{ Flag projections.Flag }
	bob.MustDo("POST", "/api/posts/"+p.ID+"/flag", map[string]any{"reason": reason}, http.StatusCreated, &flag)
	if flag.Flag.Reason != reason {
		t.Errorf("the flag as answered: %+v", flag.Flag)
	}
	var q struct{ Items []projections.Flag }
	boss.MustDo("GET", "/api/mod/flags", nil, http.StatusOK, &q)
	if len(q.Items) != 1 || q.Items[0].Reason != reason {
		t.Errorf("the queue: %+v, want the reason %q", q.Items, reason)
	}
	boss.MustDo("POST", "/api/mod/flags/"+flag.Flag.ID+"/resolve", map[string]any{"action": "hide"}, http.StatusNoContent, nil)
	if seqs := streamHolds(t, f, "zqx-secret-grudge"); len(seqs) > 0 {
		t.Errorf("the reason in clear in the log at %v, want nowhere", seqs)
	}
	bob.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("bob")}, http.StatusNoContent, nil)
	boss.MustDo("GET", "/api/mod/flags", nil, http.StatusOK, &q)
	if len(q.Items) != 1 || strings.Contains(q.Items[0].Reason, "zqx") {
		t.Errorf("the queue after the flagger's erasure: %+v", q.Items)
	}
	ev, err := f.Store.Get(forumtest.Context(t), flag.Flag.Seq)
	if err != nil {
		t.Fatal(err)
	}
	var d events.FlagRaisedData
	if err := ev.Payload(&d); err != nil {
		t.Fatal(err)
	}
	if erased, err := f.Cmds.Keys.OpenPayload(forumtest.Context(t), ev.Actor, &d); err != nil || !erased || d.Reason != events.ErasedText {
		t.Errorf("the flag's reason after erasure opens as %q (erased %v, %v), want %q", d.Reason, erased, err, events.ErasedText)
	}
}

// streamHolds returns the sequences of the events of f's stream whose bytes
// hold text; an event it cannot read fails the test.
func streamHolds(t *testing.T, f *forumtest.Forum, text string) []uint64 {
	t.Helper()
	ctx := forumtest.Context(t)
	last, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for seq := uint64(1); seq <= last; seq++ {
		ev, err := f.Store.Get(ctx, seq)
		if errors.Is(err, events.ErrNoEvent) {
			continue // removed from the stream
		}
		if err != nil {
			t.Fatalf("event %d: %v", seq, err)
		}
		if strings.Contains(string(ev.Data), text) || strings.Contains(ev.Subject, text) {
			out = append(out, seq)
		}
	}
	return out
}
