import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHUNK_LINES, TEMPLATE_CSV, changeText, chunks, duplicateRows, importIdOf, parseCsv, readImportFile, summarize,
} from '../src/admin-import.js';

test('CSV: quotes, commas and line breaks in quoted cells, doubled quotes, CRLF, a BOM and blank lines', () => {
  const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",3\r\n\r\n  \n"two\nlines",,\n"last",1,2';
  const { records, error } = parseCsv(text);
  assert.equal(error, null);
  assert.deepEqual(records, [
    { line: 1, cells: ['a', 'b', 'c'] },
    { line: 2, cells: ['x, y', 'say "hi"', '3'] },
    { line: 5, cells: ['two\nlines', '', ''] },
    { line: 7, cells: ['last', '1', '2'] },
  ]);
});

test('CSV: an unterminated quote names the line it starts on', () => {
  const { error } = parseCsv('a,b\n1,"open\n2,3\n');
  assert.match(error, /line 2/);
});

test('an import file: cells by column, in any order, empty cells left out, export-only columns read past', () => {
  const { lines, error } = readImportFile('Warehouse_ID,product_id,stock,adjust,reason,threshold,reserved,status\r\nmain,tee,10,,,4,3,IN_STOCK\r\nmain,mug,,-2,"damaged, box 3",,0,LOW_STOCK\r\n');
  assert.equal(error, null);
  assert.deepEqual(lines, [
    { line: 2, warehouse_id: 'main', product_id: 'tee', stock: '10', threshold: '4' },
    { line: 3, warehouse_id: 'main', product_id: 'mug', adjust: '-2', reason: 'damaged, box 3' },
  ]);
});

test('an import file without its columns is refused as a whole, saying why', () => {
  assert.match(readImportFile('product_id,stock\nx,1').error, /warehouse_id is missing/);
  assert.match(readImportFile('product_id,warehouse_id,stok\nx,main,1').error, /Unknown column “stok”/);
  assert.match(readImportFile('product_id,warehouse_id,reason\nx,main,r').error, /stock or an adjust column/);
  assert.match(readImportFile('product_id,warehouse_id,stock\n').error, /no lines/);
  assert.match(readImportFile('').error, /empty/);
});

test('the template is a valid import', () => {
  const { lines, error } = readImportFile(TEMPLATE_CSV);
  assert.equal(error, null);
  assert.equal(lines.length, 3);
  assert.equal(lines[1].reason, 'PO-1001 received, pallet 2');
});

test('lines naming the same row are all marked, wherever they are in the file', () => {
  const lines = [
    { line: 2, product_id: 'a', warehouse_id: 'main' },
    { line: 3, product_id: 'b', warehouse_id: 'main' },
    { line: 900, product_id: ' a ', warehouse_id: 'main' },
    { line: 901, product_id: 'a', warehouse_id: 'north' },
  ];
  const found = duplicateRows(lines);
  assert.deepEqual([...found.keys()], [2, 900]);
  assert.match(found.get(900), /Lines 2, 900 all name product “a” in warehouse “main”/);
});

test('chunks of at most the request size', () => {
  const lines = Array.from({ length: CHUNK_LINES * 2 + 1 }, (_, i) => i);
  assert.deepEqual(chunks(lines).map((c) => c.length), [CHUNK_LINES, CHUNK_LINES, 1]);
});

test('the import id is the same for the same text and differs for any edit', async () => {
  const a = await importIdOf('product_id,warehouse_id,stock\nx,main,1\n');
  assert.equal(a, await importIdOf('product_id,warehouse_id,stock\nx,main,1\n'));
  assert.notEqual(a, await importIdOf('product_id,warehouse_id,stock\nx,main,2\n'));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('a change in words, and a summary with refusals grouped by reason', () => {
  const counts = (stock, threshold = 5) => ({ stock_count: stock, reserved_count: 0, available_count: stock, threshold_level: threshold });
  assert.equal(changeText({ outcome: 'WOULD_SET', before: counts(10), after: counts(20, 4) }), 'stock 10 → 20 (threshold 5 → 4)');
  assert.equal(changeText({ outcome: 'WOULD_ADJUST', before: counts(10), after: counts(15) }), 'by +5: 10 → 15');
  assert.equal(changeText({ outcome: 'ERROR', before: null, after: null }), '');
  assert.equal(changeText({ outcome: 'APPLIED', before: counts(10), after: counts(7) }, true), 'by -3: 10 → 7');
  assert.equal(changeText({ outcome: 'APPLIED', before: counts(10), after: counts(7) }, false), 'stock 10 → 7');
  const summary = summarize([
    { line: 2, outcome: 'APPLIED' },
    { line: 3, outcome: 'UNCHANGED' },
    { line: 4, outcome: 'ERROR', error: { code: 'stock_below_held', message: '' } },
    { line: 5, outcome: 'ERROR', error: { code: 'changed_since_dry_run', message: '' } },
    { line: 6, outcome: 'ERROR', error: { code: 'changed_since_dry_run', message: '' } },
  ]);
  assert.equal(summary.applied, 1);
  assert.equal(summary.unchanged, 1);
  assert.equal(summary.refused, 3);
  assert.deepEqual(summary.reasons, [{ code: 'changed_since_dry_run', lines: [5, 6] }, { code: 'stock_below_held', lines: [4] }]);
});
