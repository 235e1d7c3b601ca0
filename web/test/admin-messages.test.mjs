import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, describeError } from '../src/admin-messages.js';

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
