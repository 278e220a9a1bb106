package hub

import (
	"time"
)

// Typing indicators end by themselves: the server tells active=false when
// no news came for typingTimeout, and when the connection closes.
const (
	typingTimeout = 5 * time.Second
	typingRefresh = 2 * time.Second // a typist still going is re-announced at most this often
)

// typingKey is whom a connection types to: a user, or the members of a
// room.
type typingKey struct {
	room bool // name is a room, else a user id
	name string
}

func toUser(id string) typingKey   { return typingKey{name: id} }
func toRoom(room string) typingKey { return typingKey{room: true, name: room} }

type typingState struct {
	timer    *time.Timer
	deadline time.Time
	sent     time.Time
	publish  func(active bool)
}

// setTyping records this connection's typing towards key (a user or a room)
// and announces changes with publish (nil: nothing to start).
func (c *conn) setTyping(key typingKey, active bool, publish func(bool)) {
	c.typingMu.Lock()
	defer c.typingMu.Unlock()
	if c.typingEnd {
		return
	}
	st := c.typing[key]
	now := time.Now()
	if !active {
		if st != nil {
			st.timer.Stop()
			delete(c.typing, key)
			st.publish(false)
		}
		return
	}
	if publish == nil {
		return
	}
	if st == nil {
		st = &typingState{publish: publish}
		st.timer = time.AfterFunc(typingTimeout, func() { c.typingExpired(key, st) })
		c.typing[key] = st
	} else if now.Sub(st.sent) < typingRefresh {
		st.deadline = now.Add(typingTimeout)
		return
	}
	st.deadline, st.sent = now.Add(typingTimeout), now
	st.publish(true)
}

func (c *conn) typingExpired(key typingKey, st *typingState) {
	c.typingMu.Lock()
	defer c.typingMu.Unlock()
	if c.typing[key] != st {
		return
	}
	if d := time.Until(st.deadline); d > 0 {
		st.timer.Reset(d)
		return
	}
	delete(c.typing, key)
	st.publish(false)
}

// stopTyping ends every typing indicator of the connection, for good.
func (c *conn) stopTyping() {
	c.typingMu.Lock()
	defer c.typingMu.Unlock()
	c.typingEnd = true
	for key, st := range c.typing {
		st.timer.Stop()
		delete(c.typing, key)
		st.publish(false)
	}
}
