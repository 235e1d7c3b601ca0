// <inventory-status product-id="..." api-base="..." api-key="..." add-to-cart="#button-id" [show-restock-date]>: the storefront's
// stock badge. Built as an ES module (inventory-widget.js) and a <script> file (inventory-widget.global.js).
// Every state is styled through CSS custom properties and ::part(), so a shop can restyle it without forking.
import { createClient } from './api-client.js';

/** Today's date where the page runs, as YYYY-MM-DD (what a shipment's expected date is compared with). */
export function localToday(now = new Date()) {
  const two = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
}

/** A YYYY-MM-DD date in words ("3 December 2026" or the locale's own order). */
export function formatDay(day, locale) {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(year, month - 1, date).toLocaleDateString(locale, { day: 'numeric', month: 'long', year: 'numeric' });
}

/**
 * The words shown for each state. `available` is the number of units that can really be bought. With `restockDate`,
 * an out-of-stock product with a shipment expected today or later also says when (`next_expected_date`); a date
 * already past says nothing, since the shipment is late and no one knows when it comes.
 */
export function describeStock(inventory, { restockDate = false, today = localToday(), locale } = {}) {
  const available = Number(inventory?.available_count);
  const threshold = Number(inventory?.threshold_level);
  if (!Number.isFinite(available)) return { state: 'unavailable', text: 'Stock status unavailable', available: null };
  if (available <= 0) {
    const expected = inventory?.next_expected_date;
    if (restockDate && typeof expected === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(expected) && expected >= today) {
      return { state: 'out-of-stock', text: `Out of stock. Back in stock around ${formatDay(expected, locale)}`, available: 0, expectedDate: expected };
    }
    return { state: 'out-of-stock', text: 'Out of stock', available: 0 };
  }
  if (Number.isFinite(threshold) && available <= threshold) {
    return { state: 'low-stock', text: `Low stock: only ${available} left`, available };
  }
  return { state: 'in-stock', text: 'In stock', available };
}

/** Only a state in which the product can be bought enables the add-to-cart button. */
export const canAddToCart = (state) => state === 'in-stock' || state === 'low-stock';

const LOADING = { state: 'loading', text: 'Checking stock…', available: null };
const UNAVAILABLE = { state: 'unavailable', text: 'Stock status unavailable', available: null };

const STYLE = `
  :host { display: inline-block; font: var(--inventory-font, inherit); }
  [part~="status"] {
    display: inline-flex; align-items: center; gap: .45em;
    padding: var(--inventory-padding, .2em .6em); border-radius: var(--inventory-radius, 999px);
    color: var(--inventory-color, currentColor); background: var(--inventory-background, transparent);
  }
  [part~="dot"] { width: .6em; height: .6em; border-radius: 50%; background: var(--dot); flex: none; }
  :host([state="loading"]) { --dot: var(--inventory-loading-color, #9ca3af); }
  :host([state="in-stock"]) { --dot: var(--inventory-in-stock-color, #15803d); }
  :host([state="low-stock"]) { --dot: var(--inventory-low-stock-color, #b45309); }
  :host([state="out-of-stock"]) { --dot: var(--inventory-out-of-stock-color, #b91c1c); }
  :host([state="unavailable"]) { --dot: var(--inventory-unavailable-color, #6b7280); }
`;

export class InventoryStatusElement extends HTMLElement {
  static observedAttributes = ['product-id', 'api-base', 'api-key', 'warehouse-id', 'refresh-seconds', 'add-to-cart', 'show-restock-date'];

  #client = null;
  #shown = null;
  #timer = null;
  #inFlight = null;
  #generation = 0;
  #text;
  #onWake = () => { if (globalThis.document?.visibilityState !== 'hidden') this.refresh(); };

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style><span part="status" role="status" aria-live="polite" aria-atomic="true"><span part="dot" aria-hidden="true"></span><span part="text"></span></span>`;
    this.#text = root.querySelector('[part="text"]');
  }

  /** A client of your own (for example with a custom fetch); otherwise one is made from the attributes. */
  get client() { return this.#client ??= createClient({ baseUrl: this.getAttribute('api-base') ?? undefined, apiKey: this.getAttribute('api-key'), retries: 1, timeoutMs: 8000 }); }
  set client(value) { this.#client = value; this.refresh(); }

  /** The state shown now: loading, in-stock, low-stock, out-of-stock or unavailable. */
  get state() { return this.#shown?.state ?? 'loading'; }

  /** Units that can be bought, or null while unknown. */
  get available() { return this.#shown?.available ?? null; }

  get productId() { return this.getAttribute('product-id'); }

  connectedCallback() {
    this.#show(LOADING);
    globalThis.addEventListener?.('focus', this.#onWake);
    globalThis.document?.addEventListener('visibilitychange', this.#onWake);
    this.#schedule();
    this.refresh();
  }

  disconnectedCallback() {
    clearInterval(this.#timer);
    globalThis.removeEventListener?.('focus', this.#onWake);
    globalThis.document?.removeEventListener('visibilitychange', this.#onWake);
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.isConnected || oldValue === newValue) return;
    if (name === 'api-base' || name === 'api-key') {
      // A read already under way used the old settings: start again, and let its answer be ignored.
      this.#client = null;
      this.#inFlight = null;
    }
    if (name === 'refresh-seconds') this.#schedule();
    if (name === 'add-to-cart') this.#updateButton();
    if (name !== 'refresh-seconds' && name !== 'add-to-cart') {
      if (name === 'product-id') this.#show(LOADING);
      this.refresh();
    }
  }

  /** Reads the stock now. Concurrent calls share one request; an answer for an old product id is ignored. */
  refresh() {
    if (!this.isConnected) return Promise.resolve();
    const productId = this.productId;
    if (!productId) { this.#show(UNAVAILABLE); return Promise.resolve(); }
    if (this.#inFlight?.productId === productId) return this.#inFlight.promise;
    const generation = ++this.#generation;
    const promise = (async () => {
      let next;
      try {
        // "Back in stock around <date>" only when the page asks for it (show-restock-date): a date is a promise.
        next = describeStock(await this.client.getInventory(productId, { warehouseId: this.getAttribute('warehouse-id') ?? undefined }), {
          restockDate: this.hasAttribute('show-restock-date'),
          locale: this.closest('[lang]')?.getAttribute('lang') || undefined,
        });
      } catch (error) {
        next = UNAVAILABLE;
        this.dispatchEvent(new CustomEvent('inventory-error', { detail: { error }, bubbles: true, composed: true }));
      }
      if (generation === this.#generation) this.#show(next);
    })().finally(() => { if (this.#inFlight?.promise === promise) this.#inFlight = null; });
    this.#inFlight = { productId, promise };
    return promise;
  }

  #show(next) {
    const changed = this.#shown?.state !== next.state || this.#shown?.text !== next.text;
    this.#shown = next;
    this.setAttribute('state', next.state);
    this.toggleAttribute('aria-busy', next.state === 'loading');
    // Writing the same words again would make some screen readers repeat them on every refresh.
    if (this.#text.textContent !== next.text) this.#text.textContent = next.text;
    this.#updateButton();
    if (changed) {
      this.dispatchEvent(new CustomEvent('inventory-change', { detail: { ...next, productId: this.productId }, bubbles: true, composed: true }));
    }
  }

  #updateButton() {
    const selector = this.getAttribute('add-to-cart');
    const button = selector ? this.ownerDocument.querySelector(selector) : null;
    if (button && !button.hasAttribute('data-busy')) button.disabled = !canAddToCart(this.state);
  }

  #schedule() {
    clearInterval(this.#timer);
    const seconds = Number(this.getAttribute('refresh-seconds') ?? 30);
    if (seconds > 0) this.#timer = setInterval(() => this.refresh(), Math.max(1, seconds) * 1000);
  }
}

/**
 * Makes `button` reserve the widget's product through `client` (which needs a reserve-scoped key: on a real
 * shop that is the shop's backend, not the page). Reports the outcome in `output` (if given) and as a
 * 'cart-result' event on the button, then refreshes the widget so the count drops at once.
 * @param {InventoryStatusElement} widget
 * @param {HTMLButtonElement} button
 * @param {{ client: import('./api-client').InventoryClient, quantity?: () => number, reservationId?: () => string,
 *           output?: HTMLElement, ttlSeconds?: number }} options
 */
export function attachAddToCart(widget, button, { client, quantity = () => 1, reservationId, output, ttlSeconds } = {}) {
  const say = (text, ok) => {
    if (output) { output.textContent = text; output.dataset.outcome = ok ? 'ok' : 'error'; }
  };
  const onClick = async () => {
    const wanted = quantity();
    button.setAttribute('data-busy', '');
    button.disabled = true;
    say('Adding to cart…', true);
    let result;
    try {
      const hold = await client.reserve(widget.productId, { quantity: wanted, reservationId: reservationId?.(), ttlSeconds });
      const until = new Date(hold.expires_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      result = { ok: true, reservation: hold, message: `Added to cart. We hold ${wanted === 1 ? 'it' : `these ${wanted}`} for you until ${until}.` };
    } catch (error) {
      const left = error?.problem?.available_count;
      const message = error?.isOutOfStock
        ? (left > 0 ? `Sorry, only ${left} left.` : 'Sorry, this just sold out.')
        : error?.isNetwork ? 'We could not reach the shop. Please check your connection and try again.'
          : 'Sorry, we could not add this to your cart. Please try again.';
      result = { ok: false, error, message };
    }
    say(result.message, result.ok);
    button.removeAttribute('data-busy');
    await widget.refresh();
    button.disabled = !canAddToCart(widget.state);
    button.dispatchEvent(new CustomEvent('cart-result', { detail: result, bubbles: true }));
  };
  button.addEventListener('click', onClick);
  return () => button.removeEventListener('click', onClick);
}

export function defineInventoryStatus(name = 'inventory-status') {
  if (!customElements.get(name)) customElements.define(name, class extends InventoryStatusElement {});
}

if (globalThis.customElements) defineInventoryStatus();
