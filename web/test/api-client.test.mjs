import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createClient, parseRetryAfter, readEvents } from '../src/api-client.js';

/** A fetch that answers from a script of responses (or throws), recording every request. */
function scriptedFetch(...script) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init, headers: init.headers });
    const next = script.length > 1 ? script.shift() : script[0];
    if (next instanceof Error) throw next;
    // A clone each time, so a scripted answer can be given more than once.
    return typeof next === 'function' ? next(url, init) : next.clone();
  };
  return { fetch, calls };
}

const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const problem = (status, code, extra = {}, headers = {}) =>
  new Response(JSON.stringify({ status, code, title: code, detail: `detail of ${code}`, ...extra }), { status, headers: { 'content-type': 'application/problem+json', ...headers } });
const client = (fetch, options = {}) => createClient({ baseUrl: 'http://api.test/', apiKey: 'k1', fetch, retryBaseMs: 1, retryMaxMs: 2, ...options });

test('Retry-After is read as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000 + 5_000).toUTCString(), 10_000), 5000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(null), null);
});

test('a read is sent with the key to the right URL and returns the body', async () => {
  const { fetch, calls } = scriptedFetch(json(200, { product_id: 'a b', available_count: 3 }));
  const body = await client(fetch).getInventory('a b', { warehouseId: 'main' });
  assert.equal(body.available_count, 3);
  assert.equal(calls[0].url, 'http://api.test/inventory/a%20b?warehouse_id=main');
  assert.equal(calls[0].headers['x-api-key'], 'k1');
});

test('the stock history is asked for with its filters in the query, the times escaped', async () => {
  const { fetch, calls } = scriptedFetch(json(200, { items: [], next_token: null }));
  const page = await client(fetch).listHistory('demo-mug', { warehouseId: 'east', kind: 'SALE', from: '2026-11-29T10:00:00+01:00', limit: 20, nextToken: 'abc' });
  assert.deepEqual(page, { items: [], next_token: null });
  const url = new URL(calls[0].url);
  assert.equal(url.pathname, '/inventory/demo-mug/history');
  assert.deepEqual(Object.fromEntries(url.searchParams),
    { warehouse_id: 'east', kind: 'SALE', from: '2026-11-29T10:00:00+01:00', limit: '20', next_token: 'abc' });
});

test('days of cover are listed with their paging and product filter in the query', async () => {
  const { fetch, calls } = scriptedFetch(json(200, { items: [], next_token: null }));
  await client(fetch).listCover({ productId: 'demo-mug', limit: 20, nextToken: 'abc' });
  const url = new URL(calls[0].url);
  assert.equal(url.pathname, '/admin/cover');
  assert.deepEqual(Object.fromEntries(url.searchParams), { product_id: 'demo-mug', limit: '20', next_token: 'abc' });
});

test('a lead time is an absolute PUT, so it is sent again after a lost answer', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('fetch failed'), json(200, { sku: 'a b', lead_time_days: 14 }));
  const product = await client(fetch).setLeadTime('a b', 14);
  assert.equal(product.lead_time_days, 14);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].url, 'http://api.test/products/a%20b/lead-time');
  assert.equal(calls[1].init.method, 'PUT');
  assert.deepEqual(JSON.parse(calls[1].init.body), { lead_time_days: 14 });
});

test('a read survives a network error: it is retried', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('fetch failed'), json(200, { ok: true }));
  assert.deepEqual(await client(fetch).health(), { ok: true });
  assert.equal(calls.length, 2);
});

test('a versioned PUT is not repeated after a lost answer, because it may have been applied', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('fetch failed'), json(200, {}));
  const error = await client(fetch).setInventory('p', { stock_count: 5 }, { etag: '"3"' }).catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.kind, 'network');
  assert.ok(error.isNetwork);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].headers['if-match'], '"3"');
});

test('429 is retried even for a PUT (nothing changed), after the Retry-After the server asked for', async () => {
  const { fetch, calls } = scriptedFetch(problem(429, 'rate_limited', {}, { 'retry-after': '0' }), json(200, { version: 4 }));
  assert.equal((await client(fetch).setInventory('p', { stock_count: 5 }, { expectedVersion: 3 })).version, 4);
  assert.equal(calls.length, 2);
  assert.equal(JSON.parse(calls[1].init.body).expected_version, 3);
});

test('a Retry-After longer than the client will wait is returned as the error at once', async () => {
  const { fetch, calls } = scriptedFetch(problem(503, 'storage_unavailable', {}, { 'retry-after': '120' }));
  const error = await client(fetch).getInventory('p').catch((e) => e);
  assert.equal(error.code, 'storage_unavailable');
  assert.equal(error.retryAfterMs, 120_000);
  assert.equal(calls.length, 1);
});

test('5xx on a read is retried up to the limit, then the problem code is reported', async () => {
  const { fetch, calls } = scriptedFetch(problem(500, 'internal_error'));
  const error = await client(fetch, { retries: 2 }).getInventory('p').catch((e) => e);
  assert.equal(calls.length, 3);
  assert.equal(error.status, 500);
  assert.equal(error.code, 'internal_error');
});

test('refusals are typed errors carrying the problem: out of stock is not a conflict is not the network', async () => {
  const { fetch, calls } = scriptedFetch(problem(409, 'insufficient_stock', { available_count: 2, requested: 5 }));
  const error = await client(fetch).reserve('p', { quantity: 5, reservationId: 'cart-1' }).catch((e) => e);
  assert.equal(calls.length, 1, 'a refusal is an answer, not retried');
  assert.ok(error.isOutOfStock);
  assert.ok(!error.isConflict && !error.isNetwork);
  assert.equal(error.problem.available_count, 2);
  const sent = JSON.parse(calls[0].init.body);
  assert.deepEqual(sent, { quantity: 5, reservation_id: 'cart-1' });

  const conflict = await client(scriptedFetch(problem(412, 'version_conflict', { current: { version: 9 } })).fetch)
    .setInventory('p', { stock_count: 1 }, { etag: '"8"' }).catch((e) => e);
  assert.ok(conflict.isConflict);
  assert.equal(conflict.problem.current.version, 9);
});

test('a reservation is retried after a lost answer with the same reservation_id, so it holds once', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('reset'), json(201, { reservation_id: 'x' }));
  await client(fetch).reserve('p', { quantity: 1 });
  assert.equal(calls.length, 2);
  const ids = calls.map((c) => JSON.parse(c.init.body).reservation_id);
  assert.ok(ids[0]);
  assert.equal(ids[0], ids[1]);
});

test('an adjustment keeps one Idempotency-Key across retries', async () => {
  const { fetch, calls } = scriptedFetch(problem(502, 'http_502'), json(200, { adjustment: {}, inventory: {} }));
  await client(fetch).adjustStock('p', { delta: 5, reason: 'count' });
  assert.equal(calls.length, 2);
  assert.ok(calls[0].headers['idempotency-key']);
  assert.equal(calls[0].headers['idempotency-key'], calls[1].headers['idempotency-key']);
});

test('a request that takes too long times out and is reported as such', async () => {
  const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  const { fetch, calls } = scriptedFetch(hang);
  const error = await client(fetch, { timeoutMs: 20, retries: 1 }).getInventory('p').catch((e) => e);
  assert.equal(error.kind, 'timeout');
  assert.equal(error.code, 'timeout');
  assert.equal(calls.length, 2);
});

test('an answer that is not JSON is an invalid_response, not a crash', async () => {
  const { fetch } = scriptedFetch(new Response('<html>proxy</html>', { status: 200 }));
  const error = await client(fetch).getInventory('p').catch((e) => e);
  assert.equal(error.code, 'invalid_response');
});

function streamOf(...chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({ start(controller) { for (const c of chunks) controller.enqueue(encoder.encode(c)); controller.close(); } });
}

test('server-sent events are parsed across arbitrary chunk boundaries', async () => {
  const events = [];
  for await (const e of readEvents(streamOf('event: ready\ndata: {}\n\n: comment\nid: 1.a\nev', 'ent: stock-alert\ndata: {"x":', '1}\r\n\r\n'))) events.push(e);
  assert.deepEqual(events, [
    { event: 'ready', data: '{}', id: null },
    { event: 'stock-alert', data: '{"x":1}', id: '1.a' },
  ]);
});

test('the alert stream reconnects after a drop and resumes from the last event id', async () => {
  const alerts = [];
  const statuses = [];
  let connections = 0;
  const seenLastEventIds = [];
  let stream;
  const done = new Promise((resolve) => {
    const fetch = async (url, init) => {
      connections++;
      seenLastEventIds.push(init.headers['last-event-id'] ?? null);
      if (connections === 1) return new Response(streamOf('event: ready\ndata: {}\n\n', 'id: 10.a\nevent: stock-alert\ndata: {"alert_id":"a"}\n\n'));
      if (connections === 2) return new Response(streamOf('event: ready\ndata: {}\n\n', 'id: 11.b\nevent: stock-alert\ndata: {"alert_id":"b"}\n\n'));
      resolve();
      return new Promise(() => {});
    };
    stream = client(fetch).streamAlerts({ onAlert: (a) => alerts.push(a.alert_id), onStatus: (s) => statuses.push(s) });
  });
  await done;
  assert.deepEqual(alerts, ['a', 'b']);
  assert.deepEqual(seenLastEventIds, [null, '10.a', '11.b']);
  assert.ok(statuses.includes('live') && statuses.includes('reconnecting'));
  await Promise.race([stream.close(), new Promise((r) => setTimeout(r, 100))]);
});

test('the alert stream gives up on a refused key instead of retrying forever', async () => {
  const statuses = [];
  const { fetch, calls } = scriptedFetch(problem(403, 'forbidden'));
  const stream = client(fetch).streamAlerts({ onAlert: () => {}, onStatus: (s, e) => statuses.push([s, e?.code]) });
  await stream.close();
  assert.equal(calls.length, 1);
  assert.deepEqual(statuses.at(-1), ['failed', 'forbidden']);
});

test('a cancelled request is reported as aborted and never retried', async () => {
  const { fetch, calls } = scriptedFetch(json(200, {}));
  const cancel = new AbortController();
  cancel.abort();
  const error = await client(fetch).getInventory('p', { signal: cancel.signal }).catch((e) => e);
  assert.equal(error.code, 'aborted');
  assert.equal(calls.length, 0);
});

test('a transfer keeps one Idempotency-Key across retries and sends the warehouses in the body', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('connection reset'), json(200, { transfer: { transfer_id: 'k' }, from: null, to: null }));
  await client(fetch).transferStock('demo-mug', { fromWarehouse: 'main', toWarehouse: 'east', quantity: 5, reason: 'rebalance' }, { idempotencyKey: 'move-1' });
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => c.headers['idempotency-key']), ['move-1', 'move-1']);
  assert.equal(calls[0].url, 'http://api.test/inventory/demo-mug/transfers');
  assert.deepEqual(JSON.parse(calls[1].init.body), { from_warehouse: 'main', to_warehouse: 'east', quantity: 5, reason: 'rebalance' });
});

test('a receipt is retried after a lost answer with the same receipt_id, and shipments are listed by product', async () => {
  const { fetch, calls } = scriptedFetch(new TypeError('connection reset'), json(201, { receipt: { receipt_id: 'dock-7' }, shipment: {} }));
  await client(fetch).receiveShipment('po 1', { receiptId: 'dock-7', lines: [{ productId: 'demo-mug', quantity: 12 }] });
  assert.equal(calls[0].url, 'http://api.test/shipments/po%201/receipts');
  assert.deepEqual(calls.map((c) => JSON.parse(c.init.body).receipt_id), ['dock-7', 'dock-7']);
  assert.deepEqual(JSON.parse(calls[1].init.body).lines, [{ product_id: 'demo-mug', quantity: 12 }]);

  const listing = scriptedFetch(json(200, { items: [], next_token: null }));
  await client(listing.fetch).listShipmentLines('demo-mug', { status: 'all', limit: 10 });
  assert.equal(listing.calls[0].url, 'http://api.test/shipments?product_id=demo-mug&status=all&limit=10');
});
