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
