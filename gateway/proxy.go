package gateway

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"forum/fault"
)

// ParsePublicURL checks the address users reach the forum at: an absolute
// http or https URL with a host and no path beyond "/".
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("--public-url %q: want an http or https URL with a host and nothing after it, like https://forum.example", s)
	}
	u.Host = withoutDefaultPort(strings.ToLower(u.Host), u.Scheme)
	return u, nil
}

// withoutDefaultPort is host without its port when that is the scheme's
// default (443 for https, 80 for http), as browsers write an origin.
func withoutDefaultPort(host, scheme string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil || (scheme == "https" && port != "443") || (scheme == "http" && port != "80") {
		return host
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// publicHost reports whether the request names the public URL's host, its
// scheme's default port written or not.
func publicHost(r *http.Request, u *url.URL) bool {
	return strings.EqualFold(withoutDefaultPort(r.Host, u.Scheme), u.Host)
}

// ParseTrustedProxies parses a comma-separated list of CIDRs (or single
// addresses) whose X-Forwarded-For and X-Forwarded-Proto are believed.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither a CIDR nor an address", part)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusted reports whether the peer address ip is one of the trusted proxies.
func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && s.trustedAddr(a.Unmap().WithZone(""))
}

// trustedAddr reports whether a is one of the trusted proxies.
func (s *Server) trustedAddr(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address the request came from, as rate limits key it:
// the client the forum believes (believedClient), or, when a trusted proxy
// names none, the proxy itself.
func (s *Server) clientIP(r *http.Request) string {
	if a, ok := s.believedClient(r); ok {
		return a.String()
	}
	return peerOf(r)
}

// believedClient is the client the forum believes a request came from. From
// an untrusted peer it is the peer. From a trusted proxy it is the rightmost
// X-Forwarded-For hop that is not a trusted proxy itself (what the proxy in
// front added), or the leftmost hop when every one is a trusted proxy. ok
// is false when a trusted proxy names no client: no header, an empty one,
// or a garbled hop (unknown, a name) before any untrusted one; nothing to
// the left of a garbled hop is believed.
func (s *Server) believedClient(r *http.Request) (client netip.Addr, ok bool) {
	peer, err := netip.ParseAddr(peerOf(r))
	if err != nil {
		return netip.Addr{}, false
	}
	if peer = peer.Unmap().WithZone(""); !s.trustedAddr(peer) {
		return peer, true
	}
	hops := forwardedHops(r)
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(hops[i])
		if err != nil {
			return netip.Addr{}, false
		}
		if !s.trustedAddr(a) || i == 0 {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// peerOf is the address of the request's connection, without its port.
func peerOf(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return peer
}

// maxHops bounds the X-Forwarded-For hops read from one request.
const maxHops = 64

// forwardedHops are the hops of every X-Forwarded-For header, in order, at
// most the last maxHops of them.
func forwardedHops(r *http.Request) []string {
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, a := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(a))
		}
	}
	if len(hops) > maxHops {
		hops = hops[len(hops)-maxHops:]
	}
	return hops
}

// parseHop parses one X-Forwarded-For hop: an address, ip:port, or
// [v6]:port, without its zone.
func parseHop(hop string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap().WithZone(""), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]"))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("forwarded hop %q: %w", hop, err)
	}
	return a.Unmap().WithZone(""), nil
}

// secure reports whether the user reached the forum over https: TLS here,
// an https public URL, or a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil || (s.cfg.PublicURL != nil && s.cfg.PublicURL.Scheme == "https") {
		return true
	}
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	return s.trusted(peer) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// ownOrigin returns the forum's own origin for r: the public URL's when
// set, else the scheme and Host the request came with.
func (s *Server) ownOrigin(r *http.Request) string {
	if u := s.cfg.PublicURL; u != nil {
		return u.Scheme + "://" + u.Host
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// hostCheck answers 421 to a request for a host that is not this forum's:
// with a public URL, any host but its own; without one, any host but
// localhost, a loopback address or the address the request came in on, so
// that a page of another site, its name pointed at this machine (DNS
// rebinding), reaches nothing. Liveness and readiness are excepted, for
// probes that use an instance's own address, and so are metrics without a
// public URL. With one, metrics answer its host and the local names, and
// only to a client the forum believes is on this machine (403 otherwise):
// a proxy that passes any Host on does not expose them.
func (s *Server) hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.cfg.PublicURL
		ok := true
		switch r.URL.Path {
		case "/health", "/api/health":
		case "/metrics":
			ok = u == nil || publicHost(r, u) || localHost(r)
			if ok && u != nil && !s.clientOnLoopback(r) {
				s.writeError(w, r, fault.Errorf(fault.EFORBIDDEN, "metrics are served to this machine only"))
				return
			}
		default:
			ok = (u == nil && localHost(r)) || (u != nil && publicHost(r, u))
		}
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if u != nil {
			s.writeError(w, r, fault.Errorf(EMISDIRECTED, "this forum is %s", u.Scheme+"://"+u.Host))
			return
		}
		s.writeError(w, r, fault.Errorf(EMISDIRECTED, "this forum answers to localhost or its own address, not to the name %q (a forum served under a name is started with its public URL)", r.Host))
	})
}

// localHost reports whether the request's Host names this machine without
// a name anyone else controls: localhost, a loopback address, or the
// address the request's connection came in on.
func localHost(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if a = a.Unmap(); a.IsLoopback() {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	return err == nil && ap.Addr().Unmap().WithZone("") == a.WithZone("")
}

// clientOnLoopback reports whether the client the forum believes (after
// the trusted proxies) is on this machine; a client a trusted proxy does
// not name is not.
func (s *Server) clientOnLoopback(r *http.Request) bool {
	a, ok := s.believedClient(r)
	return ok && a.IsLoopback()
}

// EMISDIRECTED is the code of a request for a host this forum is not.
const EMISDIRECTED = "misdirected"
