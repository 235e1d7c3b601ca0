// The admin panel: inventory search and paging, per-warehouse edits guarded by ETag, adjustments with a
// reason, a product's reservations and stock history, and low-stock alerts as they arrive. Data only ever goes in via
// textContent, never as HTML.
import { chooseApi, keyEntry, savedKeyFor } from './admin-api.js';
import { createClient } from './api-client.js';

const KEY_STORAGE = 'inventory-admin-key';
const PAGE_SIZE = 20;
const $ = (selector, root = document) => root.querySelector(selector);
// Served by the service, the API is this origin; hosted elsewhere (S3), ?api=https://... names it, and it must be
// one the page allows (<html data-allowed-apis>), or no key is ever sent.
const API = chooseApi(location, document.documentElement.dataset.allowedApis);

let client = null;
let alertStream = null;
const list = { filters: {}, tokens: [null], index: 0 };
const detail = { productId: null, reservationsToken: null, historyToken: null };

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

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** Messages for what can go wrong with any call; a lost key sends the admin back to the sign-in form. */
function explain(error) {
  if (error?.isUnauthorized || error?.isForbidden) {
    signOut(error.isUnauthorized ? 'The key was refused. Sign in again.' : 'This key cannot administer inventory (it needs the admin scope).');
    return null;
  }
  if (error?.isNetwork) return 'The inventory service cannot be reached. Check that it is running, then try again.';
  if (error?.status === 429) return 'Too many requests for this key right now. Wait a moment and try again.';
  if (error?.code === 'validation_failed' && error.problem?.errors) {
    return Object.entries(error.problem.errors).map(([field, messages]) => `${field} ${messages.join(' ')}`).join(' ');
  }
  return error?.message ?? 'Something went wrong.';
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
  await Promise.all([search({}), startAlerts()]);
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

  body.replaceChildren();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = 'pick';
    tr.tabIndex = 0;
    tr.dataset.product = r.product_id;
    tr.setAttribute('aria-selected', String(r.product_id === detail.productId));
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
}

// ---- one product -------------------------------------------------------------------------------------

async function openDetail(productId) {
  detail.productId = productId;
  for (const tr of document.querySelectorAll('#rows tbody tr')) tr.setAttribute('aria-selected', String(tr.dataset.product === productId));
  $('#detail').hidden = false;
  $('#detail-title').textContent = productId;
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
}

function warehouseCard(productId, row) {
  const card = $('#warehouse-card').content.firstElementChild.cloneNode(true);
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
      } else if (error.code === 'stock_below_reserved') {
        show(message, `Stock cannot go below the ${error.problem?.reserved_count} units held in carts.`, 'error');
      } else {
        const text = explain(error);
        if (text) show(message, text, 'error');
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
      if (text) show(message, text, 'error');
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
    state.textContent = explain(error) ?? '';
    return;
  }
  if (productId !== detail.productId) return;
  for (const r of page.items) {
    const tr = body.insertRow();
    cell(tr, r.reservation_id);
    cell(tr, r.warehouse_id);
    cell(tr, r.quantity, 'num');
    cell(tr, r.status);
    cell(tr, when(r.expires_at));
  }
  detail.reservationsToken = page.next_token;
  $('#res-more').hidden = !page.next_token;
  state.textContent = body.rows.length ? '' : 'No reservations to show.';
}

/** "before → after", or the one value when it did not move. */
const moved = (before, after) => (before === after ? String(after) : `${before} → ${after}`);

async function loadHistory(reset) {
  const productId = detail.productId;
  const body = $('#history tbody');
  const state = $('#history-state');
  if (reset) {
    body.replaceChildren();
    detail.historyToken = null;
  }
  state.textContent = 'Loading…';
  $('#history-more').hidden = true;
  let page;
  try {
    page = await client.listHistory(productId, { kind: $('#history-kind').value || undefined, limit: PAGE_SIZE, nextToken: detail.historyToken });
  } catch (error) {
    state.textContent = explain(error) ?? '';
    return;
  }
  if (productId !== detail.productId) return;
  for (const e of page.items) {
    const tr = body.insertRow();
    tr.dataset.kind = e.kind;
    cell(tr, when(e.at));
    cell(tr, e.warehouse_id);
    cell(tr, e.kind.toLowerCase());
    cell(tr, e.quantity, 'num');
    cell(tr, moved(e.before.stock_count, e.after.stock_count), 'num');
    cell(tr, moved(e.before.reserved_count, e.after.reserved_count), 'num');
    cell(tr, moved(e.before.available_count, e.after.available_count), 'num');
    cell(tr, e.by);
    cell(tr, e.reason ?? '', 'reason');
    cell(tr, e.reference ?? '');
  }
  detail.historyToken = page.next_token;
  $('#history-more').hidden = !page.next_token;
  state.textContent = body.rows.length ? '' : 'No changes to show.';
}

// ---- alerts --------------------------------------------------------------------------------------------

function addAlert(alert, fresh) {
  const listElement = $('#alerts ol');
  if (listElement.querySelector(`[data-id="${CSS.escape(alert.alert_id)}"]`)) return;
  const li = document.createElement('li');
  li.dataset.id = alert.alert_id;
  if (fresh) li.className = 'fresh';
  const title = document.createElement('div');
  title.append(badge(alert.new_status), ` ${alert.product_id} / ${alert.warehouse_id}`);
  const text = document.createElement('div');
  text.textContent = `${alert.available_count} available of ${alert.stock_count}, threshold ${alert.threshold_level} (was ${alert.old_status.replace(/_/g, ' ').toLowerCase()})`;
  const time = document.createElement('div');
  time.className = 'muted';
  time.textContent = when(alert.created_at);
  li.append(title, text, time);
  listElement.prepend(li);
  $('#alerts-state').textContent = '';
}

async function startAlerts() {
  const state = $('#alerts-state');
  state.textContent = 'Loading…';
  try {
    const recent = await client.listAlerts({ limit: PAGE_SIZE });
    for (const alert of recent.items.slice().reverse()) addAlert(alert, false);
    state.textContent = recent.items.length ? '' : 'No alerts yet. New ones appear here as they happen.';
  } catch (error) {
    state.textContent = explain(error) ?? '';
  }
  const labels = { connecting: 'connecting…', live: '● live', reconnecting: 'reconnecting…', failed: 'live feed unavailable', closed: '' };
  alertStream = client.streamAlerts({
    onAlert: (alert) => addAlert(alert, true),
    onStatus: (status) => { $('#feed').textContent = labels[status] ?? status; $('#feed').dataset.status = status; },
  });
}

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
$('#prev').addEventListener('click', () => { list.index--; loadPage(); });
$('#next').addEventListener('click', () => { list.index++; loadPage(); });
$('#rows tbody').addEventListener('click', (event) => {
  const tr = event.target.closest('tr[data-product]');
  if (tr) openDetail(tr.dataset.product);
});
$('#rows tbody').addEventListener('keydown', (event) => {
  const tr = event.target.closest('tr[data-product]');
  if (tr && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); openDetail(tr.dataset.product); }
});
$('#res-status').addEventListener('change', () => loadReservations(true));
$('#res-more').addEventListener('click', () => loadReservations(false));
$('#history-kind').addEventListener('change', () => loadHistory(true));
$('#history-refresh').addEventListener('click', () => loadHistory(true));
$('#history-more').addEventListener('click', () => loadHistory(false));

if (API.error) {
  show($('#login-error'), API.error, 'error');
  $('#login-form button').disabled = true;
} else {
  // Only a key this API accepted is sent again unasked; a key saved for another API stays unsent.
  const saved = savedKeyFor(sessionStorage.getItem(KEY_STORAGE), API.origin);
  if (saved) signIn(saved);
}
