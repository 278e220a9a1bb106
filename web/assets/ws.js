// The WebSocket connection: one per signed-in tab, resumed after every drop from the last sequence seen,
// so that no event is lost or shown twice. Frames go to the functions registered with subscribe().
import { api } from './api.js';
import { setConnState } from './state.js';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

const listeners = new Set();
const rooms = new Set();
let socket = null;
let live = false;
let wanted = false;
let lastSeq = null;
let attempt = 0;
let retryTimer = null;

/** subscribe calls fn(frame) for every frame received; it returns the unsubscribe function. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** isStarted tells whether start was called since the last stop. */
export function isStarted() {
  return wanted;
}

/**
 * start connects, asking for every event after afterSeq (the sequence the page's HTTP data was read at);
 * with afterSeq null the stream starts at the sequence the server's hello reports.
 */
export function start(afterSeq) {
  if (wanted) return;
  wanted = true;
  lastSeq = afterSeq;
  attempt = 0;
  connect();
}

/** stop closes the connection for good (until the next start), forgetting the rooms and the sequence. */
export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  rooms.clear();
  lastSeq = null;
  const closing = socket;
  socket = null;
  live = false;
  closing?.close(1000);
  setConnState('offline');
}

/** send sends a frame if the connection is live and reports whether it did. */
export function send(frame) {
  if (!live) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/** joinRoom joins a room now if live, and again after every reconnect until leaveRoom. */
export function joinRoom(room) {
  rooms.add(room);
  send({ type: 'room.join', room });
}

export function leaveRoom(room) {
  rooms.delete(room);
  send({ type: 'room.leave', room });
}

function connect() {
  retryTimer = null;
  setConnState('connecting');
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (lastSeq != null) url.searchParams.set('after', lastSeq);
  const ws = new WebSocket(url);
  let greeted = false;
  socket = ws;
  ws.addEventListener('message', (event) => {
    if (socket !== ws) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === 'hello') {
      greeted = true;
      greet(frame);
    } else if (typeof frame.seq === 'number' && (lastSeq == null || frame.seq > lastSeq)) {
      lastSeq = frame.seq;
    }
    dispatch(frame);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    live = false;
    setConnState('offline');
    // A refused upgrade may mean the session ended: /api/me answering 401 signs the user out, which stops us.
    if (!greeted) api.get('/api/me').catch(() => {});
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt++);
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
  });
}

function greet(hello) {
  // The hello's seq counts only when nothing was asked for: after ?after=N the replay follows the hello.
  if (lastSeq == null) lastSeq = hello.seq;
  attempt = 0;
  live = true;
  setConnState('live');
  for (const room of rooms) send({ type: 'room.join', room });
}

function dispatch(frame) {
  for (const fn of [...listeners]) {
    try {
      fn(frame);
    } catch (err) {
      console.error(`ws frame ${frame.type}:`, err);
    }
  }
}

// When the browser says the network is gone, the socket is taken as gone too (a dead connection can take
// minutes to notice otherwise); it reconnects as soon as the network is back.
addEventListener('offline', () => socket?.close());

addEventListener('online', () => {
  if (retryTimer) {
    clearTimeout(retryTimer);
    connect();
  }
});
