package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// bench runs one scenario against one forum. It holds what every scenario shares: the configuration,
// the HTTP client, the WebSocket dialer and the progress log.
type bench struct {
	cfg    config
	api    *apiClient
	dialer *websocket.Dialer
	wsURL  string
	log    *slog.Logger
	runID  string // this run's marker in message bodies and post titles, unique per run
}

// result is a scenario's report: it encodes as the --json object and prints itself as text.
type result interface {
	writeText(w io.Writer)
}

// common holds the report fields every scenario has.
type common struct {
	Scenario    string           `json:"scenario"`
	URL         string           `json:"url"`
	Users       int              `json:"users"`
	SetupMS     float64          `json:"setup_ms"` // signing up and in the users
	ElapsedMS   float64          `json:"elapsed_ms"`
	Interrupted bool             `json:"interrupted,omitempty"` // ended early by Ctrl-C
	Errors      map[string]int64 `json:"errors,omitempty"`
	FirstError  string           `json:"first_error,omitempty"`
}

// writeFooter prints the setup line and, if any, the error lines.
func (c *common) writeFooter(w io.Writer) {
	fmt.Fprintf(w, "setup: users=%d took=%.2fs url=%s\n", c.Users, c.SetupMS/1000, c.URL)
	if len(c.Errors) > 0 {
		kinds := make([]string, 0, len(c.Errors))
		for k, v := range c.Errors {
			kinds = append(kinds, k+"="+strconv.FormatInt(v, 10))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "errors: %s\n", strings.Join(kinds, " "))
		fmt.Fprintf(w, "first error: %s\n", c.FirstError)
	}
	if c.Interrupted {
		fmt.Fprintln(w, "interrupted: the numbers cover the run until Ctrl-C")
	}
}

// setErrors copies a tally into the report.
func (c *common) setErrors(t *tally) { c.Errors, c.FirstError = t.snapshot() }

// newBench prepares a bench for cfg, logging progress to stderr. It fails only on a URL it cannot use.
func newBench(cfg config, stderr io.Writer) (*bench, error) {
	wsURL, err := webSocketURL(cfg.baseURL)
	if err != nil {
		return nil, err
	}
	idle := max(cfg.clients, cfg.signupConcurrency, 64)
	return &bench{
		cfg:    cfg,
		api:    newAPIClient(cfg.baseURL, cfg.timeout, idle),
		dialer: newDialer(cfg.timeout),
		wsURL:  wsURL,
		log:    slog.New(slog.NewTextHandler(stderr, nil)),
		runID:  randomHex(4),
	}, nil
}

// run checks that the forum answers, then runs the configured scenario. It returns an error if the forum
// is unreachable or the scenario's setup fails; failures during the measurement are counted instead.
func (b *bench) run(ctx context.Context) (result, error) {
	if limit, err := raiseFileLimit(); err != nil {
		b.log.Warn("could not raise the open-file limit", "err", err)
	} else if need := b.cfg.clients + 64; limit > 0 && uint64(need) > limit {
		b.log.Warn("open-file limit is below the connections wanted", "limit", limit, "want", need)
	}
	if err := b.api.health(ctx); err != nil {
		return nil, fmt.Errorf("forum not reachable at %s: %w", b.cfg.baseURL, err)
	}
	b.log.Info("start", "scenario", b.cfg.scenario, "url", b.cfg.baseURL, "prefix", b.cfg.prefix, "run", b.runID)
	switch b.cfg.scenario {
	case scenarioDM:
		return asResult(b.runDM(ctx))
	case scenarioFanout:
		return asResult(b.runFanout(ctx))
	case scenarioIdle:
		return asResult(b.runIdle(ctx))
	case scenarioPosts:
		return asResult(b.runPosts(ctx))
	case scenarioFeed:
		return asResult(b.runFeed(ctx))
	case scenarioFlood:
		return asResult(b.runHashflood(ctx))
	case scenarioUpload:
		return asResult(b.runUploads(ctx))
	}
	return nil, fmt.Errorf("unknown scenario %q", b.cfg.scenario)
}

// asResult returns r as a result, or a nil result (not a typed nil) with err.
func asResult[R result](r R, err error) (result, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// newCommon starts a report for the configured scenario.
func (b *bench) newCommon(users int, setup time.Duration) common {
	return common{Scenario: b.cfg.scenario, URL: b.cfg.baseURL, Users: users, SetupMS: ms(setup)}
}

// benchUser is a generated user with its bearer token.
type benchUser struct {
	ID       string
	Nickname string
	Token    string
}

// setupUsers signs up n users named <prefix>0 … <prefix>{n-1}, at most --signup-concurrency at a time,
// and signs each in for a token; users that already exist (a reused --prefix) are only signed in. It
// returns them in order and how long that took, or the first failure.
func (b *bench) setupUsers(ctx context.Context, n int) ([]benchUser, time.Duration, error) {
	start := time.Now()
	b.log.Info("setup: creating users", "users", n, "concurrency", b.cfg.signupConcurrency)
	users := make([]benchUser, n)
	every := max(n/10, 50) // progress lines: about ten, and none for small runs
	var done atomic.Int64
	err := forEach(ctx, n, b.cfg.signupConcurrency, func(ctx context.Context, i int) error {
		u, err := b.signUpOrIn(ctx, b.cfg.prefix+strconv.Itoa(i))
		if err != nil {
			return err
		}
		users[i] = u
		if d := done.Add(1); d%int64(every) == 0 {
			b.log.Info("setup: users ready", "done", d, "of", n, "elapsed", time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	took := time.Since(start)
	if err != nil {
		return nil, took, fmt.Errorf("set up users: %w", err)
	}
	b.log.Info("setup: users ready", "users", n, "took", took.Round(time.Millisecond),
		"per_second", fmt.Sprintf("%.1f", perSecond(int64(n), took)))
	return users, took, nil
}

// signUpOrIn creates the user nickname (unless it exists) and signs it in. It fails if the forum refuses
// the sign-up for another reason than a taken name, or refuses the sign-in.
func (b *bench) signUpOrIn(ctx context.Context, nickname string) (benchUser, error) {
	email := strings.ToLower(nickname) + "@bench.example.com"
	err := retryRateLimited(ctx, func() error { return b.api.signup(ctx, nickname, email, b.cfg.password) })
	if err != nil && statusOf(err) != http.StatusConflict {
		return benchUser{}, fmt.Errorf("sign up %s: %w", nickname, err)
	}
	var (
		user  apiUser
		token string
	)
	err = retryRateLimited(ctx, func() (err error) {
		user, token, err = b.api.signin(ctx, nickname, b.cfg.password)
		return err
	})
	if statusOf(err) == http.StatusUnauthorized {
		return benchUser{}, fmt.Errorf("sign in %s: %w (the user exists with another password: choose another --prefix)", nickname, err)
	}
	if err != nil {
		return benchUser{}, fmt.Errorf("sign in %s: %w", nickname, err)
	}
	return benchUser{ID: user.ID, Nickname: nickname, Token: token}, nil
}

// retryRateLimited calls fn again while it fails with 429, waiting as Retry-After says (1s if absent,
// at most 10s), up to 5 attempts in all. Setup uses it so that a forum with rate limits on still works.
func retryRateLimited(ctx context.Context, fn func() error) error {
	const attempts = 5
	for i := 1; ; i++ {
		err := fn()
		ae, ok := asAPIError(err)
		if !ok || ae.Status != http.StatusTooManyRequests || i == attempts {
			return err
		}
		wait := min(max(ae.RetryAfter, time.Second), 10*time.Second)
		sleep(ctx, wait)
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
	}
}

// category returns the slug new posts go to: --category, or else the forum's first category. It fails
// if the forum has none.
func (b *bench) category(ctx context.Context) (string, error) {
	if b.cfg.category != "" {
		return b.cfg.category, nil
	}
	cats, err := b.api.categories(ctx)
	if err != nil {
		return "", fmt.Errorf("list categories: %w", err)
	}
	if len(cats) == 0 || cats[0].Slug == "" {
		return "", errors.New("list categories: the forum has none (use --category)")
	}
	return cats[0].Slug, nil
}
