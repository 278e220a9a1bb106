package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The operator lives in an account of its own, OperatorAccount, and reads
// there a stream named FORUM that mirrors the log. Nothing it does in its
// account reaches the forum's: the server answers every request inside
// the account it came from, so no reply subject or consumer delivery of
// the operator's can land on a subject of the forum's. The two accounts
// share only what the mirror needs, and only the server's own mirror
// uses it (the operator's login may not publish to it):
//
//   - the forum's account delivers the log, through its durable push
//     consumer MirrorConsumer, onto MirrorDeliverSubject, which the
//     operator's account imports;
//   - the mirror answers that consumer's flow control on
//     mirrorFlowControl, and asks it to start again on mirrorReset
//     (imported under MirrorAPIPrefix); both reach that one consumer.
//
// Whatever arrives there from the operator's account (a reply it named,
// a delivery of a consumer of its own) can at worst make that consumer
// resend or pause: the operator's own copy, never the log.
const (
	// OperatorAccount is the account of the operator login and the mirror.
	OperatorAccount = "OPERATOR"
	// MirrorConsumer is the durable consumer of the log that feeds the mirror.
	MirrorConsumer = "OPERATOR_MIRROR"
	// MirrorDeliverSubject is where MirrorConsumer delivers, in both accounts.
	MirrorDeliverSubject = "$FORUM.MIRROR"
	// MirrorAPIPrefix stands for $JS.API in the operator's account, for
	// the consumer's reset alone.
	MirrorAPIPrefix = "$FORUM.API"
	// OperatorAPIPrefix stands, in the forum's account, for $JS.API of
	// the operator's, for making and reading the mirror alone.
	OperatorAPIPrefix = "$FORUM.OPERATOR.API"
	// OperatorMaxConsumers bounds the consumers of the operator's account.
	OperatorMaxConsumers = 100
	// OperatorConsumerIdle is how long a consumer of the operator's lives
	// unused (the nats CLI's ordered consumers ask for as long).
	OperatorConsumerIdle = 5 * time.Minute
)

var (
	mirrorReset       = "$JS.API.CONSUMER.RESET." + StreamName + "." + MirrorConsumer
	mirrorFlowControl = "$JS.FC." + StreamName + "." + MirrorConsumer + ".*"
	// mirrorAdmin is what the forum's account may ask of the operator's.
	mirrorAdmin = []string{"$JS.API.STREAM.INFO." + StreamName, "$JS.API.STREAM.CREATE." + StreamName, "$JS.API.STREAM.UPDATE." + StreamName}
)

// OperatorLimits are the operator account's JetStream limits: no memory
// storage, one stream (the mirror), OperatorMaxConsumers consumers. Its
// disk is not capped: the mirror is the only stream it may hold and the
// login may create none, so it takes what the log takes; a cap below the
// log's size would only stop the copy.
func OperatorLimits() server.JetStreamAccountLimits {
	return server.JetStreamAccountLimits{MaxMemory: 0, MaxStore: -1, MaxStreams: 1, MaxConsumers: OperatorMaxConsumers}
}

// OperatorPermissions are what the operator login may do in its own
// account: read the mirror FORUM (its info, single messages, direct or
// not, the list of streams), make, list and remove consumers of its own,
// pull from, acknowledge and pace them, and subscribe to its own inbox.
// Every stream call that changes anything (create, update, delete, purge,
// message delete, snapshot, restore) is refused, and so is every publish
// to the subjects the mirror shares with the forum's account.
func OperatorPermissions() *server.Permissions {
	js := "$JS.API."
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				js + "INFO", js + "STREAM.NAMES", js + "STREAM.LIST",
				js + "STREAM.INFO." + StreamName, js + "STREAM.MSG.GET." + StreamName,
				js + "DIRECT.GET." + StreamName, js + "DIRECT.GET." + StreamName + ".>",
				js + "CONSUMER.>", "$JS.ACK." + StreamName + ".>", "$JS.FC." + StreamName + ".>",
			},
			Deny: []string{"$FORUM.>", mirrorFlowControl, mirrorReset},
		},
		Subscribe: &server.SubjectPermission{Allow: []string{OperatorInboxes}},
	}
}

// shareLog enables JetStream in both accounts of a started server and
// shares with the operator's account what the mirror needs, and nothing
// more. The forum's account keeps JetStream's defaults (no limits).
func shareLog(srv *server.Server) error {
	forum := srv.GlobalAccount()
	op, err := srv.LookupAccount(OperatorAccount) // the server's own, not the options' copy
	if err != nil {
		return fmt.Errorf("operator account: %w", err)
	}
	if err := forum.EnableJetStream(nil, nil); err != nil {
		return fmt.Errorf("jetstream for the forum: %w", err)
	}
	only := []*server.Account{op}
	steps := []func() error{
		func() error { return forum.AddStreamExport(MirrorDeliverSubject, only) },
		func() error { return forum.AddServiceExport(mirrorFlowControl, only) },
		func() error { return forum.AddServiceExport(mirrorReset, only) },
		func() error { return op.AddStreamImport(forum, MirrorDeliverSubject, "") },
		func() error { return op.AddServiceImport(forum, mirrorFlowControl, mirrorFlowControl) },
		func() error {
			return op.AddServiceImport(forum, MirrorAPIPrefix+strings.TrimPrefix(mirrorReset, "$JS.API"), mirrorReset)
		},
		func() error {
			return op.EnableJetStream(map[string]server.JetStreamAccountLimits{"": OperatorLimits()}, nil)
		},
	}
	for _, subj := range mirrorAdmin {
		steps = append(steps,
			func() error { return op.AddServiceExport(subj, []*server.Account{forum}) },
			func() error { return forum.AddServiceImport(op, operatorAPI(subj), subj) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("operator account: %w", err)
		}
	}
	return nil
}

// MirrorConsumerConfig is the forum's durable consumer that feeds the
// mirror: pushed onto MirrorDeliverSubject, paced and acknowledged by
// the mirror's flow control.
func MirrorConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        MirrorConsumer,
		Description:    "Feeds the operator's mirror of the log.",
		DeliverSubject: MirrorDeliverSubject,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckFlowControlPolicy,
		FlowControl:    true,
		IdleHeartbeat:  time.Second, // the only beat the server takes for this policy
		MaxAckPending:  10000,
	}
}

// MirrorConfig is the operator account's stream FORUM: a copy of the
// log, fed by MirrorConsumer.
func MirrorConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "A copy of the forum's log (forum.>), for the operator to read.",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		MaxMsgSize:  1 << 20,
		AllowDirect: true,
		DenyDelete:  true,
		DenyPurge:   true,
		// Every consumer of the operator's, durable or not, goes after
		// OperatorConsumerIdle without use: none outlives its reader.
		ConsumerLimits: jetstream.StreamConsumerLimits{InactiveThreshold: OperatorConsumerIdle},
		Mirror: &jetstream.StreamSource{
			Name:     StreamName,
			External: &jetstream.ExternalStream{APIPrefix: MirrorAPIPrefix},
			Consumer: &jetstream.StreamConsumerSource{Name: MirrorConsumer, DeliverSubject: MirrorDeliverSubject},
		},
	}
}

// operatorAPI is subj of the operator's $JS.API as the forum's account
// imports it.
func operatorAPI(subj string) string {
	return OperatorAPIPrefix + strings.TrimPrefix(subj, "$JS.API")
}

// ensureMirror makes, when the server has an operator's account that
// lends the forum's its API for the mirror (OperatorAPIPrefix), the
// consumer that feeds the mirror, then the mirror itself. A server
// without one (a cluster of one's own) gets neither.
func (s *Store) ensureMirror(ctx context.Context) error {
	op, err := jetstream.NewWithAPIPrefix(s.nc, OperatorAPIPrefix)
	if err != nil {
		return fmt.Errorf("ensure mirror: %w", err)
	}
	if _, err := op.Stream(ctx, StreamName); errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return nil
	}
	if _, err := s.js.CreateOrUpdatePushConsumer(ctx, StreamName, MirrorConsumerConfig()); err != nil {
		return fmt.Errorf("ensure mirror consumer: %w", err)
	}
	if _, err := op.CreateOrUpdateStream(ctx, MirrorConfig(s.replicas)); err != nil {
		return fmt.Errorf("ensure mirror: %w", err)
	}
	return nil
}
