package commands_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// lastOn returns the type of the last event on the claim subject key, or ""
// when there is none.
func lastOn(t *testing.T, e *forumtest.Core, key string) events.Type {
	t.Helper()
	ev, err := e.Store.Last(forumtest.Context(t), events.ClaimMade.Subject(key))
	if errors.Is(err, events.ErrNoEvent) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return ev.Type
}

// Claims hash their value with the forum's secret: nothing is written on
// the plain hash of a nickname or an email, before or after the account's
// erasure, so a guess cannot be confirmed against the log; the secret is
// one per forum (every instance reads the first one made) and is not in the
// log.
func TestClaimsHashedWithTheForumsSecret(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			s, err := e.Store.ClaimSecret(ctx)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		})
	}
	wg.Wait()
	secret := secrets[0]
	for _, s := range secrets {
		if len(s) != 32 || !bytes.Equal(s, secret) {
			t.Fatalf("claim secrets %x and %x, want one secret of 32 bytes", s, secret)
		}
	}

	id := e.Register("carol")
	values := map[string]string{events.ClaimNickname: "carol", events.ClaimEmail: "carol@example.com"}
	for kind, v := range values {
		if got := lastOn(t, e, events.ClaimKey(kind, v)); got != "" {
			t.Errorf("the plain hash of the %s finds %s", kind, got)
		}
		if got := lastOn(t, e, events.SecretClaimKey(secret, kind, v)); got != events.ClaimMade {
			t.Errorf("the %s's claim: %q, want %s", kind, got, events.ClaimMade)
		}
	}
	if err := e.Cmds.Erase(ctx, events.UserID(id), forumtest.Password("carol")); err != nil {
		t.Fatal(err)
	}
	for kind, v := range values {
		if got := lastOn(t, e, events.ClaimKey(kind, v)); got != "" {
			t.Errorf("after erasure, the plain hash of the %s finds %s", kind, got)
		}
		if got := lastOn(t, e, events.SecretClaimKey(secret, kind, v)); got != events.ClaimReleased {
			t.Errorf("after erasure, the %s's claim: %q, want %s", kind, got, events.ClaimReleased)
		}
	}
	last, err := e.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= last; seq++ {
		ev, err := e.Store.Get(ctx, seq)
		if err == nil && (bytes.Contains(ev.Data, []byte(hex.EncodeToString(secret))) || bytes.Contains(ev.Data, secret)) {
			t.Errorf("the secret is in the log at %d", seq)
		}
	}
	// The values are free again.
	e.Register("carol")
}

// legacyClaim appends a claim on the plain hash of value, as forums made
// before the secret did.
func legacyClaim(t *testing.T, e *forumtest.Core, kind, value, user string) {
	t.Helper()
	env, err := events.New(events.NewID(time.Now()), events.ClaimMade, time.Now(), user, events.ClaimData{Kind: kind, UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Append(forumtest.Context(t), events.ClaimMade.Subject(events.ClaimKey(kind, value)), env); err != nil {
		t.Fatal(err)
	}
}

// A value claimed before claims were hashed with the secret stays taken,
// and its holder's erasure frees it.
func TestLegacyClaimsStayUnique(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	// Claims with no account in the read models: only the log says taken.
	legacyClaim(t, e, events.ClaimNickname, "ghost", "01jq8r4m2v6e3k0tdw5x7y9zab")
	legacyClaim(t, e, events.ClaimEmail, "ghost@example.com", "01jq8r4m2v6e3k0tdw5x7y9zab")
	_, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "GHOST", Email: "g1@example.com", Password: "correct-horse-battery"})
	wantCode(t, "a nickname claimed the old way", err, fault.ETAKEN, "nickname")
	_, err = e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "ghost2", Email: "Ghost@Example.com", Password: "correct-horse-battery"})
	wantCode(t, "an email claimed the old way", err, fault.ETAKEN, "email")

	// An account whose claims were made the old way, erased.
	id := e.Register("olde")
	legacyClaim(t, e, events.ClaimNickname, "olde", id)
	legacyClaim(t, e, events.ClaimEmail, "olde@example.com", id)
	if err := e.Cmds.Erase(ctx, events.UserID(id), forumtest.Password("olde")); err != nil {
		t.Fatal(err)
	}
	for kind, v := range map[string]string{events.ClaimNickname: "olde", events.ClaimEmail: "olde@example.com"} {
		if got := lastOn(t, e, events.ClaimKey(kind, v)); got != events.ClaimReleased {
			t.Errorf("the old claim on the %s after erasure: %q, want released", kind, got)
		}
	}
	e.Register("olde")
	// Someone else's erasure releases nothing of another's old claim.
	other := e.Register("other")
	if err := e.Cmds.Erase(ctx, events.UserID(other), forumtest.Password("other")); err != nil {
		t.Fatal(err)
	}
	if got := lastOn(t, e, events.ClaimKey(events.ClaimNickname, "ghost")); got != events.ClaimMade {
		t.Errorf("the old claim on ghost: %q, want still made", got)
	}
}
