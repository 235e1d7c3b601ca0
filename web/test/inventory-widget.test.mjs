import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Window } from 'happy-dom';

// A DOM for the custom element; the module is imported after the globals exist.
const window = new Window({ url: 'https://shop.test/product' });
for (const name of ['HTMLElement', 'customElements', 'document', 'CustomEvent', 'Event']) globalThis[name] = window[name];
globalThis.addEventListener = window.addEventListener.bind(window);
globalThis.removeEventListener = window.removeEventListener.bind(window);
const { describeStock, canAddToCart, attachAddToCart, formatDay, localToday } = await import('../src/inventory-widget.js');
const { ApiError } = await import('../src/api-client.js');

after(() => window.happyDOM.close());

/** A client double for the element: answers getInventory from a queue and counts calls. */
function fakeClient(...answers) {
  const calls = [];
  return {
    calls,
    getInventory: async (productId) => {
      calls.push(productId);
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

const stock = (available, threshold = 5) => ({ product_id: 'p', available_count: available, threshold_level: threshold });
const until = async (condition, what, ms = 2000) => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function mount({ client, product = 'p' } = {}) {
  document.body.innerHTML = '<button id="add">Add</button>';
  const element = document.createElement('inventory-status');
  element.setAttribute('add-to-cart', '#add');
  element.setAttribute('refresh-seconds', '0');
  element.client = client;
  element.setAttribute('product-id', product);
  const changes = [];
  element.addEventListener('inventory-change', (e) => changes.push(e.detail.state));
  document.body.append(element);
  return { element, button: document.getElementById('add'), text: () => element.shadowRoot.querySelector('[part="text"]').textContent, changes };
}

test('the words come from available units against the threshold', () => {
  assert.deepEqual(describeStock(stock(50)), { state: 'in-stock', text: 'In stock', available: 50 });
  assert.deepEqual(describeStock(stock(6)), { state: 'in-stock', text: 'In stock', available: 6 });
  assert.deepEqual(describeStock(stock(5)), { state: 'low-stock', text: 'Low stock: only 5 left', available: 5 });
  assert.deepEqual(describeStock(stock(1)), { state: 'low-stock', text: 'Low stock: only 1 left', available: 1 });
  assert.deepEqual(describeStock(stock(0)), { state: 'out-of-stock', text: 'Out of stock', available: 0 });
  assert.equal(describeStock({}).state, 'unavailable');
  assert.equal(describeStock(null).text, 'Stock status unavailable');
  assert.deepEqual(['loading', 'in-stock', 'low-stock', 'out-of-stock', 'unavailable'].map(canAddToCart), [false, true, true, false, false]);
});

test('it shows loading, then the stock, in a live region, and enables the button only when buyable', async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  const client = fakeClient(stock(3));
  const slow = { getInventory: async (id) => { await gate; return client.getInventory(id); } };
  const { element, button, text, changes } = mount({ client: slow });
  assert.equal(element.getAttribute('state'), 'loading');
  assert.equal(text(), 'Checking stock…');
  assert.ok(button.disabled, 'unknown stock must not be buyable');
  const region = element.shadowRoot.querySelector('[role="status"]');
  assert.equal(region.getAttribute('aria-live'), 'polite');

  release();
  await until(() => element.state === 'low-stock', 'low stock');
  assert.equal(text(), 'Low stock: only 3 left');
  assert.equal(button.disabled, false);
  assert.equal(changes.at(-1), 'low-stock');
});

test('an error shows "Stock status unavailable" and disables the button', async () => {
  const errors = [];
  const { element, button, text } = mount({ client: fakeClient(new ApiError('down', { kind: 'network', code: 'network_error' })) });
  element.addEventListener('inventory-error', (e) => errors.push(e.detail.error.code));
  await until(() => element.state === 'unavailable', 'unavailable');
  assert.equal(text(), 'Stock status unavailable');
  assert.ok(button.disabled);
  assert.deepEqual(errors, ['network_error']);
});

test('out of stock disables the button', async () => {
  const { element, button, text } = mount({ client: fakeClient(stock(0)) });
  await until(() => element.state === 'out-of-stock', 'out of stock');
  assert.equal(text(), 'Out of stock');
  assert.ok(button.disabled);
});

test('it refreshes when the tab regains focus and announces only real changes', async () => {
  const client = fakeClient(stock(20), stock(20), stock(2));
  const { element, text, changes } = mount({ client });
  await until(() => element.state === 'in-stock', 'in stock');

  window.dispatchEvent(new window.Event('focus'));
  await until(() => client.calls.length === 2, 'second read');
  await element.refresh();
  assert.equal(text(), 'In stock');
  assert.deepEqual(changes, ['loading', 'in-stock'], 'the same state again is not announced again');

  window.dispatchEvent(new window.Event('focus'));
  await until(() => element.state === 'low-stock', 'low stock after focus');
  assert.equal(text(), 'Low stock: only 2 left');
  assert.deepEqual(changes, ['loading', 'in-stock', 'low-stock']);
  element.remove();
  const calls = client.calls.length;
  window.dispatchEvent(new window.Event('focus'));
  assert.equal(client.calls.length, calls, 'a removed widget stops listening');
});

test('changing the key while a read is under way reads again with the new key and ignores the old answer', async () => {
  document.body.innerHTML = '';
  const element = document.createElement('inventory-status');
  element.setAttribute('refresh-seconds', '0');
  element.setAttribute('product-id', 'p');
  element.setAttribute('api-base', 'http://api.test');
  element.setAttribute('api-key', 'old-key');
  const keys = [];
  let answerOld;
  window.fetch = globalThis.fetch = async (url, init) => {
    keys.push(init.headers['x-api-key']);
    if (init.headers['x-api-key'] === 'old-key') {
      await new Promise((r) => { answerOld = r; });
      return new Response('{"code":"unauthorized"}', { status: 401 });
    }
    return new Response(JSON.stringify(stock(2)), { status: 200 });
  };
  document.body.append(element);
  await until(() => keys.length === 1, 'the first read');
  element.setAttribute('api-key', 'new-key');
  await until(() => element.state === 'low-stock', 'the read with the new key');
  answerOld();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(element.state, 'low-stock', 'the late answer for the old key must not win');
  assert.deepEqual(keys, ['old-key', 'new-key']);
  element.remove();
});

test('refresh-seconds makes it poll by itself', async () => {
  const client = fakeClient(stock(20), stock(0));
  const { element } = mount({ client });
  element.setAttribute('refresh-seconds', '1');
  await until(() => element.state === 'out-of-stock', 'the periodic refresh', 3000);
  element.remove();
});

test('add to cart reserves, reports the outcome and refreshes the widget', async () => {
  const client = fakeClient(stock(10), stock(8));
  const { element, button } = mount({ client });
  await until(() => element.state === 'in-stock', 'in stock');
  const output = document.createElement('p');
  const reserved = [];
  const cart = {
    reserve: async (productId, hold) => { reserved.push([productId, hold.quantity, hold.reservationId]); return { expires_at: new Date().toISOString() }; },
  };
  attachAddToCart(element, button, { client: cart, quantity: () => 2, reservationId: () => 'line-1', output });
  const result = new Promise((r) => button.addEventListener('cart-result', (e) => r(e.detail), { once: true }));
  button.click();
  assert.ok(button.disabled, 'no second click while the first is in flight');
  const outcome = await result;
  assert.ok(outcome.ok);
  assert.deepEqual(reserved, [['p', 2, 'line-1']]);
  assert.match(output.textContent, /^Added to cart\. We hold these 2 for you until /);
  assert.equal(client.calls.length, 2, 'the widget re-read the stock');
  assert.equal(button.disabled, false);
});

test('add to cart explains a refusal for lack of stock', async () => {
  const client = fakeClient(stock(3));
  const { element, button } = mount({ client });
  await until(() => element.state === 'low-stock', 'low stock');
  const output = document.createElement('p');
  const cart = { reserve: async () => { throw new ApiError('short', { kind: 'http', code: 'insufficient_stock', status: 409, problem: { available_count: 2 } }); } };
  attachAddToCart(element, button, { client: cart, output });
  const result = new Promise((r) => button.addEventListener('cart-result', (e) => r(e.detail), { once: true }));
  button.click();
  assert.equal((await result).ok, false);
  assert.equal(output.textContent, 'Sorry, only 2 left.');
  assert.equal(output.dataset.outcome, 'error');
});

test('out of stock with a shipment expected, the date is shown only when asked for and only if it is not past', () => {
  const waiting = { product_id: 'p', available_count: 0, threshold_level: 5, next_expected_date: '2026-12-03' };
  assert.deepEqual(describeStock(waiting), { state: 'out-of-stock', text: 'Out of stock', available: 0 });
  assert.deepEqual(describeStock(waiting, { restockDate: true, today: '2026-11-30', locale: 'en-GB' }), {
    state: 'out-of-stock', text: 'Out of stock. Back in stock around 3 December 2026', available: 0, expectedDate: '2026-12-03',
  });
  assert.equal(describeStock(waiting, { restockDate: true, today: '2026-12-03', locale: 'en-GB' }).expectedDate, '2026-12-03');
  // Late: no date is better than a date already gone.
  assert.equal(describeStock(waiting, { restockDate: true, today: '2026-12-04' }).text, 'Out of stock');
  // In stock, the date is never shown; nor without one.
  assert.equal(describeStock({ ...waiting, available_count: 2 }, { restockDate: true, today: '2026-11-30' }).text, 'Low stock: only 2 left');
  assert.equal(describeStock({ ...waiting, next_expected_date: null }, { restockDate: true }).text, 'Out of stock');
  assert.equal(localToday(new Date(2026, 0, 5)), '2026-01-05');
});

test('the element says when stock is back only with show-restock-date, and follows the attribute', async () => {
  const tomorrow = localToday(new Date(Date.now() + 86_400_000));
  const client = fakeClient({ product_id: 'p', available_count: 0, threshold_level: 5, next_expected_date: tomorrow });
  const { element, text, button } = mount({ client });
  await until(() => element.state === 'out-of-stock', 'out of stock');
  assert.equal(text(), 'Out of stock');
  element.setAttribute('show-restock-date', '');
  await until(() => text() !== 'Out of stock', 'the restock date');
  assert.equal(text(), `Out of stock. Back in stock around ${formatDay(tomorrow)}`);
  assert.equal(button.disabled, true);
  element.removeAttribute('show-restock-date');
  await until(() => text() === 'Out of stock', 'the date to go');
});
