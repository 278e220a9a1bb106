package schemas_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden event examples of the current versions and the upcast results")

// Fixed ids of the examples.
const (
	userAda    = "01jq8r4m2v6e3k0tdw5x7y9zab"
	userGrace  = "01jq8r4m3a7f4m1vex6y8z0hcd"
	postID     = "01jq8r5b1c2d3e4f5g6h7j8k9m"
	commentID  = "01jq8r6n0p1q2r3s4t5v6w7x8y"
	commentID2 = "01jq8r6m9n0p1q2r3s4t5v6w7x"
	sessionID  = "01jq8r7z9y8x7w6v5t4s3r2q1p"
	messageID  = "01jq8r8a0b1c2d3e4f5g6h7j8k"
	uploadID   = "01jq8r9b2c3d4e5f6g7h8j9k0m"
)

var exampleTime = time.Date(2026, 2, 3, 14, 15, 16, 789000000, time.UTC)

// example is the current version of one event type: its Go payload type
// (decoded strictly, so the golden names every field) and an example value.
type example struct {
	actor string
	data  any
}

// examples are the source of the golden files of the current versions.
var examples = map[events.Type]example{
	events.CategoryCreated: {"", events.CategoryCreatedData{Slug: "help", Name: "Help & Questions", Position: 3}},
	events.ClaimMade:       {userAda, events.ClaimData{Kind: events.ClaimNickname, Key: "ada", UserID: userAda}},
	events.ClaimReleased:   {userAda, events.ClaimData{Kind: events.ClaimEmail, Key: "ada@example.com", UserID: userAda}},
	events.UserRegistered: {userAda, events.UserRegisteredData{
		UserID: userAda, Nickname: "Ada", Email: "ada@example.com",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2uwhW7zYPnXDnPUyEJi0nOvBqxQuTdGEcJVXBibq8Ys",
		FirstName:    "Ada", LastName: "Lovelace", Age: 36, Gender: "female",
	}},
	events.SessionStarted: {userAda, events.SessionStartedData{
		SessionID: sessionID, UserID: userAda, TokenHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		ExpiresAt: time.Date(2026, 3, 5, 14, 15, 16, 0, time.UTC), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
	}},
	events.SessionUsed:  {userAda, events.SessionUsedData{SessionID: sessionID, UserID: userAda}},
	events.SessionEnded: {userAda, events.SessionEndedData{SessionID: sessionID, UserID: userAda}},
	events.PostCreated: {userAda, events.PostCreatedData{
		PostID: postID, AuthorID: userAda, Title: "Notes on the <Analytical Engine>",
		Body: "It weaves algebraic patterns\njust as the Jacquard loom weaves flowers & leaves.", Categories: []string{"development", "showcase"},
	}},
	events.PostEdited: {userAda, events.PostEditedData{
		PostID: postID, Title: "Notes on the Analytical Engine", Body: "Now with a table of Bernoulli numbers.", Categories: []string{"development"},
	}},
	events.PostDeleted:    {userAda, events.PostDeletedData{PostID: postID}},
	events.PostPinned:     {userGrace, events.PostPinnedData{PostID: events.PostID(postID), Scope: events.PinGlobal}},
	events.PostUnpinned:   {userGrace, events.PostUnpinnedData{PostID: events.PostID(postID)}},
	events.PostRead:       {userGrace, events.PostReadData{PostID: events.PostID(postID), UserID: events.UserID(userGrace), CommentID: events.CommentID(commentID), UpToSeq: 7}},
	events.PostLocked:     {userGrace, events.PostLockData{PostID: events.PostID(postID)}},
	events.PostUnlocked:   {userGrace, events.PostLockData{PostID: events.PostID(postID)}},
	events.PostVoted:      {userGrace, events.VotedData{TargetID: postID, UserID: userGrace, Value: 1}},
	events.CommentCreated: {userGrace, events.CommentCreatedData{CommentID: commentID, PostID: postID, AuthorID: userGrace, Body: "Lovely. Does it handle loops?", ReplyTo: commentID2}},
	events.CommentEdited:  {userGrace, events.CommentEditedData{CommentID: commentID, PostID: postID, Body: "Lovely. Does it handle loops? (It does.)"}},
	events.CommentDeleted: {userGrace, events.CommentDeletedData{CommentID: commentID, PostID: postID}},
	events.CommentVoted:   {userAda, events.VotedData{TargetID: commentID, UserID: userAda, Value: -1}},
	events.DMSent:         {userGrace, events.DMSentData{MessageID: messageID, From: userGrace, To: userAda, Body: "Coffee at 4?", ClientID: "c-42"}},
	events.DMRead:         {userAda, events.DMReadData{UserID: userAda, PeerID: userGrace, UpTo: messageID, UpToSeq: 1234}},
	events.RoomCreated:    {"", events.RoomCreatedData{Room: "general"}},
	events.RoomMessageSent: {userAda, events.RoomMessageData{
		MessageID: messageID, Room: "general", From: userAda, Body: "Good morning, everyone!", ClientID: "c-7",
	}},
	events.RoomJoined:        {userAda, events.RoomMembershipData{Room: "general", UserID: userAda}},
	events.RoomLeft:          {userAda, events.RoomMembershipData{Room: "general", UserID: userAda}},
	events.RoomRead:          {userAda, events.RoomReadData{Room: "general", UserID: userAda, UpToSeq: 1234}},
	events.NotificationsRead: {userAda, events.NotificationsReadData{UserID: userAda, UpToSeq: 1234}},
	events.UserRoleSet:       {userAda, events.UserRoleSetData{UserID: userGrace, Role: "moderator"}},
	events.UserSuspended:     {userAda, events.UserSuspendedData{UserID: userGrace, Until: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Reason: "spam"}},
	events.UserUnsuspended:   {userAda, events.UserModData{UserID: userGrace, Reason: "appeal granted"}},
	events.UserPurged:        {userAda, events.UserPurgedData{UserID: userGrace, Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Reason: "spam"}},
	events.UserBlocked:       {userAda, events.BlockData{UserID: userAda, BlockedID: userGrace}},
	events.UserUnblocked:     {userAda, events.BlockData{UserID: userAda, BlockedID: userGrace}},
	events.UserErased:        {userAda, events.UserModData{UserID: userAda}},
	events.FlagRaised: {userAda, events.FlagRaisedData{FlagID: "01jq8r9k0zqrbcnhzcrrjk3kt1", Target: events.Target{Kind: "post", ID: postID},
		TargetSeq: 1234, UserID: userAda, Reason: "spam"}},
	events.FlagResolved:    {userAda, events.FlagResolvedData{FlagID: "01jq8r9k0zqrbcnhzcrrjk3kt1", Target: events.Target{Kind: "post", ID: postID}, Action: "hide"}},
	events.ContentHidden:   {userAda, events.ContentModData{Target: events.Target{Kind: "post", ID: postID}, Reason: "spam"}},
	events.ContentRestored: {userAda, events.ContentModData{Target: events.Target{Kind: "post", ID: postID}, Reason: "a mistake"}},
	events.ReactionAdded:   {userGrace, events.ReactionData{Target: events.Target{Kind: "post", ID: postID}, UserID: userGrace, Name: "tada"}},
	events.ReactionRemoved: {userGrace, events.ReactionData{Target: events.Target{Kind: "message", ID: messageID}, UserID: userGrace, Name: "+1"}},
	events.BookmarkAdded:   {userGrace, events.BookmarkData{UserID: userGrace, PostID: postID}},
	events.BookmarkRemoved: {userGrace, events.BookmarkData{UserID: userGrace, PostID: postID}},
	events.WatchSet:        {userGrace, events.WatchSetData{UserID: userGrace, Category: "development", Level: events.WatchWatching}},
	events.UploadCreated: {userAda, events.UploadCreatedData{UploadID: uploadID, OwnerID: userAda, ContentType: "image/png", Size: 48213, Width: 1200, Height: 800,
		ThumbType: "image/png", ThumbSize: 9120, ThumbWidth: 400, ThumbHeight: 267, Hash: "5d41402abc4b2a76b9719d911017c592a1ee6a4bd8c34bd3e5d0b6e4f7b4a3c2"}},
	events.UploadDeleted: {"", events.UploadDeletedData{UploadID: uploadID, OwnerID: userAda, Reason: events.UploadUnused}},
	events.AvatarSet:     {userAda, events.AvatarSetData{UserID: userAda, UploadID: uploadID}},
	events.PasskeyAdded: {userAda, events.PasskeyAddedData{UserID: userAda, PasskeyID: passkeyID, Name: "Laptop",
		CredentialID: "q2q3ptPv8kGkZ0UxBq5t8w", Credential: `{"id":"q2q3ptPv8kGkZ0UxBq5t8w==","publicKey":"pQECAyYgASFYIA==","attestationType":"none","flags":{"userPresent":true,"userVerified":true,"backupEligible":false,"backupState":false},"authenticator":{"AAGUID":"AAAAAAAAAAAAAAAAAAAAAA==","signCount":1}}`}},
	events.PasskeyRenamed: {userAda, events.PasskeyRenamedData{UserID: userAda, PasskeyID: passkeyID, Name: "Phone"}},
	events.PasskeyUsed: {userAda, events.PasskeyUsedData{UserID: userAda, PasskeyID: passkeyID,
		Credential: `{"id":"q2q3ptPv8kGkZ0UxBq5t8w==","publicKey":"pQECAyYgASFYIA==","attestationType":"none","flags":{"userPresent":true,"userVerified":true,"backupEligible":false,"backupState":false},"authenticator":{"AAGUID":"AAAAAAAAAAAAAAAAAAAAAA==","signCount":2}}`}},
	events.PasskeyRemoved: {userAda, events.PasskeyRemovedData{UserID: userAda, PasskeyID: passkeyID}},
	events.TOTPStarted:    {userAda, events.TOTPStartedData{UserID: userAda, Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}},
	events.TOTPEnabled: {userAda, events.TOTPEnabledData{UserID: userAda, Step: 59382710, RecoveryHashes: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 " +
		"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}},
	events.TOTPUsed:     {userAda, events.TOTPUsedData{UserID: userAda, RecoveryCode: 3}},
	events.TOTPDisabled: {userAda, events.TOTPDisabledData{UserID: userAda}},
	events.PasswordChanged: {userAda, events.PasswordChangedData{UserID: userAda,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2uwhW7zYPnXDnPUyEJi0nOvBqxQuTdGEcJVXBibq8Ys", KeepSessionID: sessionID}},
	events.ProfileUpdated: {userAda, events.ProfileUpdatedData{UserID: userAda,
		Changed: []events.ProfileField{events.ProfileAge, events.ProfileBio, events.ProfileGender}, Age: "36", Bio: "Poetical scientist.\nNotes on the Analytical Engine."}},
	events.PreferencesSet: {userAda, events.PreferencesSetData{UserID: userAda, EmailNotifications: events.EmailDaily}},
	events.VerificationRequested: {userAda, events.VerificationRequestedData{
		UserID: userAda, Email: "ada@example.com", Token: "p8Vw2Jc0pX4kQ9mZr7TnLg", TokenHash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		ExpiresAt: time.Date(2026, 2, 10, 14, 15, 16, 789000000, time.UTC), Change: true,
	}},
	events.EmailVerified: {userAda, events.EmailVerifiedData{UserID: userAda, Email: "ada@example.com", TokenHash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"}},
	events.ResetRequested: {userAda, events.ResetRequestedData{
		UserID: userAda, Email: "ada@example.com", Token: "Xq3bT7yK1mN5vR9cW2eHsA", TokenHash: "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
		ExpiresAt: time.Date(2026, 2, 3, 15, 15, 16, 789000000, time.UTC),
	}},
	events.PasswordReset: {userAda, events.PasswordResetData{
		UserID: userAda, TokenHash: "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2uwhW7zYPnXDnPUyEJi0nOvBqxQuTdGEcJVXBibq8Ys",
	}},
	events.MailSent: {"", events.MailSentData{UserID: userAda, Kind: events.MailVerify, CauseID: postID, CauseSeq: 42, MessageID: "<01jq8r5b1c2d3e4f5g6h7j8k9m.verify@forum.example>"}},
}

// passkeyID is the passkey of the passkey examples.
const passkeyID = "01jq8rb0p4s5k6e7y8z9a0b1c2"

// exampleID returns a fixed id of the shape events.NewID makes, one per type.
func exampleID(typ events.Type) string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	sum := sha256.Sum256([]byte(typ))
	id := []byte("01jq8r9")
	for _, b := range sum[:26-len(id)] {
		id = append(id, alphabet[b%32])
	}
	return string(id)
}

// goldenFS is where the tests read the goldens: the files on disk, so a run
// with -update checks what it just wrote (TestEmbedded checks the embedding).
var goldenFS = os.DirFS(".")

var goldenName = regexp.MustCompile(`^events/([a-z]+(?:\.[a-z]+)+)\.v([1-9][0-9]*)\.json$`)

// goldens returns every golden file: name → (type, version).
func goldens(t *testing.T) map[string]struct {
	typ     events.Type
	version int
} {
	t.Helper()
	names, err := fs.Glob(goldenFS, "events/*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]struct {
		typ     events.Type
		version int
	}{}
	for _, n := range names {
		m := goldenName.FindStringSubmatch(n)
		if m == nil {
			t.Errorf("%s: golden files are named <type>.v<N>.json", n)
			continue
		}
		v, _ := strconv.Atoi(m[2])
		out[n] = struct {
			typ     events.Type
			version int
		}{events.Type(m[1]), v}
	}
	return out
}

// encode is how the store writes an envelope: compact JSON, HTML not escaped.
func encode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes() // one line, ending in a newline
}

// strictPayload decodes data into a fresh value of t's registered payload
// type, refusing fields the type does not have, and encodes it again.
func strictPayload(t *testing.T, typ events.Type, data json.RawMessage) []byte {
	t.Helper()
	spec, ok := events.Lookup(typ)
	if !ok {
		t.Fatalf("%s is not a registered event type", typ)
	}
	v := spec.NewPayload()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s payload %s: %v", typ, data, err)
	}
	return bytes.TrimSuffix(encode(t, v), []byte("\n"))
}

func TestUpdateGoldens(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the golden files")
	}
	for _, typ := range events.Types() {
		ex, ok := examples[typ]
		if !ok {
			t.Fatalf("no example of %s", typ)
		}
		env, err := events.New(exampleID(typ), typ, exampleTime, ex.actor, ex.data)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("events/%s.v%d.json", typ, events.CurrentVersion(typ))
		if err := os.WriteFile(name, encode(t, env), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, g := range goldens(t) {
		if g.version == events.CurrentVersion(g.typ) {
			continue
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		env, err := events.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		up := filepath.Join("testdata", "upcast", filepath.Base(name))
		if err := os.MkdirAll(filepath.Dir(up), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(up, encode(t, env), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEveryEventTypeHasGolden fails when an event type or version has no
// golden example, or a golden names no known type or version.
func TestEveryEventTypeHasGolden(t *testing.T) {
	have := map[string]bool{}
	for name := range goldens(t) {
		have[name] = true
	}
	known := map[events.Type]bool{}
	for _, typ := range events.Types() {
		known[typ] = true
		ex, ok := examples[typ]
		if !ok {
			t.Errorf("%s has no example in this test", typ)
		} else if spec, _ := events.Lookup(typ); reflect.TypeOf(ex.data) != spec.Payload {
			t.Errorf("the example of %s is a %T, but its registered payload is %v", typ, ex.data, spec.Payload)
		}
		for v := 1; v <= events.CurrentVersion(typ); v++ {
			name := fmt.Sprintf("events/%s.v%d.json", typ, v)
			if !have[name] {
				t.Errorf("no golden schemas/%s for %s version %d (run go test ./schemas -update for the current version)", name, typ, v)
			}
		}
	}
	for name, g := range goldens(t) {
		if !known[g.typ] {
			t.Errorf("%s: no event type %q in the registry (events/registry.go)", name, g.typ)
		}
		if g.version > events.CurrentVersion(g.typ) {
			t.Errorf("%s: version %d is newer than the current %d", name, g.version, events.CurrentVersion(g.typ))
		}
	}
	for typ := range examples {
		if !known[typ] {
			t.Errorf("example of %q, which is not an event type", typ)
		}
	}
}

// TestGoldenRoundTrip decodes every golden through the codec (upcasting old
// versions), encodes it again and compares: a current version must come back
// byte for byte, an old one as its recorded upcast in testdata/upcast.
func TestGoldenRoundTrip(t *testing.T) {
	for name, g := range goldens(t) {
		t.Run(strings.TrimPrefix(name, "events/"), func(t *testing.T) {
			raw, err := fs.ReadFile(goldenFS, name)
			if err != nil {
				t.Fatal(err)
			}
			env, err := events.Decode(raw)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			current := events.CurrentVersion(g.typ)
			if env.Type != g.typ || env.Version != current {
				t.Fatalf("decoded %s v%d, want %s v%d", env.Type, env.Version, g.typ, current)
			}
			// The payload has exactly the fields of today's Go type.
			if got, want := strictPayload(t, env.Type, env.Data), []byte(env.Data); !bytes.Equal(got, want) {
				t.Errorf("payload through its Go type:\n got %s\nwant %s", got, want)
			}
			if env.ID == "" || env.Time.IsZero() {
				t.Errorf("golden lacks an id or a time: %s", raw)
			}
			got := encode(t, env)
			want := raw
			if g.version != current {
				up := filepath.Join("testdata", "upcast", filepath.Base(name))
				if want, err = os.ReadFile(up); err != nil {
					t.Fatalf("no recorded upcast of %s (run with -update): %v", name, err)
				}
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round trip:\n got %s\nwant %s", got, want)
			}
			if g.version == current {
				ex := examples[g.typ]
				exData := bytes.TrimSuffix(encode(t, ex.data), []byte("\n"))
				if !bytes.Equal(exData, env.Data) {
					t.Errorf("golden data differs from the example in this test (run with -update):\n golden  %s\n example %s", env.Data, exData)
				}
			}
		})
	}
}

// TestEmbedded checks that the binary embeds exactly the goldens on disk.
func TestEmbedded(t *testing.T) {
	if *update {
		t.Skip("the embedded files are those of before -update")
	}
	for name := range goldens(t) {
		disk, err := fs.ReadFile(goldenFS, name)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := fs.ReadFile(schemas.Events, name)
		if err != nil || !bytes.Equal(disk, embedded) {
			t.Errorf("%s: embedded copy differs from the file (%v)", name, err)
		}
	}
	names, _ := fs.Glob(schemas.Events, "events/*")
	if got, want := len(names), len(goldens(t)); got != want {
		t.Errorf("%d embedded goldens, %d on disk", got, want)
	}
}
