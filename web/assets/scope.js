// A Scope is the lifetime of a view: its requests, frame listeners and cleanups end with it.
import { subscribe } from './ws.js';

export class Scope {
  #controller = new AbortController();
  #cleanups = [];
  #whenReady = [];
  #ready = false;

  /** signal aborts the scope's requests when it is disposed. */
  get signal() {
    return this.#controller.signal;
  }

  get disposed() {
    return this.#controller.signal.aborted;
  }

  /** add registers fn to run on dispose. */
  add(fn) {
    this.#cleanups.push(fn);
  }

  /** listen passes WebSocket frames to handler; those that come before ready() wait for it. */
  listen(handler) {
    const held = [];
    this.add(subscribe((frame) => (this.#ready ? handler(frame) : held.push(frame))));
    this.#whenReady.push(() => held.splice(0).forEach(handler));
  }

  /** ready is called once the view shows its data: held frames are delivered, later ones at once. */
  ready() {
    this.#ready = true;
    for (const fn of this.#whenReady.splice(0)) fn();
  }

  dispose() {
    if (this.disposed) return;
    this.#controller.abort();
    for (const fn of this.#cleanups.splice(0).reverse()) fn();
  }
}
