package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"forum/commands"
	"forum/events"
	"forum/gateway"
	"forum/projections"
)

// serveFlags are the flags of forum serve.
type serveFlags struct {
	store                         storeFlags
	httpAddr, natsListen          string
	demo, rateLimits              bool
	adminList, origins, publicURL string
	proxies, logLevel, pprofAddr  string
	mail                          mailFlags
}

// parse reads args, with the environment's values as defaults.
func (f *serveFlags) parse(args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("forum serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.store.register(fs, getenv)
	fs.StringVar(&f.httpAddr, "http", envDefault(getenv, "FORUM_HTTP", "127.0.0.1:8080"), "HTTP address to listen on (env FORUM_HTTP)")
	fs.StringVar(&f.natsListen, "nats-listen", envDefault(getenv, "FORUM_NATS_LISTEN", "127.0.0.1:4222"), "client address of the embedded NATS server, off for none (env FORUM_NATS_LISTEN)")
	fs.BoolVar(&f.demo, "demo", boolFlag(getenv, "FORUM_DEMO", true), "seed demo users, posts and messages into an empty stream (env FORUM_DEMO)")
	fs.StringVar(&f.adminList, "admins", getenv("FORUM_ADMINS"), "comma-separated nicknames of the admins (with --demo, ada is one) (env FORUM_ADMINS)")
	f.rateLimits = boolFlag(getenv, "FORUM_RATE_LIMITS", true)
	fs.Var(onOff{&f.rateLimits}, "rate-limits", "on or off: off lifts every rate limit but the throttling of failed sign-ins (env FORUM_RATE_LIMITS)")
	fs.StringVar(&f.origins, "allowed-origins", getenv("FORUM_ALLOWED_ORIGINS"), "comma-separated extra origins allowed for browsers and WebSockets (env FORUM_ALLOWED_ORIGINS)")
	fs.StringVar(&f.publicURL, "public-url", getenv("FORUM_PUBLIC_URL"), "the address users reach the forum at, e.g. https://forum.example (env FORUM_PUBLIC_URL)")
	fs.StringVar(&f.proxies, "trusted-proxies", getenv("FORUM_TRUSTED_PROXIES"), "comma-separated CIDRs of proxies whose X-Forwarded-For and -Proto are believed (env FORUM_TRUSTED_PROXIES)")
	fs.StringVar(&f.logLevel, "log-level", envDefault(getenv, "FORUM_LOG_LEVEL", "info"), "debug, info, warn or error (env FORUM_LOG_LEVEL)")
	f.mail.register(fs, getenv)
	fs.StringVar(&f.pprofAddr, "pprof", getenv("FORUM_PPROF"), "loopback address to serve Go's profiles on (/debug/pprof/), e.g. 127.0.0.1:6060; empty for none (env FORUM_PPROF)")
	return fs.Parse(args)
}

// reach is how the forum is reached, as the flags say.
type reach struct {
	public  *url.URL // nil when not given
	trusted []netip.Prefix
	local   bool // reachable from this machine only
}

// reach reads --public-url and --trusted-proxies, and refuses the demo
// accounts on a forum other machines reach: they share one published
// password.
func (f *serveFlags) reach() (reach, error) {
	var r reach
	var err error
	if f.publicURL != "" {
		if r.public, err = gateway.ParsePublicURL(f.publicURL); err != nil {
			return r, err
		}
	}
	if r.trusted, err = gateway.ParseTrustedProxies(f.proxies); err != nil {
		return r, err
	}
	r.local = isLoopback(f.httpAddr) && (r.public == nil || isLoopback(r.public.Host) || isLoopback(r.public.Host+":0"))
	if f.demo && !r.local {
		return r, fmt.Errorf("the forum is reachable from other machines (--http %s, --public-url %q), and the demo accounts all share the password %q: start with --demo=false", f.httpAddr, f.publicURL, commands.DemoPassword)
	}
	return r, nil
}

// admins returns the nicknames of the admins: --admins, and ada with --demo.
func (f *serveFlags) admins() []string {
	admins := splitList(f.adminList)
	if f.demo {
		admins = append(admins, "ada")
	}
	return admins
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f serveFlags
	if err := f.parse(args, getenv, stderr); err != nil {
		return err
	}
	logger, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	if f.pprofAddr != "" {
		stop, err := servePprof(f.pprofAddr, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	r, err := f.reach()
	if err != nil {
		return err
	}
	sender, err := f.mail.sender(f.store.data, r.public, logger)
	if err != nil {
		return err
	}
	// Listen first, so a busy port fails at once.
	ln, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	store, closeStore, err := f.store.open(ctx, f.natsListen, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	rm, err := startReadModels(ctx, store, f.store.dbPath(), logger)
	if err != nil {
		return err
	}
	defer rm.stop()
	cmds, err := startCommands(ctx, &f, r.local, store, rm, logger)
	if err != nil {
		return err
	}
	defer flushReads(cmds)
	// Uploads nothing shows within a day go, whichever instance sweeps them.
	rm.wg.Go(func() { cmds.SweepUploadsEvery(ctx, 10*time.Minute) })
	base, err := linkBase(r.public, ln.Addr())
	if err != nil {
		return err
	}
	mails, stopMail := startMail(ctx, sender, f.store.data, base, mailHost(r.public), store, rm, logger)
	defer stopMail()
	gw := newGateway(ctx, gateway.Config{
		Commands: cmds, DB: rm.db, Projector: rm.proj, Store: store, Logger: logger,
		RateLimits: f.rateLimits, AllowedOrigins: splitList(f.origins), PublicURL: r.public, TrustedProxies: r.trusted,
		Collectors: mails.Collectors(),
	})
	logger.Info("forum started", "http", ln.Addr().String(), "nats", natsAddr(store, f.store.natsURL), "data", f.store.data, "url", "http://"+ln.Addr().String())
	return serveHTTP(ctx, ln, gw, &rm.wg, logger)
}

// readModels are the read models the forum serves from, and the projector
// that keeps them up to date.
type readModels struct {
	db   *projections.DB
	proj *projections.Projector
	keys *events.Keyring
	wg   sync.WaitGroup // the projector's goroutine, and the hub's
	stop func()         // stops the projector, waits for wg and closes db
}

// startReadModels opens the read models at path (rebuilt when they belong
// to another schema or stream) and starts their projector on store; the
// admin endpoint rebuilds them online.
func startReadModels(ctx context.Context, store *events.Store, path string, logger *slog.Logger) (*readModels, error) {
	db, err := projections.OpenFor(ctx, path, store, logger)
	if err != nil {
		return nil, err
	}
	rm := &readModels{db: db}
	if rm.proj, err = projections.NewProjector(db, logger); err == nil {
		rm.keys, err = store.Keys(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	rm.proj.SetKeys(rm.keys)
	projCtx, stopProjector := context.WithCancel(context.WithoutCancel(ctx))
	rm.wg.Go(func() { rm.proj.Run(projCtx, store) })
	stopAdmin, err := serveAdmin(projCtx, filepath.Dir(path), func(ctx context.Context) (projections.RebuildResult, error) {
		return rm.proj.RebuildOnline(ctx, store, logger)
	}, logger)
	if err != nil {
		logger.Warn("no admin endpoint: forum rebuild --online cannot reach this forum", "err", err)
		stopAdmin = func() {}
	}
	rm.stop = func() { stopAdmin(); stopProjector(); rm.wg.Wait(); db.Close() }
	return rm, nil
}

// startCommands makes the command handlers, seeds an empty stream and makes
// the admins.
func startCommands(ctx context.Context, f *serveFlags, local bool, store *events.Store, rm *readModels, logger *slog.Logger) (*commands.Service, error) {
	admins := f.admins()
	cc := commands.Config{Store: store, DB: rm.db, Projector: rm.proj, Logger: logger, DemoSignIn: local, Admins: admins, Keys: rm.keys}
	if f.rateLimits {
		cc.NewRooms = commands.NewRoomsLimit()
	}
	cmds := commands.New(cc)
	seeded, err := cmds.Seed(ctx, f.demo)
	if err != nil {
		return nil, err
	}
	if err := cmds.EnsureAdmins(ctx, admins); err != nil {
		return nil, fmt.Errorf("make the admins (--admins): %w", err)
	}
	if seeded {
		logger.Info("seeded an empty stream", "categories", len(commands.DefaultCategories), "demo", f.demo)
		if f.demo {
			logger.Info("demo users", "nicknames", strings.Join(commands.DemoUsers, ","), "password", commands.DemoPassword)
		}
	}
	return cmds, nil
}

// flushReads writes the read positions held back, once HTTP is shut
// down and before the read models and the store close.
func flushReads(cmds *commands.Service) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmds.FlushReads(ctx)
}

// natsAddr says where NATS is, for the log.
func natsAddr(store *events.Store, natsURL string) string {
	if a := store.ClientAddr(); a != "" {
		return a
	}
	if !store.Embedded() {
		return natsURL
	}
	return "off"
}

// serveHTTP runs gw's hub (in wg) and serves HTTP on ln until ctx ends,
// then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, gw *gateway.Server, wg *sync.WaitGroup, logger *slog.Logger) error {
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	wg.Go(func() { gw.Run(hubCtx) })
	srv := gateway.NewHTTPServer(gw, gateway.DefaultTimeouts, logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stopHub()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	return nil
}

// isLoopback reports whether the listen address addr is reachable from this
// machine only: a loopback IP or localhost (an empty host is every interface).
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
