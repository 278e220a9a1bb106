package projections_test

import (
	"path/filepath"
	"testing"
	"time"

	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// Passkeys fold from their events: the first enrolment of a credential id
// holds it (another account's is ignored), renames and sign-ins change the
// row, removal and erasure take rows away, and a rebuild from the stream
// gives the same table as the live fold.
func TestPasskeysFold(t *testing.T) {
	t.Parallel()
	core := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob := events.UserID(core.Register("ann")), events.UserID(core.Register("bob"))
	now := time.Now()
	var last uint64
	add := func(typ events.Type, user events.UserID, data any) {
		t.Helper()
		env, err := events.New(events.NewID(now), typ, now, string(user), data)
		if err != nil {
			t.Fatal(err)
		}
		ack, err := core.Store.Append(ctx, typ.Subject(string(user)), env)
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Seq
	}
	p1, p2, p3, p4 := events.NewID(now), events.NewID(now), events.NewID(now), events.NewID(now)
	add(events.PasskeyAdded, ann, events.PasskeyAddedData{UserID: ann, PasskeyID: p1, Name: "Laptop", CredentialID: "credA", Credential: `{"n":1}`})
	add(events.PasskeyAdded, bob, events.PasskeyAddedData{UserID: bob, PasskeyID: p2, Name: "Stolen", CredentialID: "credA", Credential: `{"n":9}`})
	add(events.PasskeyRenamed, ann, events.PasskeyRenamedData{UserID: ann, PasskeyID: p1, Name: "Old laptop"})
	add(events.PasskeyUsed, ann, events.PasskeyUsedData{UserID: ann, PasskeyID: p1, Credential: `{"n":2}`})
	add(events.PasskeyAdded, ann, events.PasskeyAddedData{UserID: ann, PasskeyID: p3, Name: "Phone", CredentialID: "credB", Credential: `{}`})
	add(events.PasskeyRemoved, ann, events.PasskeyRemovedData{UserID: ann, PasskeyID: p3})
	add(events.PasskeyAdded, bob, events.PasskeyAddedData{UserID: bob, PasskeyID: p4, Name: "Key", CredentialID: "credC", Credential: `{}`})
	if err := core.Proj.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	if err := core.Cmds.Erase(ctx, bob, forumtest.Password("bob")); err != nil {
		t.Fatal(err)
	}

	got, err := core.DB.Passkeys(ctx, ann)
	if err != nil || len(got) != 1 || got[0].ID != p1 || got[0].Name != "Old laptop" || got[0].Credential != `{"n":2}` || got[0].LastUsedAt == "" {
		t.Fatalf("ann's passkeys: %+v, %v", got, err)
	}
	if p, err := core.DB.PasskeyByCredential(ctx, "credA"); err != nil || p.UserID != ann || p.ID != p1 {
		t.Errorf("credA belongs to %+v, %v; want ann's %s", p, err, p1)
	}
	for _, cred := range []string{"credB", "credC"} {
		if _, err := core.DB.PasskeyByCredential(ctx, cred); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", cred, err)
		}
	}
	if got, err := core.DB.Passkeys(ctx, bob); err != nil || len(got) != 0 {
		t.Errorf("erased bob's passkeys: %+v, %v", got, err)
	}

	head, err := core.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Proj.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	res, err := projections.Rebuild(ctx, core.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "rebuilt.db")})
	if err != nil {
		t.Fatal(err)
	}
	core.StopProjector()
	forumtest.CompareDumps(t, "live vs rebuilt", forumtest.Dump(t, res.Path), forumtest.Dump(t, core.DB.Path()))
}
