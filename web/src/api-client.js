// JavaScript client for the inventory service. No dependencies; works in browsers and Node 18+.
// Types: api-client.d.ts. Built as an ES module (api-client.js) and a <script> file (api-client.global.js,
// which defines window.InventoryApi).

/** Methods whose requests can be sent twice without doing anything twice. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'DELETE']);

/**
 * An error from the service or from the way to it. `code` is the problem JSON's code
 * (for example "insufficient_stock", "version_conflict", "unauthorized"), or "network_error",
 * "timeout", "aborted" or "invalid_response" when there was no usable answer.
 */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{ kind: 'http'|'network'|'timeout'|'aborted'|'invalid_response', code: string, status?: number,
   *           problem?: Record<string, unknown>, retryAfterMs?: number, cause?: unknown }} details
   */
  constructor(message, details) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ApiError';
    this.kind = details.kind;
    this.code = details.code;
    this.status = details.status ?? 0;
    this.problem = details.problem ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
  }

  /** Not enough units available: nothing was held or sold. */
  get isOutOfStock() { return this.code === 'insufficient_stock'; }

  /** Someone else changed the row first (stale ETag or version); `problem.current` holds the row now. */
  get isConflict() { return this.code === 'version_conflict' || this.code === 'idempotency_conflict'; }

  /** The service could not be reached or did not answer in time. */
  get isNetwork() { return this.kind === 'network' || this.kind === 'timeout'; }

  get isUnauthorized() { return this.status === 401; }

  get isForbidden() { return this.status === 403; }
}

/**
 * Parses Retry-After (seconds or an HTTP date) into milliseconds, or null.
 * @param {string|null} value
 * @param {number} now
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * Whether a failed attempt may be tried again.
 * 429 and 503 are answers in which the service promises nothing changed, so any request may be repeated.
 * A lost answer (network error, timeout, 5xx through a proxy) might have followed a change, so only requests
 * that are safe to repeat are retried: reads, releases, and writes that carry their own idempotency key.
 * @param {ApiError} error
 * @param {boolean} idempotent
 */
export function isRetryable(error, idempotent) {
  if (error.kind === 'aborted' || error.kind === 'invalid_response') return false;
  if (error.status === 429 || error.status === 503) return true;
  if (error.kind === 'network' || error.kind === 'timeout') return idempotent;
  return idempotent && error.status >= 500;
}

/**
 * The wait before retry number `attempt` (1-based): the server's Retry-After if it gave one, otherwise
 * exponential backoff with full jitter, so many clients retrying together spread out.
 */
export function retryDelayMs(attempt, error, { baseMs, maxMs, random = Math.random }) {
  if (error.retryAfterMs != null) return error.retryAfterMs;
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  if (signal?.aborted) { reject(abortedError(signal)); return; }
  const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = () => { clearTimeout(timer); reject(abortedError(signal)); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

function abortedError(signal) {
  return new ApiError('The request was cancelled.', { kind: 'aborted', code: 'aborted', cause: signal?.reason });
}

function newKey() {
  return globalThis.crypto?.randomUUID?.() ?? `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const seg = encodeURIComponent;

/**
 * Creates a client.
 * @param {import('./api-client').ClientOptions} options
 * @returns {import('./api-client').InventoryClient}
 */
export function createClient(options = {}) {
  const settings = {
    baseUrl: (options.baseUrl ?? globalThis.location?.origin ?? '').replace(/\/+$/, ''),
    apiKey: options.apiKey ?? null,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 3,
    retryBaseMs: options.retryBaseMs ?? 250,
    retryMaxMs: options.retryMaxMs ?? 5_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    random: options.random ?? Math.random,
  };

  /** One attempt: a fetch with a timeout, turned into a value or an ApiError. */
  async function attempt(method, path, { body, headers, signal, raw = false, timeoutMs = settings.timeoutMs }) {
    if (signal?.aborted) throw abortedError(signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
    try {
      let response;
      try {
        response = await settings.fetch(settings.baseUrl + path, {
          method,
          headers: {
            accept: raw ? 'text/csv, application/problem+json' : 'application/json',
            ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
      } catch (cause) {
        if (signal?.aborted) throw abortedError(signal);
        if (timedOut) {
          throw new ApiError(`No answer from the inventory service within ${timeoutMs} ms.`, { kind: 'timeout', code: 'timeout', cause });
        }
        throw new ApiError('The inventory service could not be reached.', { kind: 'network', code: 'network_error', cause });
      }

      const text = await response.text().catch(() => '');
      // A CSV download is its text; only a refusal is JSON.
      if (raw && response.ok) return { status: response.status, body: text, etag: null, replayed: false };
      let json = null;
      if (text) {
        try { json = JSON.parse(text); } catch { json = null; }
      }

      if (!response.ok) {
        const problem = json && typeof json === 'object' ? json : null;
        const code = typeof problem?.code === 'string' ? problem.code : `http_${response.status}`;
        throw new ApiError(problem?.detail || problem?.title || `The service answered ${response.status}.`, {
          kind: 'http', code, status: response.status, problem,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }

      if (text && json === null) {
        throw new ApiError('The service answered something that is not JSON.', { kind: 'invalid_response', code: 'invalid_response', status: response.status });
      }

      return { status: response.status, body: json, etag: response.headers.get('etag'), replayed: response.headers.get('idempotent-replayed') === 'true' };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A request with retries. `idempotent` says whether repeating it after a lost answer is harmless. */
  async function send(method, path, { body, headers, signal, raw, timeoutMs, idempotent = SAFE_METHODS.has(method) } = {}) {
    for (let n = 1; ; n++) {
      try {
        return await attempt(method, path, { body, headers, signal, raw, timeoutMs });
      } catch (error) {
        if (!(error instanceof ApiError) || n > settings.retries || !isRetryable(error, idempotent)) throw error;
        const wait = retryDelayMs(n, error, { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs, random: settings.random });
        if (wait > settings.maxRetryAfterMs) throw error;
        await sleep(wait, signal);
      }
    }
  }

  const value = async (promise) => (await promise).body;

  return {
    settings,
    send,
    health: (o = {}) => value(send('GET', '/health', o)),

    // Stock
    getInventory: (productId, { warehouseId, ...o } = {}) =>
      value(send('GET', `/inventory/${seg(productId)}${query({ warehouse_id: warehouseId })}`, o)),
    listInventory: ({ category, status, limit, nextToken, ...o } = {}) =>
      value(send('GET', `/inventory${query({ category, status, limit, next_token: nextToken })}`, o)),
    checkAvailability: (items, o = {}) => value(send('POST', '/inventory/check', { ...o, body: { items }, idempotent: true })),
    /** Guarded by `etag` (If-Match) or `expectedVersion`. Not retried after a lost answer: reload and look instead. */
    setInventory: (productId, change, { etag, expectedVersion, ...o } = {}) =>
      value(send('PUT', `/inventory/${seg(productId)}`, {
        ...o,
        body: { ...change, ...(expectedVersion != null ? { expected_version: expectedVersion } : {}) },
        headers: etag ? { 'if-match': etag } : {},
        idempotent: false,
      })),
    /**
     * Moves available units between two warehouse rows of a product. Idempotent through its Idempotency-Key (one is
     * made if not given; keep it for retries of the same transfer), so it is safe to retry.
     */
    transferStock: (productId, { fromWarehouse, toWarehouse, quantity, reason }, { idempotencyKey = newKey(), ...o } = {}) =>
      value(send('POST', `/inventory/${seg(productId)}/transfers`, {
        ...o,
        body: { from_warehouse: fromWarehouse, to_warehouse: toWarehouse, quantity, reason },
        headers: { 'idempotency-key': idempotencyKey },
        idempotent: true,
      })),
    /** Idempotent through its Idempotency-Key (one is made if not given), so it is safe to retry. */
    adjustStock: (productId, { warehouseId, delta, reason }, { idempotencyKey = newKey(), ...o } = {}) =>
      value(send('POST', `/inventory/${seg(productId)}/adjustments`, {
        ...o, body: { warehouse_id: warehouseId, delta, reason }, headers: { 'idempotency-key': idempotencyKey }, idempotent: true,
      })),

    // Reservations (idempotent on reservation_id)
    reserve: (productId, { quantity, reservationId = newKey(), warehouseId, ttlSeconds }, o = {}) =>
      value(send('POST', `/inventory/${seg(productId)}/reserve`, {
        ...o, body: { quantity, reservation_id: reservationId, warehouse_id: warehouseId, ttl_seconds: ttlSeconds }, idempotent: true,
      })),
    getReservation: (productId, reservationId, o = {}) =>
      value(send('GET', `/inventory/${seg(productId)}/reserve/${seg(reservationId)}`, o)),
    extendReservation: (productId, reservationId, ttlSeconds, o = {}) =>
      value(send('POST', `/inventory/${seg(productId)}/reserve/${seg(reservationId)}/extend`, { ...o, body: { ttl_seconds: ttlSeconds }, idempotent: true })),
    releaseReservation: async (productId, reservationId, o = {}) => {
      await send('DELETE', `/inventory/${seg(productId)}/reserve/${seg(reservationId)}`, o);
    },
    reserveOrder: ({ reservationId = newKey(), ttlSeconds, items }, o = {}) =>
      value(send('POST', '/reservations', {
        ...o,
        body: { reservation_id: reservationId, ttl_seconds: ttlSeconds, items: items.map((i) => ({ product_id: i.productId, quantity: i.quantity, warehouse_id: i.warehouseId })) },
        idempotent: true,
      })),
    listReservations: (productId, { status, limit, nextToken, ...o } = {}) =>
      value(send('GET', `/inventory/${seg(productId)}/reservations${query({ status, limit, next_token: nextToken })}`, o)),
    listHistory: (productId, { warehouseId, kind, from, to, limit, nextToken, ...o } = {}) =>
      value(send('GET', `/inventory/${seg(productId)}/history${query({ warehouse_id: warehouseId, kind, from, to, limit, next_token: nextToken })}`, o)),

    // Sales (idempotent on the order id)
    fulfilOrder: (orderId, lines, o = {}) =>
      value(send('POST', `/orders/${seg(orderId)}/fulfil`, {
        ...o,
        body: { lines: lines.map((l) => ({ product_id: l.productId, reservation_id: l.reservationId, quantity: l.quantity, warehouse_id: l.warehouseId })) },
        idempotent: true,
      })),

    // Products (creating the same product again is answered 200, so it is safe to retry)
    createProduct: (product, o = {}) => value(send('POST', '/products', { ...o, body: product, idempotent: true })),
    getProduct: (sku, o = {}) => value(send('GET', `/products/${seg(sku)}`, o)),
    /** An absolute value, so repeating it is harmless: retried like a read. 0 clears it. */
    setLeadTime: (sku, leadTimeDays, o = {}) =>
      value(send('PUT', `/products/${seg(sku)}/lead-time`, { ...o, body: { lead_time_days: leadTimeDays }, idempotent: true })),
    /** Every product, or with `q` those whose name or sku has words starting with each word of `q`. */
    listProducts: ({ q, limit, nextToken, ...o } = {}) => value(send('GET', `/products${query({ q, limit, next_token: nextToken })}`, o)),

    // Inbound shipments (idempotent on shipment_id and receipt_id, so safe to retry)
    createShipment: ({ shipmentId = newKey(), supplierReference, warehouseId, lines }, o = {}) =>
      value(send('POST', '/shipments', {
        ...o,
        body: {
          shipment_id: shipmentId, supplier_reference: supplierReference, warehouse_id: warehouseId,
          lines: lines.map((l) => ({ product_id: l.productId, expected_quantity: l.expectedQuantity, expected_date: l.expectedDate, allow_over_receipt: l.allowOverReceipt })),
        },
        idempotent: true,
      })),
    getShipment: (shipmentId, o = {}) => value(send('GET', `/shipments/${seg(shipmentId)}`, o)),
    /** A product's shipment lines: the open ones (default) or, with status 'all', every one. */
    listShipmentLines: (productId, { status, limit, nextToken, ...o } = {}) =>
      value(send('GET', `/shipments${query({ product_id: productId, status, limit, next_token: nextToken })}`, o)),
    receiveShipment: (shipmentId, { receiptId = newKey(), lines }, o = {}) =>
      value(send('POST', `/shipments/${seg(shipmentId)}/receipts`, {
        ...o, body: { receipt_id: receiptId, lines: lines.map((l) => ({ product_id: l.productId, quantity: l.quantity })) }, idempotent: true,
      })),
    closeShipment: (shipmentId, o = {}) => value(send('POST', `/shipments/${seg(shipmentId)}/close`, { ...o, idempotent: true })),

    // Operations
    runThresholdCheck: (o = {}) => value(send('POST', '/admin/threshold-check', { ...o, idempotent: true })),
    listAlerts: ({ limit, nextToken, acknowledged, status, productId, alertType, ...o } = {}) =>
      value(send('GET', `/admin/alerts${query({ limit, next_token: nextToken, acknowledged, status, product_id: productId, alert_type: alertType })}`, o)),
    /** Idempotent (the first acknowledgement stands), so it is safe to retry. */
    acknowledgeAlert: (alertId, o = {}) => value(send('POST', `/admin/alerts/${seg(alertId)}/acknowledge`, { ...o, idempotent: true })),
    listCover: ({ productId, limit, nextToken, ...o } = {}) =>
      value(send('GET', `/admin/cover${query({ product_id: productId, limit, next_token: nextToken })}`, o)),
    checkInvariants: ({ productId, ...o } = {}) => value(send('GET', `/admin/invariants${query({ product_id: productId })}`, o)),

    // Imports and exports
    /**
     * Checks (dryRun) or applies up to 500 lines of one import. Each line is applied once per import id, so a repeat
     * after a lost answer is safe; a request of 500 lines may take a while, hence the longer timeout.
     */
    importLines: (importId, lines, { dryRun, overwrite, ...o } = {}) =>
      value(send('POST', `/imports/${seg(importId)}/lines${query({ dry_run: dryRun ? 'true' : 'false', overwrite: overwrite ? 'true' : undefined })}`,
        { timeoutMs: 60_000, ...o, body: { lines }, idempotent: true })),
    /** The stock rows (all, or a category's or a status's) as CSV text. */
    exportStockCsv: ({ category, status, ...o } = {}) =>
      value(send('GET', `/admin/exports/stock${query({ category, status })}`, { timeoutMs: 120_000, ...o, raw: true })),
    /** A product's stock history as CSV text, newest first. */
    exportHistoryCsv: (productId, { warehouseId, kind, from, to, ...o } = {}) =>
      value(send('GET', `/admin/exports/history/${seg(productId)}${query({ warehouse_id: warehouseId, kind, from, to })}`, { timeoutMs: 120_000, ...o, raw: true })),

    /**
     * Follows the live alert feed (server-sent events read with fetch, because EventSource cannot send the
     * key). Reconnects after a drop with Last-Event-ID, so no alert is missed, backing off while it fails.
     */
    streamAlerts: ({ onAlert, onStatus = () => {}, lastEventId = null, signal } = {}) => {
      const stop = new AbortController();
      signal?.addEventListener('abort', () => stop.abort(), { once: true });
      let lastId = lastEventId;
      const run = async () => {
        for (let failures = 0; !stop.signal.aborted;) {
          try {
            onStatus(failures === 0 ? 'connecting' : 'reconnecting');
            const response = await settings.fetch(`${settings.baseUrl}/admin/alerts/stream`, {
              headers: { accept: 'text/event-stream', ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}), ...(lastId ? { 'last-event-id': lastId } : {}) },
              signal: stop.signal,
            });
            if (!response.ok) {
              const problem = await response.json().catch(() => null);
              const error = new ApiError(problem?.detail ?? `The alert feed answered ${response.status}.`, {
                kind: 'http', code: problem?.code ?? `http_${response.status}`, status: response.status, problem,
              });
              if (response.status === 401 || response.status === 403 || response.status === 404) {
                onStatus('failed', error);
                return;
              }
              throw error;
            }
            for await (const event of readEvents(response.body)) {
              if (event.id) lastId = event.id;
              if (event.event === 'ready') { failures = 0; onStatus('live'); }
              if (event.event === 'stock-alert') onAlert?.(JSON.parse(event.data));
            }
            throw new ApiError('The alert feed closed.', { kind: 'network', code: 'network_error' });
          } catch (error) {
            if (stop.signal.aborted) break;
            failures++;
            onStatus('reconnecting', error);
            await sleep(Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(failures, 5)), stop.signal).catch(() => {});
          }
        }
        onStatus('closed');
      };
      const done = run();
      return { close: () => { stop.abort(); return done; }, get lastEventId() { return lastId; } };
    },
  };
}

/**
 * Parses a text/event-stream body into { event, data, id } objects.
 * @param {ReadableStream<Uint8Array>} body
 */
export async function* readEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { event: 'message', data: [], id: null };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (event.data.length) yield { event: event.event, data: event.data.join('\n'), id: event.id };
          event = { event: 'message', data: [], id: event.id };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = text;
        else if (field === 'data') event.data.push(text);
        else if (field === 'id') event.id = text;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
