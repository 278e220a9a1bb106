package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// errUsage marks a command-line error; the flag set has already printed the problem and the usage.
var errUsage = errors.New("usage")

// The scenarios, as named by --scenario.
const (
	scenarioDM     = "dm"
	scenarioFanout = "fanout"
	scenarioIdle   = "idle"
	scenarioPosts  = "posts"
	scenarioFeed   = "feed"
	scenarioFlood  = "hashflood"
	scenarioUpload = "uploads"
)

// config is the parsed command line, with each scenario's defaults filled in.
type config struct {
	baseURL  string // the forum's base URL, without a trailing slash
	scenario string

	pairs    int     // dm: pairs of users
	clients  int     // fanout, idle: connections; posts: writers; feed: readers
	users    int     // fanout, idle: distinct users behind the connections
	messages int     // dm: messages in total
	posts    int     // fanout, posts: posts in total
	requests int     // feed: page requests in total
	depth    int     // feed: pages a reader follows through `next` before starting again
	limit    int     // feed: page size
	seed     int     // feed: posts to create before reading
	rate     float64 // sends (dm messages, posts, pages) per second in total; 0 = as fast as possible
	size     int     // minimum length of message and post bodies
	category string  // category slug for posts; empty = the first from /api/categories

	duration time.Duration // cap on the measured phase (sending, connecting)
	drain    time.Duration // wait for in-flight deliveries after the last send
	settle   time.Duration // idle: wait between the last connection and the second /metrics read
	timeout  time.Duration // per HTTP request, WebSocket handshake and hello

	signupConcurrency int // sign-ups (password hashing) in flight
	dialConcurrency   int // WebSocket handshakes in flight

	prefix   string // nickname prefix of the generated users
	password string
	json     bool
	raw      bool // fanout, feed, posts: measure the raw limit too
	signedIn bool // feed: readers signed in (their own votes merged into each page)
	readEach bool // feed: each page view also opens one of its posts (a read event)

	pid          int // uploads: the forum's process (0: the one listening on the URL's port)
	rounds       int // uploads: times every client uploads
	uploadSize   int // uploads: the size of the picture, in bytes at most
	uploadPixels int // uploads: when set, a picture of this many pixels that compresses well instead
	uploadDepth  int // uploads: the bits a channel of that picture (8 or 16)
}

// scenarioDefaults are the values a flag left at 0 takes, per scenario.
type scenarioDefaults struct {
	clients, count int
	rate           float64
}

// defaultsFor returns the defaults of the named scenario, and false for an unknown name.
func defaultsFor(scenario string) (scenarioDefaults, bool) {
	switch scenario {
	case scenarioDM:
		return scenarioDefaults{count: 2000, rate: 200}, true
	case scenarioFanout:
		return scenarioDefaults{clients: 100, count: 100, rate: 10}, true
	case scenarioIdle:
		return scenarioDefaults{clients: 1000}, true
	case scenarioPosts:
		return scenarioDefaults{clients: 32, count: 1000}, true
	case scenarioFeed:
		return scenarioDefaults{clients: 32, count: 2000}, true
	case scenarioFlood:
		return scenarioDefaults{clients: 150}, true
	case scenarioUpload:
		return scenarioDefaults{clients: 8}, true
	}
	return scenarioDefaults{}, false
}

// prefixPattern is what a nickname prefix may look like: the forum's nickname alphabet, starting with a
// letter or digit and without "..", so that "<nickname>@bench.example.com" is a valid email address too.
var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// parseConfig parses args into a config, printing problems and usage to stderr. It returns an error
// wrapping errUsage when the flags are wrong, and flag.ErrHelp for -h.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("forum-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: forum-bench --scenario dm|fanout|idle|posts|feed|hashflood|uploads [flags]\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.baseURL, "url", "http://127.0.0.1:8080", "forum base URL")
	fs.StringVar(&c.scenario, "scenario", scenarioDM, "scenario: dm, fanout, idle, posts, feed, hashflood or uploads")
	fs.IntVar(&c.pairs, "pairs", 100, "dm: pairs of users, one WebSocket each")
	fs.IntVar(&c.clients, "clients", 0, "connections (fanout 100, idle 1000), writers (posts 32), readers (feed 32) flooders (hashflood 150) or uploaders (uploads 8, each its own user); 0 = scenario default")
	fs.IntVar(&c.users, "users", 0, "fanout, idle: distinct users the connections share; 0 = min(clients, 100)")
	fs.IntVar(&c.messages, "messages", 0, "dm: messages in total; 0 = 2000")
	fs.IntVar(&c.posts, "posts", 0, "fanout, posts: posts in total; 0 = 100 (fanout), 1000 (posts)")
	fs.IntVar(&c.requests, "requests", 0, "feed: page requests in total; 0 = 2000")
	fs.IntVar(&c.depth, "depth", 5, "feed: pages a reader follows through next before starting over")
	fs.IntVar(&c.limit, "limit", 20, "feed: page size (1-100)")
	fs.IntVar(&c.seed, "seed", 0, "feed: posts to create before reading")
	fs.Float64Var(&c.rate, "rate", 0, "sends per second in total (dm messages, fanout/posts posts, feed pages), 0 = unpaced; if not given: dm 200, fanout 10, posts and feed unpaced")
	fs.IntVar(&c.size, "size", 0, "minimum length of message and post bodies, padded with 'x'")
	fs.StringVar(&c.category, "category", "", "category slug for new posts; empty = the first from /api/categories")
	fs.DurationVar(&c.duration, "duration", time.Minute, "cap on the measured phase (sending or connecting)")
	fs.DurationVar(&c.drain, "drain", 5*time.Second, "wait after the last send for deliveries still in flight")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "idle: wait before each /metrics read (after setup, and after all connections are open); past 2m the server has run a forced GC")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "timeout of each HTTP request, WebSocket handshake and hello")
	fs.IntVar(&c.signupConcurrency, "signup-concurrency", 8, "sign-ups and sign-ins in flight (they hash passwords)")
	fs.IntVar(&c.dialConcurrency, "dial-concurrency", 64, "WebSocket handshakes in flight")
	fs.StringVar(&c.prefix, "prefix", "", "nickname prefix of generated users (reused users are signed in); default random")
	fs.StringVar(&c.password, "password", "forum-bench-password", "password of generated users")
	fs.BoolVar(&c.json, "json", false, "print one JSON object instead of text")
	fs.BoolVar(&c.signedIn, "signed-in", false, "feed: each reader is a signed-in user who has voted on some posts, instead of anonymous")
	fs.BoolVar(&c.readEach, "read-each-view", false, "feed, with --signed-in: after each page the reader opens one of its posts (POST /api/posts/{id}/read), one read event per page view; the pages are read first without reads, then with them, and both p99s are reported")
	fs.IntVar(&c.pid, "pid", 0, "uploads: the forum's process id, whose /proc/PID/status is read; 0 = the process listening on --url's port on this machine")
	fs.IntVar(&c.rounds, "rounds", 3, "uploads: times every uploader sends its picture, all of them at once")
	fs.IntVar(&c.uploadSize, "upload-size", 10<<20-64<<10, "uploads: the bytes of the noisy PNG uploaded, at most (the forum takes 10 MiB)")
	fs.IntVar(&c.uploadDepth, "upload-depth", 8, "uploads: the bits a channel of the --upload-pixels PNG, 8 or 16 (16 decodes to 8 bytes a pixel)")
	fs.IntVar(&c.uploadPixels, "upload-pixels", 0, "uploads: upload a PNG of this many pixels that compresses well (e.g. 40000000, the most the forum decodes) instead of noise")
	fs.BoolVar(&c.raw, "raw", true, "fanout, feed, posts: also measure the raw limit in the same run (a bare gorilla/websocket broadcast; net/http hello world) and print the ratio")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err // main exits 0
		}
		return config{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	rateSet := false
	fs.Visit(func(f *flag.Flag) { rateSet = rateSet || f.Name == "rate" })
	if !rateSet {
		c.rate = -1 // complete picks the scenario's rate
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return config{}, fmt.Errorf("%w: unexpected arguments", errUsage)
	}
	if err := c.complete(); err != nil {
		fmt.Fprintf(stderr, "forum-bench: %v\n", err)
		fs.Usage()
		return config{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, nil
}

// complete fills in the scenario's defaults and checks every value; it returns the first problem found.
func (c *config) complete() error {
	d, ok := defaultsFor(c.scenario)
	if !ok {
		return fmt.Errorf("unknown --scenario %q (want dm, fanout, idle, posts, feed, hashflood or uploads)", c.scenario)
	}
	c.fillDefaults(d)
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port or https://host:port", c.baseURL)
	}
	c.baseURL = strings.TrimSuffix(u.String(), "/")
	return c.check()
}

// fillDefaults fills in what the flags left to the scenario: d's values,
// and the users each scenario needs.
func (c *config) fillDefaults(d scenarioDefaults) {
	if c.clients == 0 {
		c.clients = d.clients
	}
	switch c.scenario {
	case scenarioDM: // one connection per user, two users per pair
		c.clients, c.users = 2*c.pairs, 2*c.pairs
	case scenarioPosts, scenarioUpload: // each writer its own user
		c.users = c.clients
	case scenarioFeed: // readers are anonymous
		c.users = 0
	case scenarioFlood: // one honest user; the flood signs in as nobody
		c.users = 1
	default:
		if c.users == 0 {
			c.users = min(c.clients, 100)
		}
	}
	if c.rate == -1 {
		c.rate = d.rate
	}
	switch c.scenario {
	case scenarioDM:
		c.messages = orDefault(c.messages, d.count)
	case scenarioFanout, scenarioPosts:
		c.posts = orDefault(c.posts, d.count)
	case scenarioFeed:
		c.requests = orDefault(c.requests, d.count)
	}
	if c.prefix == "" {
		c.prefix = "fb" + randomHex(4) + "_"
	}
}

// check returns the first value out of its range, if any.
func (c *config) check() error {
	checks := []struct {
		ok   bool
		what string
	}{
		{c.pairs >= 1, "--pairs must be at least 1"},
		{c.clients >= 1, "--clients must be at least 1"},
		{c.scenario == scenarioFeed || c.users >= 1 && c.users <= c.clients, "--users must be between 1 and --clients"},
		{c.messages >= 0 && c.posts >= 0 && c.requests >= 0 && c.seed >= 0, "counts must not be negative"},
		{c.depth >= 1, "--depth must be at least 1"},
		{!c.readEach || c.signedIn, "--read-each-view needs --signed-in"},
		{c.rate >= 0, "--rate must not be negative"},
		{c.limit >= 1 && c.limit <= 100, "--limit must be between 1 and 100"},
		{c.size >= 0 && c.size <= 4000, "--size must be between 0 and 4000"},
		{c.duration > 0 && c.timeout > 0, "--duration and --timeout must be positive"},
		{c.drain >= 0 && c.settle >= 0, "--drain and --settle must not be negative"},
		{c.signupConcurrency >= 1 && c.dialConcurrency >= 1, "concurrency flags must be at least 1"},
		{c.rounds >= 1 && c.pid >= 0 && c.uploadPixels >= 0, "--rounds must be at least 1, --pid and --upload-pixels not negative"},
		{c.uploadDepth == 8 || c.uploadDepth == 16, "--upload-depth must be 8 or 16"},
		{c.uploadSize >= 1<<10 && c.uploadSize <= 10<<20, "--upload-size must be between 1 KiB and 10 MiB"},
		{len(c.password) >= 8, "--password needs at least 8 characters"},
		{prefixPattern.MatchString(c.prefix) && !strings.Contains(c.prefix, ".."),
			"--prefix must start with a letter or digit and use only A-Z a-z 0-9 _ . - (no \"..\")"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return errors.New(ch.what)
		}
	}
	shortest, longest := len(c.prefix)+1, len(c.prefix)+len(strconv.Itoa(c.userCount()-1))
	if shortest < 3 || longest > 24 {
		return fmt.Errorf("--prefix %q makes nicknames of %d-%d characters; the forum allows 3-24", c.prefix, shortest, longest)
	}
	return nil
}

// userCount is how many users the scenario signs up, numbered from 0.
func (c *config) userCount() int {
	switch c.scenario {
	case scenarioFanout:
		return c.users + 1 // the connections' users and the poster
	case scenarioFeed, scenarioFlood:
		return 1 // the author of the --seed posts; the honest user
	default:
		return c.users
	}
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
