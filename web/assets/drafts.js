// Drafts: what was typed into a form, kept per place (a new post, an edit, a post's comment box, a
// conversation) in localStorage, so navigation and reload lose nothing. Bounded: at most MAX_DRAFTS
// places (the oldest goes) and MAX_CHARS characters each.

const PREFIX = 'forum.draft.';
const MAX_DRAFTS = 50;
const MAX_CHARS = 20000;

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(PREFIX + key) ?? 'null');
  } catch {
    return null;
  }
}

function evictOldest() {
  const all = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(PREFIX)) all.push([k, read(k.slice(PREFIX.length))?.at ?? 0]);
  }
  all.sort((a, b) => a[1] - b[1]);
  for (const [k] of all.slice(0, Math.max(0, all.length - MAX_DRAFTS + 1))) localStorage.removeItem(k);
}

/** loadDraft is the text kept for key, or null. */
export function loadDraft(key) {
  const d = read(key);
  return typeof d?.text === 'string' ? d.text : null;
}

/** saveDraft keeps text for key (an empty text forgets it). */
export function saveDraft(key, text) {
  if (!text) {
    clearDraft(key);
    return;
  }
  try {
    if (localStorage.getItem(PREFIX + key) == null) evictOldest();
    localStorage.setItem(PREFIX + key, JSON.stringify({ text: text.slice(0, MAX_CHARS), at: Date.now() }));
  } catch {
    // Storage full or refused (private browsing): the text stays in the form only.
  }
}

export function clearDraft(key) {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // Storage refused: nothing was kept.
  }
}

/**
 * keepDraft restores control's draft for key (when there is one, over what the control holds) and keeps
 * every change; it returns true when a draft was restored.
 */
export function keepDraft(control, key) {
  const kept = loadDraft(key);
  const restored = kept != null && kept !== control.value;
  if (restored) control.value = kept;
  control.addEventListener('input', () => saveDraft(key, control.value));
  return restored;
}
