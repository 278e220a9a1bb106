package hub

import "testing"

// Every live.> subject the bus builds reads back as itself, and nothing
// else under live.> does.
func TestLiveSubjectRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []liveSubject{
		userPresenceSubject("u1"),
		roomPresenceSubject("help"),
		roomTypingSubject("help"),
		userTypingSubject("u2"),
		instanceSubject("i1", verbHeartbeat),
		instanceSubject("i1", verbState),
		instanceSubject("i1", verbSync),
		instanceSubject("i1", verbBye),
		syncSubject(),
		sessionEndedSubject("s1"),
	} {
		got, ok := parseLiveSubject(s.String())
		if !ok || got != s {
			t.Errorf("parse(%q) = %+v, %v; want %+v", s.String(), got, ok, s)
		}
	}
	for _, bad := range []string{"live", "live.presence", "live.room.help", "live.room.help.other",
		"live.session.s1", "live.session.s1.begun", "live.sync.x", "live.typing.a.b", "other.presence.u1"} {
		if got, ok := parseLiveSubject(bad); ok {
			t.Errorf("parse(%q) = %+v, want none", bad, got)
		}
	}
}
