package gateway

import (
	"forum/events"
	"forum/internal/limit"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// addrKey is what per-address limits count under: the address for IPv4, its
// /64 network for IPv6 (one subscriber's share, in which an address costs
// nothing).
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// signInThrottle counts failed sign-ins (HTTP Basic included) per login and
// client address, and per address across logins. It never counts per
// account alone, so failures from elsewhere cannot lock a victim out, and a
// login is counted as typed, so the budget tells nothing about which
// nickname and email belong together or exist at all.
type signInThrottle struct {
	pair *limit.Keyed // (login, address): at most 100 failures an hour
	addr *limit.Keyed // address, across logins
	// account counts wrong second factors of one account from every
	// address: whoever gives them has its password already, and six
	// digits are guessed sooner than a password.
	account *limit.Keyed
}

func newSignInThrottle() *signInThrottle {
	return &signInThrottle{
		pair:    limit.New(rate.Every(time.Hour/90), 10),
		addr:    limit.New(rate.Every(12*time.Second), 30),
		account: limit.New(rate.Every(12*time.Second), 30),
	}
}

func pairKey(login, addr string) string { return strings.ToLower(login) + "\x00" + addr }

// blocked reports whether a sign-in as login from addr must wait, and for
// how many seconds.
func (t *signInThrottle) blocked(login, addr string, now time.Time) (bool, int) {
	b1, r1 := t.pair.Blocked(pairKey(login, addr), now)
	b2, r2 := t.addr.Blocked(addr, now)
	return b1 || b2, max(r1, r2)
}

// failed counts one failed sign-in as login from addr.
func (t *signInThrottle) failed(login, addr string, now time.Time) {
	t.pair.Allow(pairKey(login, addr), now)
	t.addr.Allow(addr, now)
}

// secondFactorLogin is the login a user's second factors are counted
// under: one no sign-in can type.
func secondFactorLogin(user events.UserID) string { return "\x00totp:" + string(user) }

// blockedSecondFactor reports whether a second factor of user's from addr
// must wait, and for how many seconds: like a sign-in as the user from
// addr, and while the user's account has had too many wrong ones.
func (t *signInThrottle) blockedSecondFactor(user events.UserID, addr string, now time.Time) (bool, int) {
	b1, r1 := t.blocked(secondFactorLogin(user), addr, now)
	b2, r2 := t.account.Blocked(string(user), now)
	return b1 || b2, max(r1, r2)
}

// failedSecondFactor counts one wrong second factor of user's from addr.
func (t *signInThrottle) failedSecondFactor(user events.UserID, addr string, now time.Time) {
	t.failed(secondFactorLogin(user), addr, now)
	t.account.Allow(string(user), now)
}

// rateLimit limits requests per client address: reads generously, writes
// more strictly. --rate-limits off turns it off.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.RateLimits {
			lims := s.readLimits
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				lims = s.writeLimits
			}
			if ok, retry := lims.Allow(addrKey(s.clientIP(r)), s.now()); !ok {
				rateLimited(w, retry)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
