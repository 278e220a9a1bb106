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
