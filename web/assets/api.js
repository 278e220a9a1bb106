// The HTTP API client: JSON in and out, the session cookie sent along, errors thrown as ApiError.
import { currentUser, setCurrentUser } from './state.js';

/** ApiError is a failed request: the HTTP status (0 when the server could not be reached) and the body's {code, message, field}. */
export class ApiError extends Error {
  constructor(status, { code = 'error', message, field = null, errors = null } = {}, retryAfter = null) {
    super(message || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    /** errors: every problem [{code, message, field}] when the server found several (the first is this one). */
    this.errors = Array.isArray(errors) ? errors : null;
    this.retryAfter = retryAfter;
  }
}

let lowestSeq = null;

/** resetSeenSeq forgets the stream sequences seen so far; seenSeq then reports only later responses. */
export function resetSeenSeq() {
  lowestSeq = null;
}

/** seenSeq is the lowest `seq` (stream sequence of the read model) in the responses since resetSeenSeq, or null. */
export function seenSeq() {
  return lowestSeq;
}

function target(url, query) {
  const t = new URL(url, location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value != null && value !== '') t.searchParams.set(key, value);
  }
  return t;
}

// Responses fetched ahead of their view (while the app still asks who is signed in), each used at most once
// and only while fresh.
const PREFETCH_FRESH_MS = 10_000;
const prefetched = new Map(); // URL → {at, response: Promise<Response|null>}

// Answers the server sent with the page for its first view (a JSON data block, never run as script): taken like
// prefetched ones, so the first view needs no round trip of its own.
const island = document.getElementById('preloaded');
if (island) {
  try {
    for (const [url, { status, body }] of Object.entries(JSON.parse(island.textContent))) {
      const response = new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
      prefetched.set(new URL(url, location.origin).href, { at: performance.now(), response: Promise.resolve(response) });
    }
  } catch {
    // A block that does not parse: the app asks for everything itself.
  }
  island.remove();
}

/** prefetch starts a GET that a request for the same URL and query within 10 s takes over instead of sending its own. */
export function prefetch(url, query = {}) {
  const t = target(url, query);
  const held = prefetched.get(t.href);
  if (held && performance.now() - held.at <= PREFETCH_FRESH_MS) return; // on its way already, or came with the page
  const response = fetch(t, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).catch(() => null);
  prefetched.set(t.href, { at: performance.now(), response });
}

async function takePrefetched(href) {
  const entry = prefetched.get(href);
  if (!entry) return null;
  prefetched.delete(href);
  if (performance.now() - entry.at > PREFETCH_FRESH_MS) return null;
  return entry.response;
}

async function request(method, url, { query = {}, body, signal } = {}) {
  const t = target(url, query);
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res = method === 'GET' ? await takePrefetched(t.href) : null;
  try {
    res ??= await fetch(t, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { code: 'network', message: 'The forum cannot be reached. Check your connection.' });
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch (err) {
      // An error's body may be anything; a success's body cut off (the page unloading, the network gone) is no answer.
      if (err.name === 'AbortError') throw err;
      if (res.ok) throw new ApiError(0, { code: 'network', message: 'The answer was cut off. Try again.' });
    }
  }
  if (!res.ok) {
    // A 401 naming a field is a wrong password typed into a form, not a session that ended.
    if (res.status === 401 && currentUser() && !data?.error?.field) setCurrentUser(null);
    throw new ApiError(res.status, data?.error, res.headers.get('Retry-After'));
  }
  if (typeof data?.seq === 'number') lowestSeq = lowestSeq == null ? data.seq : Math.min(lowestSeq, data.seq);
  return data;
}

/** api holds one function per method; each resolves to the decoded body (null for 204) or rejects with ApiError. */
export const api = {
  get: (url, opts) => request('GET', url, opts),
  post: (url, body, opts) => request('POST', url, { ...opts, body }),
  put: (url, body, opts) => request('PUT', url, { ...opts, body }),
  patch: (url, body, opts) => request('PATCH', url, { ...opts, body }),
  del: (url, opts) => request('DELETE', url, opts),
};
