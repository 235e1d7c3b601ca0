// What the admin panel says when the service refuses something: a sentence an operator can act on, built from the
// problem's code and its fields. A code is never shown on its own; an unknown one falls back to the service's own
// sentence (its `detail`).

const lower = (status) => String(status ?? '').replace(/_/g, ' ').toLowerCase();
const units = (n) => `${n} ${Number(n) === 1 ? 'unit' : 'units'}`;

/** Local time of an ISO instant, or '' when there is none. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** "42 s", "7 min", "2 h 5 min" or "3 d 4 h": how long ago `iso` was, seen from `now`. */
export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

const sentences = {
  insufficient_stock: (p) => `Only ${p.available_count ?? p.items?.[0]?.available_count ?? 0} available — ${p.requested ?? p.items?.[0]?.requested} were asked for.`,
  stock_below_reserved: (p) => `Stock cannot go below the ${units(p.reserved_count)} held in carts.`,
  stock_limit_exceeded: (p) => `That would take stock past the limit of ${Number(p.limit).toLocaleString()} units.`,
  reservation_not_active: (p) => `This hold is already ${lower(p.reservation_status)}, so it cannot be changed any more.`,
  reservation_expired: (p) => `This hold ran out${p.expires_at ? ` at ${when(p.expires_at)}` : ''}; its units may already be back on sale.`,
  reservation_not_found: () => 'This hold no longer exists.',
  product_not_found: () => 'This product does not exist (any more).',
  warehouse_not_found: (p) => `This product has no stock row in warehouse ${p.warehouse_id ?? 'asked for'}.`,
  alert_not_found: () => 'This alert no longer exists (alerts are kept 30 days).',
  shipment_not_found: (p) => `There is no shipment ${p.shipment_id ?? 'with that id'}.`,
  shipment_closed: (p) => `Shipment ${p.shipment_id ?? ''} is closed${p.closed_at ? ` (since ${when(p.closed_at)})` : ''}: nothing more can be received on it.`,
  over_receipt: (p) => `That is more than the shipment expects: ${p.received_quantity} of ${p.expected_quantity} already received, ${p.requested} more asked for.`,
  version_conflict: () => 'Someone else changed this row first. Reload to see their values.',
  precondition_required: () => 'This row already exists: reload it, then save again.',
  idempotency_conflict: () => 'This action was already sent with different values. Reload and try again.',
  invalid_token: () => 'The list changed under you. Start again from the first page.',
  contention: () => 'Someone else was changing the same stock at that moment. Nothing changed: try again.',
  storage_busy: () => 'The database is busy right now. Nothing changed: try again in a moment.',
  storage_unavailable: () => 'The database did not answer. Nothing changed: try again in a moment.',
  rate_limited: () => 'Too many requests for this key right now. Wait a moment and try again.',
  internal_error: () => 'The service failed on its side. Nothing changed; if it happens again, tell the team that runs it.',
  network_error: () => 'The inventory service cannot be reached. Check that it is running, then try again.',
  timeout: () => 'The inventory service did not answer in time. Try again.',
};

/** The sentence for a refused call (an ApiError or anything with `code`, `problem` and `message`). */
export function describeError(error) {
  const problem = error?.problem ?? {};
  if (error?.code === 'validation_failed' && problem.errors) {
    return Object.entries(problem.errors).map(([field, messages]) => `${field.replace(/_/g, ' ')} ${messages.join(' ')}`).join(' ');
  }
  const sentence = sentences[error?.code];
  if (sentence) return sentence(problem);
  if (error?.status === 429) return sentences.rate_limited();
  if (error?.status >= 500) return sentences.internal_error();
  return problem.detail ?? error?.message ?? 'Something went wrong.';
}

/** A day (YYYY-MM-DD) as the operator's locale writes it, without shifting it across time zones. */
export const day = (ymd) => {
  if (!ymd) return '';
  const [year, month, date] = ymd.split('-').map(Number);
  return new Date(year, month - 1, date).toLocaleDateString();
};

/** The incoming line of a warehouse card: what open shipments still bring, and when the next one is expected. */
export function describeIncoming(row) {
  if (row?.incoming_count == null) return null; // not read (a listing's or a write's answer): keep what is shown
  if (row.incoming_count === 0) return 'Nothing incoming';
  return `${units(row.incoming_count)} incoming${row.next_expected_date ? `, next expected ${day(row.next_expected_date)}` : ''}`;
}

/** Why a transfer was refused, in the operator's words; held units are named, since that is what surprises. */
export function describeTransferError(error, { from, to } = {}) {
  const p = error?.problem ?? {};
  if (error?.code === 'insufficient_stock') {
    const held = Number(p.reserved_count) > 0 ? ` (${units(p.reserved_count)} more ${Number(p.reserved_count) === 1 ? 'is' : 'are'} held in carts and cannot be moved)` : '';
    return `Only ${units(p.available_count ?? 0)} available in warehouse ${p.warehouse_id ?? from}${held} — ${p.requested} were asked for. Nothing was moved.`;
  }
  if (error?.code === 'warehouse_not_found') {
    return `This product has no stock row in warehouse ${p.warehouse_id ?? to}: create that row first (save stock 0 there), then transfer.`;
  }
  if (error?.code === 'stock_limit_exceeded') return `Warehouse ${to} would pass the limit of ${Number(p.limit).toLocaleString()} units. Nothing was moved.`;
  return describeError(error);
}
