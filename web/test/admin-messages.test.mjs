import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, day, describeError, describeIncoming, describeTransferError } from '../src/admin-messages.js';

const refused = (code, problem = {}, status = 409) => ({ code, status, problem: { code, detail: 'the service says', ...problem }, message: 'the service says' });

test('a refusal is a sentence with its numbers, not its code', () => {
  assert.equal(describeError(refused('insufficient_stock', { requested: 5, available_count: 3 })), 'Only 3 available — 5 were asked for.');
  assert.equal(describeError(refused('insufficient_stock', { items: [{ requested: 2, available_count: 0 }] })), 'Only 0 available — 2 were asked for.');
  assert.equal(describeError(refused('stock_below_reserved', { reserved_count: 1 })), 'Stock cannot go below the 1 unit held in carts.');
  assert.equal(describeError(refused('reservation_not_active', { reservation_status: 'FULFILLED' })), 'This hold is already fulfilled, so it cannot be changed any more.');
  assert.match(describeError(refused('reservation_expired', { expires_at: '2026-11-30T10:00:00Z' })), /^This hold ran out at .+; its units may already be back on sale\.$/);
  assert.equal(describeError(refused('validation_failed', { errors: { ttl_seconds: ['must be between 5 and 86400.'] } }, 400)), 'ttl seconds must be between 5 and 86400.');
});

test('an unknown code falls back to the service sentence, a server fault to a plain one', () => {
  assert.equal(describeError(refused('something_new')), 'the service says');
  assert.match(describeError(refused('http_502', {}, 502)), /failed on its side/);
  assert.match(describeError({ code: 'network_error', status: 0, problem: null }), /cannot be reached/);
});

test('ages read in the largest units that matter', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  assert.equal(age('2026-11-30T11:59:18Z', now), '42 s');
  assert.equal(age('2026-11-30T11:53:00Z', now), '7 min');
  assert.equal(age('2026-11-30T09:55:00Z', now), '2 h 5 min');
  assert.equal(age('2026-11-27T08:00:00Z', now), '3 d 4 h');
});

test('a refused transfer names the available and the held units, and a missing row says what to do', () => {
  assert.equal(
    describeTransferError(refused('insufficient_stock', { warehouse_id: 'main', requested: 39, available_count: 38, reserved_count: 2 })),
    'Only 38 units available in warehouse main (2 units more are held in carts and cannot be moved) — 39 were asked for. Nothing was moved.');
  assert.equal(
    describeTransferError(refused('insufficient_stock', { warehouse_id: 'main', requested: 2, available_count: 1, reserved_count: 0 })),
    'Only 1 unit available in warehouse main — 2 were asked for. Nothing was moved.');
  assert.match(describeTransferError(refused('warehouse_not_found', { warehouse_id: 'west' }, 404)), /no stock row in warehouse west: create that row first/);
  assert.equal(describeTransferError(refused('validation_failed', { errors: { to_warehouse: ['must be another warehouse than from_warehouse.'] } }, 400)),
    'to warehouse must be another warehouse than from_warehouse.');
});

test('incoming units read as a line on the card, and nothing is said where they were not read', () => {
  assert.equal(describeIncoming({ incoming_count: 30, next_expected_date: '2026-12-05' }), `30 units incoming, next expected ${day('2026-12-05')}`);
  assert.equal(describeIncoming({ incoming_count: 1, next_expected_date: '2026-12-05' }), `1 unit incoming, next expected ${day('2026-12-05')}`);
  assert.equal(describeIncoming({ incoming_count: 0, next_expected_date: null }), 'Nothing incoming');
  assert.equal(describeIncoming({ incoming_count: null }), null);
  assert.equal(describeIncoming({}), null);
  assert.equal(day('2026-12-05'), new Date(2026, 11, 5).toLocaleDateString());
});

test('shipment refusals are sentences too', () => {
  assert.equal(describeError(refused('over_receipt', { expected_quantity: 10, received_quantity: 8, requested: 3 })),
    'That is more than the shipment expects: 8 of 10 already received, 3 more asked for.');
  assert.match(describeError(refused('shipment_closed', { shipment_id: 'po-1', closed_at: '2026-11-30T10:00:00Z' })), /^Shipment po-1 is closed \(since .+\): nothing more can be received on it\.$/);
  assert.equal(describeError(refused('shipment_not_found', { shipment_id: 'po-9' }, 404)), 'There is no shipment po-9.');
});
