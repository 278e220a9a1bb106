// The picture shown large: a click on a picture in a post, a comment or a message (a.picture-link, made by
// richtext.js) opens it in a modal <dialog>, the whole picture with its alt text as the caption. The focus
// moves to the dialog's Close button and back to the picture when it closes: with Escape, Close, or a click
// outside the picture.
import { h } from '../dom.js';

let dialog = null;
let opener = null;

function build() {
  const img = h('img', { class: 'lightbox-picture', alt: '' });
  const caption = h('figcaption', { id: 'lightbox-caption', class: 'lightbox-caption' });
  const close = h('button', { type: 'button', class: 'lightbox-close' }, 'Close');
  dialog = h('dialog', { id: 'lightbox', class: 'lightbox', 'aria-label': 'Picture' },
    h('figure', { class: 'lightbox-figure' }, img, caption), close);
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog itself, around its figure) or on the space beside the picture closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog || event.target.classList.contains('lightbox-figure')) dialog.close();
  });
  dialog.addEventListener('close', () => {
    img.removeAttribute('src');
    if (opener?.isConnected) opener.focus();
    opener = null;
  });
  document.body.append(dialog);
}

/** openLightbox shows the picture at src large, with alt as its caption; the focus goes back to from after. */
export function openLightbox(src, alt, from) {
  if (!dialog) build();
  const img = dialog.querySelector('.lightbox-picture');
  const caption = dialog.querySelector('.lightbox-caption');
  img.src = src;
  img.alt = alt;
  caption.textContent = alt;
  caption.hidden = !alt;
  if (alt) {
    dialog.setAttribute('aria-labelledby', caption.id);
    dialog.removeAttribute('aria-label');
  } else {
    dialog.removeAttribute('aria-labelledby');
    dialog.setAttribute('aria-label', 'Picture');
  }
  opener = from;
  if (!dialog.open) dialog.showModal();
  dialog.querySelector('.lightbox-close').focus();
}

// Going Back or Forward leaves the picture, as it leaves the page it was opened from.
addEventListener('popstate', () => {
  if (dialog?.open) dialog.close();
});

// Clicks on pictures, taken before the router sees the link (capture): a plain click opens the lightbox;
// one with a modifier key opens the picture itself, as links do.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a.picture-link');
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const img = link.querySelector('img');
  if (!img) return;
  event.preventDefault();
  openLightbox(link.getAttribute('href'), img.getAttribute('alt') ?? '', link);
}, true);
