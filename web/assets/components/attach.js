// Pictures in what one writes: an attach button (a hidden file input behind it), pasting an image and dropping
// files on the text box. Each picture goes to POST /api/uploads with its progress shown, one at a time for the
// whole app (the server decodes one picture of a user at a time); a placeholder marks its place at the caret
// meanwhile, and becomes ![name](/media/id) once it is stored. What goes wrong is said in words, in a toast.
import { h, uuid } from '../dom.js';
import { toast } from '../toast.js';
import { currentUser, setCurrentUser } from '../state.js';

/** MAX_BYTES is the largest picture the forum takes (10 MiB). */
export const MAX_BYTES = 10 << 20;
// Pictures taken at once from one pick, paste or drop; and waiting in the app's queue in all.
const MAX_AT_ONCE = 10;
const MAX_QUEUED = 20;
// A 503 (busy) is tried again after its Retry-After, this many times, waiting at most MAX_WAIT_S each.
const BUSY_RETRIES = 2;
const MAX_WAIT_S = 10;

/** An UploadError is a picture not stored: message says why, in words for the writer. */
export class UploadError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

// describe says why the server refused the picture name, by its answer.
function describe(name, size, status, body, retryAfter) {
  const said = body?.error?.message;
  switch (status) {
    case 0: return `${name} was not stored: the forum cannot be reached. Check your connection.`;
    case 413: return size > MAX_BYTES || !said ? `${name} is too large (10 MB at most).` : `${name} was not stored: ${said}.`;
    case 415: return said?.startsWith('animated') ? `${name} was not stored: ${said}.` : notAPicture(name);
    case 429: return `${name} was not stored: ${said ?? 'too many pictures today'}.${retryAfter ? '' : ' Try again later.'}`;
    case 503: return `The forum is busy: ${name} was not stored. Try again in a moment.`;
    case 401: return `${name} was not stored: sign in first.`;
    default: return `${name} was not stored: ${said ?? `the forum answered ${status}`}.`;
  }
}

/**
 * sniffType resolves to the type of picture file's first bytes say it is (PNG, JPEG, GIF or WebP), the way the
 * forum tells them, or null for none: a file's name, and the type the system gives it from the name, can be wrong
 * (a PNG saved as x.jpg), its bytes are what the forum reads.
 */
export async function sniffType(file) {
  const b = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const starts = (sig, at = 0) => [...sig].every((c, i) => b[at + i] === (typeof c === 'string' ? c.charCodeAt(0) : c));
  if (starts([0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts('GIF87a') || starts('GIF89a')) return 'image/gif';
  if (starts('RIFF') && starts('WEBP', 8)) return 'image/webp';
  return null;
}

// send posts file once, its bytes as the body with type (the one its bytes say, sniffType), reporting progress
// (0 to 1); it resolves to the server's answer {status, body, retryAfter} whatever the status, and rejects with
// an AbortError when aborted. The body is the same bytes on every attempt, as a retry under the same
// Idempotency-Key must be (a multipart body's boundary would differ).
function send(file, type, key, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/uploads');
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Idempotency-Key', key);
    xhr.setRequestHeader('Content-Type', type);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => resolve({ status: xhr.status, body: xhr.response, retryAfter: Number(xhr.getResponseHeader('Retry-After')) || null }));
    xhr.addEventListener('error', () => resolve({ status: 0, body: null, retryAfter: null }));
    xhr.addEventListener('abort', () => reject(cancelled()));
    if (signal?.aborted) return reject(cancelled());
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

const cancelled = () => new DOMException('The upload was cancelled', 'AbortError');

const wait = (seconds, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, seconds * 1000);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    reject(cancelled());
  }, { once: true });
});

// The app's queue: one upload at a time, the rest waiting their turn in order.
let queued = 0;
let tail = Promise.resolve();

/**
 * check returns why file cannot be a picture of this forum before it is sent (too large), or null; whether it is
 * a picture at all its first bytes say (sniffType), whatever its name or type.
 */
export function check(file) {
  const name = displayName(file);
  if (file.size > MAX_BYTES) return `${name} is too large (10 MB at most).`;
  return null;
}

const notAPicture = (name) => `${name} is not a picture: PNG, JPEG, GIF or WebP.`;

/**
 * uploadPicture stores file as a picture: it resolves to the upload {id, url, thumb_url, width, height, ...}
 * or rejects with an UploadError saying why in words (an AbortError when signal aborts it). onProgress(fraction)
 * reports the bytes sent; onWaiting(true) while it waits for its turn or for a busy server. It waits behind the
 * other uploads of the page; a busy server (503) is asked again after its Retry-After, at most twice, with the
 * same Idempotency-Key, so a picture is stored once however often it is sent.
 */
export function uploadPicture(file, { onProgress = () => {}, onWaiting = () => {}, signal } = {}) {
  const name = displayName(file);
  const refused = check(file);
  if (refused) return Promise.reject(new UploadError(refused, file.size > MAX_BYTES ? 413 : 415));
  if (queued >= MAX_QUEUED) return Promise.reject(new UploadError(`${name} was not sent: ${MAX_QUEUED} pictures are waiting already.`));
  queued++;
  const key = uuid();
  onWaiting(true);
  const run = async () => {
    if (signal?.aborted) throw cancelled();
    let type;
    try {
      type = await sniffType(file);
    } catch {
      throw new UploadError(`${name} could not be read.`);
    }
    if (!type) throw new UploadError(notAPicture(name), 415);
    for (let attempt = 0; ; attempt++) {
      onWaiting(false);
      const answer = await send(file, type, key, onProgress, signal);
      if (answer.status === 201 && answer.body?.upload) return answer.body.upload;
      // The session ended: the app shows it signed out, as for any other request.
      if (answer.status === 401 && currentUser()) setCurrentUser(null);
      if (answer.status === 503 && attempt < BUSY_RETRIES) {
        onWaiting(true);
        await wait(Math.min(answer.retryAfter ?? 1, MAX_WAIT_S), signal);
        continue;
      }
      throw new UploadError(describe(name, file.size, answer.status, answer.body, answer.retryAfter), answer.status);
    }
  };
  const done = tail.then(run, run);
  tail = done.catch(() => {}).finally(() => { queued--; });
  // Cancelled while waiting its turn: it says so at once, and its turn comes to nothing.
  return new Promise((resolve, reject) => {
    done.then(resolve, reject);
    signal?.addEventListener('abort', () => reject(cancelled()), { once: true });
  });
}

/** displayName is how a picture is named to the writer: its file name, or "The pasted picture". */
function displayName(file) {
  return file.name && file.name !== 'image.png' ? file.name : 'The pasted picture';
}

// altOf is the alt text a picture gets: its file name without the extension, without what Markdown would
// read as the end of the alt text or of the line.
function altOf(file) {
  const base = (file.name && file.name !== 'image.png' ? file.name : 'picture').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return base.replace(/[[\]\\\n\r]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100) || 'picture';
}

let nextAttachId = 0;

// The text boxes with pictures on their way: a form holding one is not sent until they are stored (the text
// would carry their placeholders). A placeholder left by a page that went away meanwhile (kept in a draft) is
// taken out of a form as it is sent. A file dropped beside a text box is ignored rather than opened by the
// browser in place of the page.
const busy = new Set();
const STALE_PLACEHOLDER = /^!\[Uploading [^\]\n]*…\]\(\)\n?/gm;
const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
document.addEventListener('submit', (event) => {
  if ([...busy].some((box) => event.target.contains(box))) {
    event.preventDefault();
    event.stopImmediatePropagation();
    toast('Your pictures are on their way: send once they are stored.', { kind: 'error' });
    return;
  }
  for (const box of event.target.querySelectorAll?.('textarea') ?? []) {
    if (box.value.includes('![Uploading ')) box.value = box.value.replace(STALE_PLACEHOLDER, '');
  }
}, true);
for (const type of ['dragover', 'drop']) {
  document.addEventListener(type, (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
}

/**
 * attachPictures gives textarea pictures: the returned {button, list} are the attach button (a hidden file
 * input of image/* behind it) and the list of pictures on their way, each with its progress bar; a picture
 * pasted (when the clipboard holds no text) or files dropped on the text box go the same way. Each picture
 * marks its place at the caret with "![Uploading name…]()" and, once stored, takes that place as
 * "![name](/media/id)"; removing the placeholder meanwhile leaves the picture out. An input event follows
 * every change of the text, so drafts and typing notices see it.
 */
export function attachPictures(textarea) {
  const inputId = `attach-input-${++nextAttachId}`;
  const input = h('input', { type: 'file', id: inputId, accept: 'image/*', multiple: true, hidden: true, tabindex: '-1' });
  const button = h('button', { type: 'button', class: 'attach-button', title: 'Attach pictures (or paste or drop them)' },
    pictureIcon(), h('span', { class: 'attach-label' }, 'Attach picture'));
  const list = h('ul', { class: 'upload-list', 'aria-label': 'Pictures on their way', hidden: true });
  const said = h('p', { class: 'visually-hidden', role: 'status' });
  const placeholders = new Set(); // placeholder texts of the pictures on their way in this box

  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = '';
  });

  textarea.addEventListener('paste', (event) => {
    const data = event.clipboardData;
    if (!data || data.getData('text/plain')) return; // text (with a picture of it, as office programs copy) pastes as text
    const files = [...data.files].filter((f) => f.type.startsWith('image/') || !f.type);
    if (files.length === 0) return;
    event.preventDefault();
    add(files);
  });

  textarea.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    textarea.classList.add('drop-target');
  });
  textarea.addEventListener('dragleave', () => textarea.classList.remove('drop-target'));
  textarea.addEventListener('drop', (event) => {
    textarea.classList.remove('drop-target');
    if (!carriesFiles(event) || event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    add([...event.dataTransfer.files]);
  });

  // placeholderFor is a placeholder text not in use in this box.
  function placeholderFor(file) {
    const alt = altOf(file);
    let text = `![Uploading ${alt}…]()`;
    for (let n = 2; placeholders.has(text) || textarea.value.includes(text); n++) text = `![Uploading ${alt} (${n})…]()`;
    return text;
  }

  // insert puts text at the caret, on a line of its own.
  function insert(text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(end);
    const lead = before === '' || before.endsWith('\n') ? '' : '\n';
    const trail = after.startsWith('\n') ? '' : '\n';
    textarea.setRangeText(lead + text + trail, start, end, 'end');
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // replace puts text where placeholder is, keeping the caret where it was relative to the text around it.
  function replace(placeholder, text) {
    const at = textarea.value.indexOf(placeholder);
    if (at < 0) return false;
    const { selectionStart: s, selectionEnd: e } = textarea;
    const shift = (p) => (p <= at ? p : p >= at + placeholder.length ? p + text.length - placeholder.length : at + text.length);
    textarea.setRangeText(text, at, at + placeholder.length);
    textarea.setSelectionRange(shift(s), shift(e));
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    return true;
  }

  function add(files) {
    if (files.length > MAX_AT_ONCE) {
      toast(`At most ${MAX_AT_ONCE} pictures at once: the first ${MAX_AT_ONCE} are on their way.`, { kind: 'error' });
      files = files.slice(0, MAX_AT_ONCE);
    }
    for (const file of files) start(file);
  }

  function start(file) {
    const refused = check(file);
    if (refused) {
      toast(refused, { kind: 'error' });
      return;
    }
    const alt = altOf(file);
    const placeholder = placeholderFor(file);
    placeholders.add(placeholder);
    busy.add(textarea);
    insert(placeholder);
    const controller = new AbortController();
    const bar = h('progress', { max: '1', 'aria-label': `Uploading ${alt}` });
    const cancel = h('button', { type: 'button', class: 'link-button upload-cancel', 'aria-label': `Cancel ${alt}` }, 'Cancel');
    const item = h('li', { class: 'upload' }, h('span', { class: 'upload-name' }, alt), bar, cancel);
    cancel.addEventListener('click', () => controller.abort());
    list.append(item);
    list.hidden = false;
    const finish = () => {
      placeholders.delete(placeholder);
      if (placeholders.size === 0) busy.delete(textarea);
      item.remove();
      list.hidden = list.children.length === 0;
    };
    uploadPicture(file, {
      signal: controller.signal,
      onWaiting: (waiting) => (waiting ? bar.removeAttribute('value') : (bar.value = 0)),
      onProgress: (fraction) => { bar.value = fraction; },
    }).then((upload) => {
      finish();
      if (replace(placeholder, `![${alt}](${upload.url})`)) said.textContent = `${alt} is attached.`;
    }, (err) => {
      finish();
      if (!replace(`${placeholder}\n`, '')) replace(placeholder, '');
      if (err.name === 'AbortError') return;
      toast(err instanceof UploadError ? err.message : `${alt} was not stored.`, { kind: 'error' });
    });
  }

  return { button, list: h('div', { class: 'upload-wrap' }, input, list, said) };
}

const SVG = 'http://www.w3.org/2000/svg';

// pictureIcon is a framed landscape, drawn in SVG.
function pictureIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '18', height: '18', 'aria-hidden': 'true', focusable: 'false' })) svg.setAttribute(k, v);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 9.5a1 1 0 1 0 0-.01');
  for (const [k, v] of Object.entries({ fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linejoin': 'round', 'stroke-linecap': 'round' })) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}
