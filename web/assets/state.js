// App-wide state: who is signed in, the connection's state, and which conversation is on screen.
// It changes only through the setters below, which tell the listeners registered with on().

const listeners = { me: new Set(), conn: new Set() };
let me = null;
let conn = 'offline';
let openChat = null;

/** on calls fn(value) whenever the named state ('me' or 'conn') changes; it returns the unsubscribe function. */
export function on(name, fn) {
  listeners[name].add(fn);
  return () => listeners[name].delete(fn);
}

function emit(name, value) {
  for (const fn of listeners[name]) fn(value);
}

/** currentUser is the signed-in user, or null. */
export function currentUser() {
  return me;
}

export function setCurrentUser(user) {
  me = user;
  emit('me', user);
}

/** connState is 'live', 'connecting' or 'offline'. */
export function connState() {
  return conn;
}

export function setConnState(value) {
  if (value === conn) return;
  conn = value;
  emit('conn', value);
}

/** setOpenChat records the user whose conversation is on screen (null for none). */
export function setOpenChat(userId) {
  openChat = userId;
}

/** isConversationVisible tells whether the conversation with userId is open in a visible tab. */
export function isConversationVisible(userId) {
  return openChat === userId && document.visibilityState === 'visible';
}

/** isVisible tells whether the tab is on screen. */
export function isVisible() {
  return document.visibilityState === 'visible';
}
