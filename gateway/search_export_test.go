package gateway

// HoldSearchSlots takes every search slot of s, as that many long searches
// would, until release is called.
func (s *Server) HoldSearchSlots() (release func()) {
	for range cap(s.searches) {
		s.searches <- struct{}{}
	}
	return func() {
		for range cap(s.searches) {
			<-s.searches
		}
	}
}

// HoldClientSearchSlots takes every search slot of the client address ip,
// as that many long searches from it would, until release is called.
func (s *Server) HoldClientSearchSlots(ip string) (release func()) {
	key := addrKey(ip)
	for range maxClientSearches {
		s.clientSearches.take(key, maxClientSearches)
	}
	return func() {
		for range maxClientSearches {
			s.clientSearches.give(key)
		}
	}
}
