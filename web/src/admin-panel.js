// The admin panel: product search by name or SKU, inventory filters and paging, per-warehouse edits guarded by ETag, adjustments with a
// reason, incoming units of open shipments per warehouse, transfers between a product's warehouses, a product's holds (released or extended from here), its stock history with a chart of available units, and
// low-stock alerts as they arrive. Data only ever goes in via
// textContent, never as HTML.
import { chooseApi, keyEntry, savedKeyFor } from './admin-api.js';
import { age, describeError, describeIncoming, describeTransferError, when } from './admin-messages.js';
import { createClient } from './api-client.js';
import {
  TEMPLATE_CSV, changeText, chunks, duplicateRows, importIdOf, outcomeWord, readImportFile, reasonWords, summarize,
} from './admin-import.js';

const KEY_STORAGE = 'inventory-admin-key';
const PAGE_SIZE = 20;
const $ = (selector, root = document) => root.querySelector(selector);
// Served by the service, the API is this origin; hosted elsewhere (S3), ?api=https://... names it, and it must be
// one the page allows (<html data-allowed-apis>), or no key is ever sent.
const API = chooseApi(location, document.documentElement.dataset.allowedApis);

let client = null;
let alertStream = null;
const list = { filters: {}, tokens: [null], index: 0, ticket: 0 };
const detail = { productId: null, reservationsToken: null, historyToken: null, historyTicket: 0, reservationsTicket: 0, awaited: null };
/** Product names by sku: stock rows carry only the sku, and a name is read once per product. */
const names = new Map();
/** How much longer one click on Extend keeps a hold (from the later of now and its current end). */
const EXTEND_SECONDS = 15 * 60;
const MAX_HOLD_SECONDS = 86_400;

function show(element, text, kind) {
  element.hidden = !text;
  element.textContent = text ?? '';
  if (kind) {
    element.classList.remove('error', 'ok', 'conflict');
    element.classList.add(kind);
  }
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

function badge(status) {
  const span = document.createElement('span');
  span.className = `badge ${status}`;
  span.textContent = status.replace(/_/g, ' ').toLowerCase();
  return span;
}

/** Messages for what can go wrong with any call; a lost key sends the admin back to the sign-in form. */
function explain(error) {
  if (error?.isUnauthorized || error?.isForbidden) {
    signOut(error.isUnauthorized ? 'The key was refused. Sign in again.' : 'This key cannot administer inventory (it needs the admin scope).');
    return null;
  }
  return describeError(error);
}

/** Shows a result or an error in `element` and moves the keyboard focus there, so it is read out and seen. */
function report(element, text, kind) {
  show(element, text, kind);
  if (text) element.focus();
}

/** Fills every `[data-name-of]` element under `root` with its product's name, reading the names not known yet. */
async function fillNames(root) {
  const elements = [...root.querySelectorAll('[data-name-of]')];
  const missing = [...new Set(elements.map((e) => e.dataset.nameOf))].filter((sku) => !names.has(sku));
  await Promise.all(missing.map(async (sku) => {
    try {
      names.set(sku, (await client.getProduct(sku)).name);
    } catch {
      names.set(sku, ''); // a stock row without a product record: the sku says it all
    }
  }));
  for (const e of elements) e.textContent = names.get(e.dataset.nameOf) ?? '';
}

// ---- sign in -------------------------------------------------------------------------------------------

async function signIn(key) {
  if (API.error) return;
  const candidate = createClient({ baseUrl: API.baseUrl, apiKey: key });
  try {
    await candidate.listInventory({ limit: 1 });
  } catch (error) {
    const message = error.isUnauthorized ? 'This key is not known to the service.'
      : error.isForbidden ? 'This key is valid but cannot administer inventory: use a key with the admin scope.'
        : explain(error);
    show($('#login-error'), message, 'error');
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, keyEntry(API.origin, key));
  client = candidate;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#sign-out').hidden = false;
  $('#who').textContent = 'signed in for this tab';
  show($('#login-error'), null);
  await Promise.all([search({}), startAlerts(), loadCover(true)]);
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  client = null;
  alertStream?.close();
  alertStream = null;
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#sign-out').hidden = true;
  $('#who').textContent = '';
  $('#key').value = '';
  show($('#login-error'), message ?? null, 'error');
}

// ---- inventory list ----------------------------------------------------------------------------------

async function search(filters) {
  list.filters = filters;
  list.tokens = [null];
  list.index = 0;
  await loadPage();
}

async function loadPage() {
  const body = $('#rows tbody');
  const state = $('#list-state');
  // Only the latest listing asked for may fill the table: the first page of everything, still loading when the
  // operator searches for one product, must not replace that product's rows when it arrives last.
  const ticket = ++list.ticket;
  show($('#list-error'), null);
  state.textContent = 'Loading…';
  $('#prev').disabled = $('#next').disabled = true;
  let rows;
  let nextToken = null;
  try {
    if (list.filters.productId) {
      rows = (await client.getInventory(list.filters.productId)).warehouses;
    } else {
      const page = await client.listInventory({ ...list.filters, limit: PAGE_SIZE, nextToken: list.tokens[list.index] });
      rows = page.items;
      nextToken = page.next_token;
    }
  } catch (error) {
    if (ticket !== list.ticket) return;
    body.replaceChildren();
    if (error.code === 'product_not_found') {
      state.textContent = `No product with id “${list.filters.productId}”.`;
      return;
    }
    state.textContent = '';
    const message = explain(error);
    if (message) show($('#list-error'), message, 'error');
    return;
  }

  if (ticket !== list.ticket) return;
  body.replaceChildren();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = 'pick';
    tr.tabIndex = 0;
    tr.dataset.product = r.product_id;
    tr.setAttribute('aria-selected', String(r.product_id === detail.productId));
    cell(tr, names.get(r.product_id) ?? '', 'name').dataset.nameOf = r.product_id;
    cell(tr, r.product_id);
    cell(tr, r.warehouse_id);
    cell(tr, r.stock_count, 'num');
    cell(tr, r.reserved_count, 'num');
    cell(tr, r.available_count, 'num');
    cell(tr, r.threshold_level, 'num');
    cell(tr, '').append(badge(r.status));
    cell(tr, r.category ?? '');
  }
  state.textContent = rows.length ? '' : 'No inventory matches these filters.';
  list.tokens[list.index + 1] = nextToken;
  $('#prev').disabled = list.index === 0;
  $('#next').disabled = !nextToken;
  await fillNames(body);
}

// ---- runs out soonest (GET /admin/cover) -------------------------------------------------------------

const cover = { tokens: [null], index: 0 };

/** "4.25/day", "no sales": a sales pace as an operator reads it. */
const perDay = (velocity) => (Number(velocity) > 0 ? `${Number(velocity).toLocaleString()}/day` : '—');
const days = (n) => (n === null || n === undefined ? '—' : `${Number(n).toLocaleString()} ${Number(n) === 1 ? 'day' : 'days'}`);

async function loadCover(reset) {
  if (reset) { cover.tokens = [null]; cover.index = 0; }
  const body = $('#cover-rows tbody');
  const state = $('#cover-state');
  show($('#cover-error'), null);
  state.textContent = 'Loading…';
  $('#cover-prev').disabled = $('#cover-next').disabled = true;
  let page;
  try {
    page = await client.listCover({ limit: PAGE_SIZE, nextToken: cover.tokens[cover.index] });
  } catch (error) {
    state.textContent = '';
    const message = explain(error);
    if (message) show($('#cover-error'), message, 'error');
    return;
  }
  body.replaceChildren();
  for (const r of page.items) {
    const tr = body.insertRow();
    tr.className = 'pick';
    tr.tabIndex = 0;
    tr.dataset.product = r.product_id;
    cell(tr, names.get(r.product_id) ?? '', 'name').dataset.nameOf = r.product_id;
    cell(tr, r.product_id);
    cell(tr, r.warehouse_id);
    cell(tr, r.available_count, 'num');
    cell(tr, perDay(r.velocity_7d), 'num');
    cell(tr, perDay(r.velocity_28d), 'num');
    const coverCell = cell(tr, days(r.days_of_cover), 'num wrap');
    if (r.runs_out_soon) {
      const soon = document.createElement('span');
      soon.className = 'badge SOON';
      soon.textContent = 'runs out soon';
      coverCell.prepend(soon, ' ');
    }
    cell(tr, days(r.lead_time_days), 'num');
  }
  state.textContent = page.items.length ? '' : 'No row has sold anything in the last 28 days.';
  cover.tokens[cover.index + 1] = page.next_token;
  $('#cover-prev').disabled = cover.index === 0;
  $('#cover-next').disabled = !page.next_token;
  await fillNames(body);
}

// ---- product search (GET /products?q=) ---------------------------------------------------------------

let findSequence = 0;

async function find(q) {
  const sequence = ++findSequence;
  const body = $('#found tbody');
  const state = $('#find-state');
  show($('#find-error'), null);
  if (!q) {
    body.replaceChildren();
    $('#found').hidden = true;
    state.textContent = '';
    return;
  }
  // The service needs one word of two letters or digits; say so instead of sending a search it refuses.
  if (!q.split(/[^\p{L}\p{N}]+/u).some((word) => word.length >= 2)) {
    state.textContent = 'Type at least two letters or digits of a name or SKU.';
    return;
  }
  state.textContent = 'Searching…';
  let page;
  try {
    page = await client.listProducts({ q, limit: PAGE_SIZE });
  } catch (error) {
    if (sequence !== findSequence) return;
    state.textContent = '';
    const message = explain(error);
    if (message) report($('#find-error'), message, 'error');
    return;
  }
  if (sequence !== findSequence) return; // a later search is on its way
  body.replaceChildren();
  for (const p of page.items) {
    names.set(p.sku, p.name);
    const tr = body.insertRow();
    tr.className = 'pick';
    tr.tabIndex = 0;
    tr.dataset.product = p.sku;
    cell(tr, p.name, 'name');
    cell(tr, p.sku);
    cell(tr, p.category ?? '');
  }
  $('#found').hidden = page.items.length === 0;
  state.textContent = page.items.length ? `${page.items.length}${page.next_token ? '+' : ''} found.` : `No product matches “${q}”.`;
}

// ---- one product -------------------------------------------------------------------------------------

async function openDetail(productId) {
  detail.productId = productId;
  detail.awaited = null;
  // Another product's history starts unfiltered.
  for (const id of ['#history-kind', '#history-warehouse', '#history-from', '#history-to']) $(id).value = '';
  for (const tr of document.querySelectorAll('#rows tbody tr')) tr.setAttribute('aria-selected', String(tr.dataset.product === productId));
  $('#detail').hidden = false;
  $('#detail-title').textContent = productId;
  $('#detail-name').textContent = names.get(productId) ?? '';
  $('#detail-name').dataset.nameOf = productId;
  fillNames($('#detail-heading'));
  await Promise.all([loadWarehouses(), loadReservations(true), loadHistory(true)]);
}

async function loadWarehouses() {
  const productId = detail.productId;
  const state = $('#detail-state');
  state.textContent = 'Loading…';
  show($('#detail-error'), null);
  let inventory;
  try {
    inventory = await client.getInventory(productId);
  } catch (error) {
    state.textContent = '';
    const message = error.code === 'product_not_found' ? `Product “${productId}” no longer exists.` : explain(error);
    if (message) show($('#detail-error'), message, 'error');
    return;
  }
  if (productId !== detail.productId) return;
  state.textContent = '';
  const cards = inventory.warehouses.map((row) => warehouseCard(productId, row));
  $('#warehouses').replaceChildren(...cards);
  fillTransferForm(inventory.warehouses);
  fillHistoryWarehouses(inventory.warehouses);
  await Promise.all([loadCharts(productId), loadCardCover(productId), loadLeadTime(productId)]);
}

// ---- sales pace and days of cover per warehouse, and the product's lead time ----------------------------

function fillCover(card, row) {
  $('.cover .SOON', card).hidden = !row?.runs_out_soon;
  $('.cover-text', card).textContent = !row
    ? 'No sales recorded yet.'
    : `Selling ${perDay(row.velocity_7d)} (7 d) · ${perDay(row.velocity_28d)} (28 d) · ${days(row.days_of_cover)} of cover`
      + ` · lead time ${days(row.lead_time_days)} · as of ${when(row.computed_at)}`;
}

async function loadCardCover(productId) {
  let rows;
  try {
    rows = (await client.listCover({ productId, limit: 100 })).items;
  } catch {
    return; // the cards still show the counts; the cover line stays empty
  }
  if (productId !== detail.productId) return;
  for (const card of document.querySelectorAll('#warehouses .row-card')) {
    fillCover(card, rows.find((r) => r.warehouse_id === card.dataset.warehouse));
  }
}

async function loadLeadTime(productId) {
  try {
    const product = await client.getProduct(productId);
    if (productId === detail.productId) $('#lead-time').days.value = product.lead_time_days ?? 0;
  } catch {
    $('#lead-time').days.value = '';
  }
}

$('#lead-time').addEventListener('submit', async (event) => {
  event.preventDefault();
  const productId = detail.productId;
  const form = event.currentTarget;
  const button = $('button', form);
  button.disabled = true;
  try {
    const product = await client.setLeadTime(productId, Number(form.days.value));
    report($('#lead-time-message'), product.lead_time_days
      ? `Lead time saved: ${days(product.lead_time_days)}. Rows with less cover than that are flagged now.`
      : 'Lead time cleared: this product raises no runs-out-soon alerts.', 'ok');
    await Promise.all([loadCardCover(productId), loadCover(false)]);
  } catch (error) {
    const text = explain(error);
    if (text) report($('#lead-time-message'), text, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- transfers between warehouses ---------------------------------------------------------------------

/** The transfer form's warehouses, each with its available units; the choices made survive a reload of the rows. */
function fillTransferForm(rows) {
  const form = $('#transfer');
  const hint = $('#transfer-hint');
  // Another product (or the first one): start from its first two warehouses; the same product keeps the choices made.
  const fresh = form.dataset.product !== detail.productId;
  form.dataset.product = detail.productId;
  for (const name of ['from', 'to']) {
    const select = form[name];
    const chosen = select.value;
    select.replaceChildren(...rows.map((r) => {
      const option = document.createElement('option');
      option.value = r.warehouse_id;
      option.textContent = `${r.warehouse_id} (${r.available_count} available)`;
      return option;
    }));
    if (!fresh && rows.some((r) => r.warehouse_id === chosen)) select.value = chosen;
  }
  if (fresh && rows.length > 1) form.to.value = rows[1].warehouse_id;
  const single = rows.length < 2;
  $('button', form).disabled = single;
  hint.hidden = !single;
  hint.textContent = single ? 'This product has one warehouse. To move stock, first save a stock row in another warehouse.' : '';
}

$('#transfer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const message = $('#transfer-message');
  const productId = detail.productId;
  const from = form.from.value;
  const to = form.to.value;
  const quantity = Number(form.quantity.value);
  if (from === to) {
    report(message, 'Choose two different warehouses: units move from one to the other.', 'error');
    return;
  }
  if (!Number.isInteger(quantity) || quantity < 1) {
    report(message, 'Enter how many units to move: a whole number, 1 or more.', 'error');
    return;
  }
  const button = $('button', form);
  button.disabled = true;
  // One key per intended transfer: a double click or a retry after a lost answer moves the units once.
  form.dataset.key ??= crypto.randomUUID();
  let moved = false;
  try {
    const result = await client.transferStock(productId, { fromWarehouse: from, toWarehouse: to, quantity, reason: form.reason.value.trim() || undefined },
      { idempotencyKey: form.dataset.key });
    moved = true;
    delete form.dataset.key;
    form.quantity.value = '';
    form.reason.value = '';
    const t = result.transfer;
    awaitInHistory(productId, 'TRANSFER', t.transfer_id, 2);
    report(message, `Moved ${t.quantity} ${t.quantity === 1 ? 'unit' : 'units'} from ${t.from_warehouse} to ${t.to_warehouse}.` +
      (result.from && result.to ? ` ${t.from_warehouse} now has ${result.from.available_count} available, ${t.to_warehouse} ${result.to.available_count}.` : ''), 'ok');
  } catch (error) {
    if (error.status && error.status < 500) delete form.dataset.key;
    const text = error?.isUnauthorized || error?.isForbidden ? explain(error) : describeTransferError(error, { from, to });
    if (text) report(message, text, 'error');
  } finally {
    button.disabled = false;
  }
  if (moved && productId === detail.productId) await Promise.all([loadWarehouses(), loadHistory(true), loadPage()]);
});

// ---- chart of available units -----------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
const CHART_POINTS = 100;

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  parent?.append(element);
  return element;
}

/**
 * A step line of available units over time for one row, from its history (oldest first), with its threshold dashed.
 * Hand-drawn SVG: a handful of points needs no chart library.
 */
function availabilityChart(entries, threshold) {
  const width = 480;
  const height = 120;
  const pad = { left: 34, right: 8, top: 8, bottom: 18 };
  const times = entries.map((e) => Date.parse(e.at));
  const values = entries.map((e) => e.after.available_count);
  const t0 = times[0];
  const t1 = Math.max(times[times.length - 1], Date.now());
  const top = Math.max(1, threshold, ...values);
  const x = (t) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - v / top) * (height - pad.top - pad.bottom);

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  svg('line', { class: 'axis', x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) }, root);
  svg('line', { class: 'threshold', x1: pad.left, x2: width - pad.right, y1: y(threshold), y2: y(threshold) }, root);
  // A step line: the count holds its value until the next change.
  let d = `M${x(times[0]).toFixed(1)},${y(values[0]).toFixed(1)}`;
  for (let i = 1; i < values.length; i++) d += ` H${x(times[i]).toFixed(1)} V${y(values[i]).toFixed(1)}`;
  d += ` H${x(t1).toFixed(1)}`;
  svg('path', { class: 'line', d }, root);
  svg('text', { x: pad.left - 4, y: y(top) + 8, 'text-anchor': 'end' }, root).textContent = String(top);
  svg('text', { x: pad.left - 4, y: y(0), 'text-anchor': 'end' }, root).textContent = '0';
  svg('text', { x: pad.left, y: height - 4 }, root).textContent = new Date(t0).toLocaleDateString();
  svg('text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end' }, root).textContent = 'now';
  const title = svg('title', {}, root);
  title.textContent = `Available units over time: from ${values[0]} to ${values[values.length - 1]} now, threshold ${threshold}.`;
  root.setAttribute('aria-label', title.textContent);
  return root;
}

async function loadCharts(productId) {
  let page;
  try {
    page = await client.listHistory(productId, { limit: CHART_POINTS });
  } catch {
    return; // the history table below says what went wrong
  }
  if (productId !== detail.productId) return;
  for (const card of document.querySelectorAll('#warehouses .row-card')) {
    const entries = page.items.filter((e) => e.warehouse_id === card.dataset.warehouse).reverse();
    const figure = $('.chart', card);
    if (!entries.length) {
      figure.querySelector('figcaption').textContent = 'No changes to chart yet.';
      continue;
    }
    const threshold = entries[entries.length - 1].after.threshold_level;
    figure.replaceChildren(availabilityChart(entries, threshold), figure.querySelector('figcaption'));
    figure.querySelector('figcaption').textContent =
      `Available units, last ${entries.length} changes (dashed: threshold ${threshold}).`;
  }
}

function fillCard(card, row) {
  card.dataset.etag = row.etag;
  $('.wh', card).textContent = `Warehouse ${row.warehouse_id}`;
  const status = $('.badge', card);
  status.className = `badge ${row.status}`;
  status.textContent = row.status.replace(/_/g, ' ').toLowerCase();
  $('.counts', card).textContent =
    ` ${row.stock_count} in stock · ${row.reserved_count} held · ${row.available_count} available · updated ${when(row.last_updated)}`;
  $('.version', card).textContent = `version ${row.version}`;
  const incoming = describeIncoming(row);
  if (incoming !== null) {
    const line = $('.incoming', card);
    line.textContent = incoming;
    line.classList.toggle('none', row.incoming_count === 0);
  }
}

function warehouseCard(productId, row) {
  const card = $('#warehouse-card').content.firstElementChild.cloneNode(true);
  card.dataset.product = productId;
  card.dataset.warehouse = row.warehouse_id;
  fillCard(card, row);
  const edit = $('form.edit', card);
  edit.stock.value = row.stock_count;
  edit.threshold.value = row.threshold_level;
  const message = $('.message', card);

  edit.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('button', edit);
    button.disabled = true;
    try {
      const saved = await client.setInventory(
        productId,
        { warehouse_id: row.warehouse_id, stock_count: Number(edit.stock.value), threshold_level: Number(edit.threshold.value) },
        { etag: card.dataset.etag },
      );
      fillCard(card, saved);
      show(message, 'Saved.', 'ok');
      loadPage();
      loadHistory(true);
    } catch (error) {
      if (error.code === 'version_conflict' && error.problem?.current) {
        // Someone else saved first: show what is there now and keep the admin's values, ready to save over it.
        const current = error.problem.current;
        fillCard(card, current);
        loadPage();
        show(message,
          `Someone else changed this row while you were editing. It now has stock ${current.stock_count} and threshold ` +
          `${current.threshold_level} (version ${current.version}). Your values are still in the form: save again to replace them, or reload.`,
          'conflict');
      } else {
        const text = explain(error);
        if (text) report(message, text, 'error');
      }
    } finally {
      button.disabled = false;
    }
  });

  const adjust = $('form.adjust', card);
  adjust.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('button', adjust);
    button.disabled = true;
    // One key per intended adjustment: a double click or a retry after a lost answer applies it once.
    adjust.dataset.key ??= crypto.randomUUID();
    const delta = Number(adjust.delta.value);
    try {
      const result = await client.adjustStock(productId, { warehouseId: row.warehouse_id, delta, reason: adjust.reason.value.trim() },
        { idempotencyKey: adjust.dataset.key });
      awaitInHistory(productId, 'ADJUSTMENT', adjust.dataset.key, 1);
      loadHistory(true);
      delete adjust.dataset.key;
      fillCard(card, result.inventory);
      edit.stock.value = result.inventory.stock_count;
      adjust.reset();
      show(message, `Adjusted by ${delta > 0 ? '+' : ''}${delta}: ${result.adjustment.reason}.`, 'ok');
      loadPage();
    } catch (error) {
      if (error.status && error.status < 500) delete adjust.dataset.key;
      const text = error.isOutOfStock
        ? `Only ${error.problem?.available_count} units are free to remove (the rest are held in carts).`
        : explain(error);
      if (text) report(message, text, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return card;
}

async function loadReservations(reset) {
  const productId = detail.productId;
  const body = $('#reservations tbody');
  const state = $('#res-state');
  const ticket = (detail.reservationsTicket = (detail.reservationsTicket ?? 0) + 1); // only the latest read fills the table
  if (reset) {
    body.replaceChildren();
    detail.reservationsToken = null;
  }
  state.textContent = 'Loading…';
  $('#res-more').hidden = true;
  let page;
  try {
    page = await client.listReservations(productId, { status: $('#res-status').value || undefined, limit: PAGE_SIZE, nextToken: detail.reservationsToken });
  } catch (error) {
    if (ticket === detail.reservationsTicket) state.textContent = explain(error) ?? '';
    return;
  }
  if (productId !== detail.productId || ticket !== detail.reservationsTicket) return;
  for (const r of page.items) {
    const tr = body.insertRow();
    tr.dataset.reservation = r.reservation_id;
    cell(tr, r.reservation_id);
    cell(tr, r.warehouse_id);
    cell(tr, r.quantity, 'num');
    cell(tr, r.status.toLowerCase());
    cell(tr, r.status === 'ACTIVE' ? age(r.created_at) : '', 'num age');
    cell(tr, when(r.expires_at));
    const actions = cell(tr, '', 'actions');
    if (r.status === 'ACTIVE') {
      actions.append(holdButton('Release', 'release danger', (b) => releaseHold(r, b)), holdButton('Extend 15 min', 'extend secondary', (b) => extendHold(r, b)));
    }
  }
  detail.reservationsToken = page.next_token;
  $('#res-more').hidden = !page.next_token;
  state.textContent = body.rows.length ? '' : 'No reservations to show.';
}

function holdButton(text, className, action) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  button.textContent = text;
  button.addEventListener('click', () => action(button));
  return button;
}

/** Asks in the dialog; true only when the admin confirms (Escape and Cancel answer no). */
function confirmAction(text, action) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = action;
  dialog.returnValue = '';
  dialog.showModal();
  $('#confirm-ok').focus();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

async function releaseHold(r, button) {
  const confirmed = await confirmAction(
    `Release hold “${r.reservation_id}”? Its ${r.quantity} ${r.quantity === 1 ? 'unit goes' : 'units go'} back on sale in warehouse ${r.warehouse_id}, and the cart that held them loses them.`,
    'Release');
  if (!confirmed) { button.focus(); return; }
  button.disabled = true;
  try {
    await client.releaseReservation(detail.productId, r.reservation_id);
    awaitInHistory(detail.productId, 'RELEASE', r.reservation_id, 1);
    report($('#res-message'), `Released “${r.reservation_id}”: ${r.quantity} ${r.quantity === 1 ? 'unit is' : 'units are'} back on sale.`, 'ok');
  } catch (error) {
    button.disabled = false;
    const text = explain(error);
    if (text) report($('#res-message'), text, 'error');
  }
  await Promise.all([loadWarehouses(), loadReservations(true), loadHistory(true), loadPage()]);
}

async function extendHold(r, button) {
  button.disabled = true;
  const remaining = Math.max(0, Math.round((Date.parse(r.expires_at) - Date.now()) / 1000));
  try {
    const extended = await client.extendReservation(detail.productId, r.reservation_id, Math.min(MAX_HOLD_SECONDS, remaining + EXTEND_SECONDS));
    report($('#res-message'), `“${r.reservation_id}” is now held until ${when(extended.expires_at)}.`, 'ok');
  } catch (error) {
    const text = explain(error);
    if (text) report($('#res-message'), text, 'error');
  }
  await loadReservations(true);
}

/** "before → after", or the one value when it did not move. */
const moved = (before, after) => (before === after ? String(after) : `${before} → ${after}`);

/**
 * The history follows the change stream, so the operator's own change appears in it a moment after its answer: until
 * `count` entries of `kind` with that reference are listed (or a few seconds pass), the history reads itself again.
 */
function awaitInHistory(productId, kind, reference, count) {
  if (reference) detail.awaited = { productId, kind, reference, count, until: Date.now() + 5000 };
}

/** Reads the history again shortly when the change being awaited is not listed yet and the filters would show it. */
function followAwaited(body, ticket, filters) {
  const awaited = detail.awaited;
  if (!awaited || awaited.productId !== detail.productId) return;
  const listed = [...body.rows].filter((tr) => tr.dataset.kind === awaited.kind && tr.dataset.reference === awaited.reference).length;
  const filteredOut = (filters.kind && filters.kind !== awaited.kind) || filters.to;
  if (listed >= awaited.count || filteredOut || Date.now() > awaited.until) {
    detail.awaited = null;
    return;
  }
  setTimeout(() => { if (ticket === detail.historyTicket) loadHistory(true); }, 250);
}

/** The history warehouse filter lists the product's rows; the choice made survives a reload of the same product's rows. */
function fillHistoryWarehouses(rows) {
  const select = $('#history-warehouse');
  const chosen = select.value;
  const options = rows.map((r) => new Option(r.warehouse_id, r.warehouse_id));
  select.replaceChildren(new Option('all', ''), ...options);
  select.value = rows.some((r) => r.warehouse_id === chosen) ? chosen : '';
}

/** The history filters as the form sets them; a time is the operator's local time, sent as an instant. */
function historyFilters() {
  const instant = (input) => (input.value ? new Date(input.value).toISOString() : undefined);
  return {
    kind: $('#history-kind').value || undefined,
    warehouseId: $('#history-warehouse').value || undefined,
    from: instant($('#history-from')),
    to: instant($('#history-to')),
  };
}

async function loadHistory(reset) {
  const productId = detail.productId;
  const body = $('#history tbody');
  const state = $('#history-state');
  // Only the latest read fills the table: a reload after a change, still on its way when the operator picks a kind,
  // must not add its unfiltered entries to the filtered ones.
  const ticket = (detail.historyTicket = (detail.historyTicket ?? 0) + 1);
  if (reset) {
    body.replaceChildren();
    detail.historyToken = null;
  }
  $('#history-more').hidden = true;
  const filters = historyFilters();
  if (filters.from && filters.to && filters.from > filters.to) {
    state.textContent = 'The “From” time is after the “To” time: nothing can be in between. Change one of them.';
    return;
  }
  state.textContent = 'Loading…';
  let page;
  try {
    page = await client.listHistory(productId, { ...filters, limit: PAGE_SIZE, nextToken: detail.historyToken });
  } catch (error) {
    if (ticket === detail.historyTicket) state.textContent = explain(error) ?? '';
    return;
  }
  if (productId !== detail.productId || ticket !== detail.historyTicket) return;
  for (const e of page.items) {
    const tr = body.insertRow();
    tr.dataset.kind = e.kind;
    tr.dataset.reference = e.reference ?? '';
    cell(tr, when(e.at));
    cell(tr, e.warehouse_id);
    cell(tr, e.kind.toLowerCase());
    cell(tr, e.quantity, 'num');
    cell(tr, moved(e.before.stock_count, e.after.stock_count), 'num');
    cell(tr, moved(e.before.reserved_count, e.after.reserved_count), 'num');
    cell(tr, moved(e.before.available_count, e.after.available_count), 'num');
    cell(tr, e.by);
    cell(tr, e.reason ?? '', 'reason');
    cell(tr, e.reference ?? '', 'reference');
  }
  detail.historyToken = page.next_token;
  $('#history-more').hidden = !page.next_token;
  state.textContent = body.rows.length ? '' : 'No changes to show.';
  if (reset) followAwaited(body, ticket, filters);
}

// ---- alerts --------------------------------------------------------------------------------------------

/** The alert filters as the form sets them (by default, what nobody has acknowledged yet). */
function alertFilters() {
  const acknowledged = $('#alert-ack').value;
  return {
    acknowledged: acknowledged === '' ? undefined : acknowledged === 'true',
    status: $('#alert-status').value || undefined,
    productId: $('#alert-product').value.trim() || undefined,
    alertType: $('#alert-type').value || undefined,
  };
}

/** Whether a live alert belongs in the list as filtered (a new alert is never acknowledged yet). */
function matches(alert, filters) {
  return (filters.acknowledged === undefined || filters.acknowledged === Boolean(alert.acknowledged_at))
    && (!filters.status || alert.new_status === filters.status)
    && (!filters.productId || alert.product_id === filters.productId)
    && (!filters.alertType || (alert.alert_type ?? 'STATUS_CHANGE') === filters.alertType);
}

function fillAcknowledgement(li, alert) {
  const ack = $('.ack', li);
  if (alert.acknowledged_at) {
    ack.replaceChildren(`✓ Acknowledged by ${alert.acknowledged_by} at ${when(alert.acknowledged_at)}`);
    ack.className = 'ack muted acknowledged';
    return;
  }
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = 'Acknowledge';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const acknowledged = await client.acknowledgeAlert(alert.alert_id);
      fillAcknowledgement(li, acknowledged);
      show($('#alerts-message'), null);
      li.tabIndex = -1;
      li.focus();
    } catch (error) {
      button.disabled = false;
      const text = explain(error);
      if (text) report($('#alerts-message'), text, 'error');
    }
  });
  ack.replaceChildren(button);
  ack.className = 'ack';
}

function addAlert(alert, fresh) {
  const listElement = $('#alerts ol');
  if (listElement.querySelector(`[data-id="${CSS.escape(alert.alert_id)}"]`)) return;
  if (fresh && !matches(alert, alertFilters())) return;
  const li = document.createElement('li');
  li.dataset.id = alert.alert_id;
  if (fresh) li.className = 'fresh';
  const title = document.createElement('div');
  const text = document.createElement('div');
  if (alert.alert_type === 'RUNS_OUT_SOON') {
    const soon = document.createElement('span');
    soon.className = 'badge SOON';
    soon.textContent = 'runs out soon';
    title.append(soon, ` ${alert.product_id} / ${alert.warehouse_id}`);
    text.textContent = `${days(alert.days_of_cover)} of cover, lead time ${days(alert.lead_time_days)}: ${alert.available_count} available,`
      + ` selling ${perDay(alert.velocity_7d)} (7 d) and ${perDay(alert.velocity_28d)} (28 d)`;
  } else {
    title.append(badge(alert.new_status), ` ${alert.product_id} / ${alert.warehouse_id}`);
    text.textContent = `${alert.available_count} available of ${alert.stock_count}, threshold ${alert.threshold_level} (was ${alert.old_status.replace(/_/g, ' ').toLowerCase()})`;
  }
  const time = document.createElement('div');
  time.className = 'muted';
  time.textContent = when(alert.created_at);
  const ack = document.createElement('div');
  ack.className = 'ack';
  li.append(title, text, time, ack);
  fillAcknowledgement(li, alert);
  if (fresh) listElement.prepend(li); else listElement.append(li);
  $('#alerts-state').textContent = '';
}

/** Filtered pages may be short (the service filters after reading), so a few are read to fill the list. */
const ALERT_PAGES_PER_LOAD = 5;
let alertsToken = null;
let alertsSequence = 0;

async function loadAlerts(reset) {
  // A load started later (other filters) wins: an earlier one still on its way adds nothing.
  const sequence = ++alertsSequence;
  const state = $('#alerts-state');
  if (reset) {
    $('#alerts ol').replaceChildren();
    alertsToken = null;
  }
  state.textContent = 'Loading…';
  $('#alerts-more').hidden = true;
  const filters = alertFilters();
  let shown = 0;
  try {
    for (let n = 0; n < ALERT_PAGES_PER_LOAD && shown < PAGE_SIZE; n++) {
      const page = await client.listAlerts({ ...filters, limit: PAGE_SIZE, nextToken: alertsToken });
      if (sequence !== alertsSequence) return;
      for (const alert of page.items) addAlert(alert, false);
      shown += page.items.length;
      alertsToken = page.next_token;
      if (!alertsToken) break;
    }
  } catch (error) {
    if (sequence === alertsSequence) state.textContent = explain(error) ?? '';
    return;
  }
  $('#alerts-more').hidden = !alertsToken;
  state.textContent = $('#alerts ol').children.length ? '' : 'No alerts to show. New ones appear here as they happen.';
}

async function startAlerts() {
  await loadAlerts(true);
  const labels = { connecting: 'connecting…', live: '● live', reconnecting: 'reconnecting…', failed: 'live feed unavailable', closed: '' };
  alertStream = client.streamAlerts({
    onAlert: (alert) => addAlert(alert, true),
    onStatus: (status) => { $('#feed').textContent = labels[status] ?? status; $('#feed').dataset.status = status; },
  });
}

// ---- import and export -------------------------------------------------------------------------------

/** Saves text as a file through a temporary link (the export needs the key header, so a plain link cannot fetch it). */
function saveFile(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportCsv(button, message, name, load) {
  button.disabled = true;
  show(message, 'Exporting…', 'ok');
  try {
    const text = await load();
    const rows = Math.max(0, text.split('\r\n').length - 2);
    saveFile(name, text);
    report(message, `Exported ${rows} line${rows === 1 ? '' : 's'} to ${name}.`, 'ok');
  } catch (error) {
    const text = explain(error);
    if (text) report(message, `Export failed: ${text}`, 'error');
  } finally {
    button.disabled = false;
  }
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * The file being imported: its lines, its id, the lines the panel itself refuses (a row named twice), and the
 * versions its dry run saw, which the apply sends back so a row changed since then is not overwritten unasked.
 */
const importState = { file: null, id: null, lines: [], local: new Map(), versions: new Map(), busy: false };

function resetImport() {
  importState.id = null;
  importState.lines = [];
  importState.local = new Map();
  importState.versions = new Map();
  $('#import-apply').disabled = true;
  show($('#import-message'), null);
  show($('#import-summary'), null);
  $('#import-results').hidden = true;
  $('#import-progress-wrap').hidden = true;
}

function progress(done, total, verb) {
  $('#import-progress-wrap').hidden = false;
  $('#import-progress').max = Math.max(1, total);
  $('#import-progress').value = done;
  $('#import-progress-text').textContent = `${verb} ${done} of ${total} lines…`;
}

/** Every line's result in file order: the panel's own refusals with the service's answers. */
function showResults(results) {
  const body = $('#import-results tbody');
  body.replaceChildren();
  const adjustments = new Set(importState.lines.filter((l) => l.adjust !== undefined).map((l) => l.line));
  // Errors first, then the rest, so a long file's problems are at the top; at most 1,000 rows are drawn.
  const rank = (r) => (r.outcome === 'ERROR' ? 0 : 1);
  const ordered = [...results].sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  for (const r of ordered.slice(0, 1000)) {
    const tr = body.insertRow();
    tr.className = r.outcome;
    tr.dataset.line = String(r.line);
    cell(tr, String(r.line), 'num');
    cell(tr, r.product_id);
    cell(tr, r.warehouse_id);
    cell(tr, outcomeWord(r.outcome), 'outcome');
    cell(tr, changeText(r, adjustments.has(r.line)));
    cell(tr, r.error?.message ?? '', 'message');
  }
  $('#import-caption').textContent = results.length > 1000
    ? `The first 1,000 of ${results.length} lines (errors first)`
    : `${results.length} line${results.length === 1 ? '' : 's'}${results.some((r) => r.outcome === 'ERROR') ? ' (errors first)' : ''}`;
  $('#import-results').hidden = false;
}

function localResult(line, code, message) {
  return { line: line.line, product_id: line.product_id ?? null, warehouse_id: line.warehouse_id ?? null, outcome: 'ERROR', before: null, after: null, version: null, error: { code, message } };
}

/** Sends the lines a chunk at a time, one after another, showing progress; a failed request marks its lines. */
async function sendLines(dryRun, overwrite) {
  const sendable = importState.lines.filter((l) => !importState.local.has(l.line));
  const results = importState.lines.filter((l) => importState.local.has(l.line)).map((l) => localResult(l, 'duplicate_row', importState.local.get(l.line)));
  const verb = dryRun ? 'Checked' : 'Applied';
  let done = 0;
  progress(0, sendable.length, verb);
  for (const chunk of chunks(sendable)) {
    const lines = chunk.map((l) => (dryRun ? l : { ...l, expected_version: importState.versions.get(l.line) ?? null }));
    try {
      const answer = await client.importLines(importState.id, lines, { dryRun, overwrite });
      results.push(...answer.lines);
    } catch (error) {
      const text = explain(error);
      if (text === null) return null;
      results.push(...chunk.map((l) => localResult(l, 'request_failed', `Not ${dryRun ? 'checked' : 'applied'}: ${text}`)));
    }
    done += chunk.length;
    progress(done, sendable.length, verb);
  }
  $('#import-progress-text').textContent = `${verb} ${sendable.length} line${sendable.length === 1 ? '' : 's'}.`;
  return results.sort((a, b) => a.line - b.line);
}

function summaryText(s, dryRun) {
  const parts = dryRun
    ? [`${s.wouldSet} would be set`, `${s.wouldAdjust} would be adjusted`, `${s.unchanged} unchanged`, `${s.refused} with errors`]
    : [`${s.applied} applied`, `${s.unchanged} unchanged`, `${s.refused} refused`];
  return `${dryRun ? 'Dry run (nothing was changed)' : 'Import finished'}: ${parts.join(', ')}.`;
}

function showSummary(results, dryRun) {
  const s = summarize(results);
  const element = $('#import-summary');
  element.replaceChildren();
  const head = document.createElement('strong');
  head.textContent = summaryText(s, dryRun);
  element.append(head);
  if (s.reasons.length) {
    const list = document.createElement('ul');
    for (const { code, lines } of s.reasons) {
      const li = document.createElement('li');
      const shown = lines.slice(0, 12).join(', ') + (lines.length > 12 ? ', …' : '');
      li.textContent = `${reasonWords(code)}: ${lines.length} line${lines.length === 1 ? '' : 's'} (${lines.length === 1 ? 'line' : 'lines'} ${shown})`;
      list.append(li);
    }
    element.append(list);
  }
  element.hidden = false;
  element.classList.remove('error', 'ok', 'conflict');
  element.classList.add(s.refused ? 'conflict' : 'ok');
  element.focus();
}

async function loadImportFile() {
  resetImport();
  const file = $('#import-file').files?.[0];
  if (!file) {
    report($('#import-message'), 'Choose a CSV file first.', 'error');
    return false;
  }
  const text = await file.text();
  const { lines, error } = readImportFile(text);
  if (error) {
    report($('#import-message'), `${file.name} cannot be imported: ${error}`, 'error');
    return false;
  }
  importState.file = file;
  importState.lines = lines;
  importState.local = duplicateRows(lines);
  importState.id = await importIdOf(text);
  return true;
}

async function dryRun() {
  if (importState.busy) return;
  importState.busy = true;
  $('#import-dry-run').disabled = true;
  try {
    if (!(await loadImportFile())) return;
    const results = await sendLines(true, false);
    if (!results) return;
    for (const r of results) if (r.version != null) importState.versions.set(r.line, r.version);
    showResults(results);
    showSummary(results, true);
    $('#import-apply').disabled = !results.some((r) => r.outcome === 'WOULD_SET' || r.outcome === 'WOULD_ADJUST');
  } finally {
    importState.busy = false;
    $('#import-dry-run').disabled = false;
  }
}

async function applyImport() {
  if (importState.busy || !importState.id) return;
  importState.busy = true;
  $('#import-apply').disabled = true;
  $('#import-dry-run').disabled = true;
  try {
    const results = await sendLines(false, $('#import-overwrite').checked);
    if (!results) return;
    showResults(results);
    showSummary(results, false);
    if (list.filters) loadPage();
  } finally {
    importState.busy = false;
    $('#import-dry-run').disabled = false;
    $('#import-apply').disabled = false;
  }
}

$('#import-template').href = `data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE_CSV)}`;
$('#import-form').addEventListener('submit', (event) => { event.preventDefault(); dryRun(); });
$('#import-apply').addEventListener('click', () => applyImport());
$('#import-file').addEventListener('change', () => resetImport());
$('#export-stock').addEventListener('click', () => {
  const category = $('#q-category').value.trim() || undefined;
  const status = $('#q-status').value || undefined;
  const name = `stock-${category ?? status ?? 'all'}-${today()}.csv`;
  exportCsv($('#export-stock'), $('#export-message'), name, () => client.exportStockCsv({ category, status }));
});
$('#export-history').addEventListener('click', () => {
  if (!detail.productId) return;
  const productId = detail.productId;
  exportCsv($('#export-history'), $('#detail-error'), `history-${productId}-${today()}.csv`, () => client.exportHistoryCsv(productId, historyFilters()));
});

// ---- wiring --------------------------------------------------------------------------------------------

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  signIn($('#key').value.trim());
});
$('#sign-out').addEventListener('click', () => signOut());
$('#search').addEventListener('submit', (event) => {
  event.preventDefault();
  const productId = $('#q-product').value.trim();
  search(productId ? { productId } : { category: $('#q-category').value.trim() || undefined, status: $('#q-status').value || undefined });
});
$('#clear').addEventListener('click', () => { $('#search').reset(); search({}); });
$('#find').addEventListener('submit', (event) => { event.preventDefault(); find($('#q-find').value.trim()); });
// Results follow the typing, a moment after it pauses.
let findTimer;
$('#q-find').addEventListener('input', () => { clearTimeout(findTimer); findTimer = setTimeout(() => find($('#q-find').value.trim()), 250); });
for (const table of ['#found', '#rows', '#cover-rows']) {
  $(`${table} tbody`).addEventListener('click', (event) => {
    const tr = event.target.closest('tr[data-product]');
    if (tr) openDetail(tr.dataset.product);
  });
  $(`${table} tbody`).addEventListener('keydown', (event) => {
    const tr = event.target.closest('tr[data-product]');
    if (tr && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); openDetail(tr.dataset.product); }
  });
}
$('#prev').addEventListener('click', () => { list.index--; loadPage(); });
$('#cover-prev').addEventListener('click', () => { cover.index--; loadCover(false); });
$('#cover-next').addEventListener('click', () => { cover.index++; loadCover(false); });
$('#cover-refresh').addEventListener('click', () => loadCover(true));
$('#next').addEventListener('click', () => { list.index++; loadPage(); });
$('#res-status').addEventListener('change', () => loadReservations(true));
$('#res-more').addEventListener('click', () => loadReservations(false));
for (const id of ['#history-kind', '#history-warehouse', '#history-from', '#history-to']) $(id).addEventListener('change', () => loadHistory(true));
$('#history-refresh').addEventListener('click', () => loadHistory(true));
$('#history-more').addEventListener('click', () => loadHistory(false));
$('#alert-filter').addEventListener('submit', (event) => { event.preventDefault(); loadAlerts(true); });
for (const select of ['#alert-ack', '#alert-status', '#alert-type']) $(select).addEventListener('change', () => loadAlerts(true));
$('#alerts-more').addEventListener('click', () => loadAlerts(false));

if (API.error) {
  show($('#login-error'), API.error, 'error');
  $('#login-form button').disabled = true;
} else {
  // Only a key this API accepted is sent again unasked; a key saved for another API stays unsent.
  const saved = savedKeyFor(sessionStorage.getItem(KEY_STORAGE), API.origin);
  if (saved) signIn(saved);
}
