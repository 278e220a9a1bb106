package events

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// The embedded NATS server: its logins, its start, and its restart after a
// full disk. OpenStore starts it unless the forum joins a cluster.

// The logins of the embedded server. Nobody connects without one.
const (
	// ForumUser is the forum's own login: full rights. Other instances that
	// share this server connect with it.
	ForumUser = "forum"
	// OperatorUser is the read-only login for people with the nats CLI.
	OperatorUser = "operator"
)

// InProcessConn connects to the embedded server, whichever is running now.
func (s *Store) InProcessConn() (net.Conn, error) { return s.server().InProcessConn() }

func (s *Store) server() *server.Server {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.srv
}

// keepStoring restarts the embedded server when its writes get no answer
// while the disk has room again: after a full disk the store refuses every
// write until it is opened afresh. It checks every two seconds, and
// restarts at most every 20.
func (s *Store) keepStoring() {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if !s.stuck.Load() || time.Since(last) < 20*time.Second || freeBytes(s.cfg.Dir) < minFreeBytes {
			continue
		}
		last = time.Now()
		s.logWarn("writes get no answer though the disk has room: restarting the embedded NATS server")
		s.srvMu.Lock()
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		srv, err := startServer(s.cfg)
		if err == nil {
			s.srv = srv
			s.stuck.Store(false)
		}
		s.srvMu.Unlock()
		if err != nil {
			s.logWarn("restart of the embedded NATS server failed", "err", err)
		}
	}
}

func (s *Store) logWarn(msg string, args ...any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Warn(msg, args...)
	}
}

// minFreeBytes is the disk space the embedded store needs before it is
// opened afresh after running out.
const minFreeBytes = 64 << 20

// ForumInboxPrefix starts the subjects on which the forum's own
// connection receives every answer (JetStream's included: data keys,
// kept answers, events). The operator may not subscribe to it.
const ForumInboxPrefix = "_FORUM_INBOX"

// OperatorInboxes is all the operator may subscribe to: its own inbox,
// the nats CLI's default, where the answers to its requests come.
const OperatorInboxes = "_INBOX.>"

// startServer starts an embedded server as cfg says, with the forum's
// login and the operator's, and waits up to 10 s until it takes
// connections.
func startServer(cfg StoreConfig) (*server.Server, error) {
	opts := &server.Options{
		ServerName:         "forum",
		JetStream:          true,
		StoreDir:           cfg.Dir,
		NoSigs:             true,
		NoLog:              true,
		MaxPayload:         2 << 20,
		JetStreamMaxMemory: 64 << 20, // the stream is on disk: memory storage is not used
		SyncAlways:         cfg.SyncAlways,
	}
	// The forum in the global account (its store stays where it was), the
	// operator in an account of its own.
	op := server.NewAccount(OperatorAccount)
	opts.Accounts = []*server.Account{op}
	opts.Users = []*server.User{{Username: ForumUser, Password: cfg.ForumPassword}}
	if cfg.OperatorPassword != "" {
		opts.Users = append(opts.Users, &server.User{Username: OperatorUser, Password: cfg.OperatorPassword, Permissions: OperatorPermissions(), Account: op})
	}
	if cfg.Listen == "" || cfg.Listen == "off" {
		opts.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("nats listen address %q: bad port", cfg.Listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, p
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("nats server did not start (is %s in use?)", cfg.Listen)
	}
	if err := shareLog(srv); err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("nats server: %w", err)
	}
	return srv, nil
}

// Embedded reports whether the store runs its own NATS server.
func (s *Store) Embedded() bool { return s.server() != nil }

// ClientAddr returns the embedded server's client address, or "" when it
// opened no client port or the store is external.
func (s *Store) ClientAddr() string {
	srv := s.server()
	if srv == nil {
		return ""
	}
	if a, ok := srv.Addr().(*net.TCPAddr); ok && a != nil {
		return a.String()
	}
	return ""
}
