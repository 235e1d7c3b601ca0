// The stock import's file handling, with no DOM: CSV parsing (RFC 4180 with what spreadsheets add: a byte order mark,
// CRLF or LF, blank lines), the file's columns, lines naming one row twice, chunks for the service, and the words for
// each outcome. The service checks every cell again; this only shapes what it is sent.

/** The import's columns (docs/api.md); product_id, warehouse_id and one of stock or adjust are required. */
export const IMPORT_COLUMNS = ['product_id', 'warehouse_id', 'stock', 'adjust', 'reason', 'threshold'];

/** Columns of the stock export that the import reads past, so an exported file imports as it is. */
export const EXPORT_ONLY_COLUMNS = ['reserved', 'available', 'status', 'category', 'version', 'last_updated'];

/** Lines per request: well inside the service's 1 MB body limit and API Gateway's 29 s (the service allows 500). */
export const CHUNK_LINES = 500;

/** A template with one line of each kind, offered for download in the panel. */
export const TEMPLATE_CSV = [
  'product_id,warehouse_id,stock,adjust,reason,threshold',
  'demo-tee,main,120,,stock take,10',
  'demo-mug,main,,+24,"PO-1001 received, pallet 2",',
  'demo-poster,main,,-2,damaged in storage,',
  '',
].join('\r\n');

/**
 * The file's records, each with the number of the line it starts on (1-based, as an editor shows it). Quoted cells may
 * hold commas, doubled quotes and line breaks; records with only empty cells (blank lines) are left out.
 * @param {string} text
 * @returns {{ records: { line: number, cells: string[] }[], error: string | null }}
 */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records = [];
  let cells = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  const endRecord = () => {
    cells.push(cell);
    if (cells.some((c) => c.trim() !== '')) records.push({ line: start, cells });
    cells = [];
    cell = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        cell += c;
      }
      continue;
    }
    if (!touched) { start = line; touched = true; }
    if (c === '"' && cell.trim() === '') { quoted = true; cell = ''; }
    else if (c === ',') { cells.push(cell); cell = ''; }
    else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
    } else cell += c;
  }
  if (quoted) return { records, error: `A quoted cell that starts on line ${start} never ends (a " is missing).` };
  if (touched) endRecord();
  return { records, error: null };
}

/**
 * The import's lines from a file's text, or why the file cannot be read at all (no header, a missing or unknown
 * column). Each line carries its number in the file and its cells by column name, as text.
 * @param {string} text
 */
export function readImportFile(text) {
  const { records, error } = parseCsv(text);
  if (error) return { lines: [], error };
  if (records.length === 0) return { lines: [], error: 'The file is empty.' };
  const header = records[0].cells.map((h) => h.trim().toLowerCase());
  const unknown = header.filter((h) => h && !IMPORT_COLUMNS.includes(h) && !EXPORT_ONLY_COLUMNS.includes(h));
  if (unknown.length) {
    return { lines: [], error: `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `“${u}”`).join(', ')}. The columns are ${IMPORT_COLUMNS.join(', ')}.` };
  }
  const missing = ['product_id', 'warehouse_id'].filter((c) => !header.includes(c));
  if (missing.length) return { lines: [], error: `The first line must name the columns; ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing.` };
  if (!header.includes('stock') && !header.includes('adjust')) return { lines: [], error: 'The file needs a stock or an adjust column.' };
  const twice = header.filter((h, i) => h && header.indexOf(h) !== i);
  if (twice.length) return { lines: [], error: `The column “${twice[0]}” appears twice.` };
  if (records.length === 1) return { lines: [], error: 'The file has a header but no lines.' };

  const lines = records.slice(1).map(({ line, cells }) => {
    const out = { line };
    for (const column of IMPORT_COLUMNS) {
      const at = header.indexOf(column);
      const value = at >= 0 ? (cells[at] ?? '') : '';
      if (value !== '') out[column] = value;
    }
    return out;
  });
  return { lines, error: null };
}

/**
 * Lines that name a row another line of the file names too, each with the sentence the service would give: the
 * service sees a chunk at a time, so a repeat across chunks is found here. Neither line is sent.
 * @returns {Map<number, string>}
 */
export function duplicateRows(lines) {
  const byRow = new Map();
  for (const l of lines) {
    const product = (l.product_id ?? '').trim();
    const warehouse = (l.warehouse_id ?? '').trim();
    if (!product || !warehouse) continue;
    const key = `${product}\u0000${warehouse}`;
    byRow.set(key, [...(byRow.get(key) ?? []), l]);
  }
  const found = new Map();
  for (const group of byRow.values()) {
    if (group.length < 2) continue;
    const numbers = group.map((l) => l.line).join(', ');
    for (const l of group) {
      found.set(l.line, `Lines ${numbers} all name product “${l.product_id.trim()}” in warehouse “${l.warehouse_id.trim()}”; keep one of them.`);
    }
  }
  return found;
}

/** The lines in requests of at most `size`. */
export function chunks(lines, size = CHUNK_LINES) {
  const out = [];
  for (let i = 0; i < lines.length; i += size) out.push(lines.slice(i, i + size));
  return out;
}

/**
 * The import's id: the SHA-256 of the file's text, so the same file applied twice is the same import (each line is
 * applied once per import), and any edit makes a new one.
 */
export async function importIdOf(text) {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  // Outside a secure context there is no SubtleCrypto: two 32-bit FNV-1a hashes with different seeds instead.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 16777619) >>> 0;
    b = Math.imul(b ^ text.charCodeAt(text.length - 1 - i), 16777619) >>> 0;
  }
  return `f-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}-${text.length}`;
}

const OUTCOME_WORDS = {
  WOULD_SET: 'would set',
  WOULD_ADJUST: 'would adjust',
  UNCHANGED: 'unchanged',
  ERROR: 'error',
  APPLIED: 'applied',
};

/** The outcome's word, for the table. */
export const outcomeWord = (outcome) => OUTCOME_WORDS[outcome] ?? String(outcome).toLowerCase();

/**
 * What a line does to its row, in a few characters: "stock 10 → 20 (threshold 5 → 4)", "by +5: 10 → 15".
 * `isAdjust`: whether the line is an adjustment (an applied line's outcome does not say).
 */
export function changeText(result, isAdjust = result.outcome === 'WOULD_ADJUST') {
  const { before, after } = result;
  if (!before || !after) return '';
  const stock = before.stock_count === after.stock_count ? `${after.stock_count}` : `${before.stock_count} → ${after.stock_count}`;
  const threshold = before.threshold_level !== after.threshold_level ? ` (threshold ${before.threshold_level} → ${after.threshold_level})` : '';
  if (isAdjust) {
    const d = after.stock_count - before.stock_count;
    return `by ${d > 0 ? '+' : ''}${d}: ${stock}`;
  }
  return `stock ${stock}${threshold}`;
}

/**
 * The end of an apply in numbers and reasons: refusals grouped by reason, each with its lines.
 * @param {{ line: number, outcome: string, error?: { code: string, message: string } | null }[]} results
 */
export function summarize(results) {
  const count = (o) => results.filter((r) => r.outcome === o).length;
  const refused = results.filter((r) => r.outcome === 'ERROR');
  const byCode = new Map();
  for (const r of refused) {
    const code = r.error?.code ?? 'error';
    byCode.set(code, [...(byCode.get(code) ?? []), r.line]);
  }
  return {
    applied: count('APPLIED'),
    wouldSet: count('WOULD_SET'),
    wouldAdjust: count('WOULD_ADJUST'),
    unchanged: count('UNCHANGED'),
    refused: refused.length,
    reasons: [...byCode].map(([code, lines]) => ({ code, lines })).sort((x, y) => y.lines.length - x.lines.length),
  };
}

const REASON_WORDS = {
  unknown_product: 'unknown product',
  unknown_warehouse: 'no stock row in that warehouse',
  not_a_number: 'not a whole number',
  out_of_range: 'number out of range',
  both_stock_and_adjust: 'both stock and adjust given',
  no_stock_or_adjust: 'neither stock nor adjust given',
  reason_required: 'adjustment without a reason',
  threshold_with_adjust: 'threshold given with an adjustment',
  stock_below_held: 'stock below the units held in carts',
  adjust_exceeds_available: 'removes units that are held or not there',
  stock_limit: 'over the stock limit',
  duplicate_row: 'row named on more than one line',
  changed_since_dry_run: 'row changed since the dry run',
  no_dry_run_version: 'no dry run for this line',
  import_line_reused: 'line changed since this file was applied',
  already_applied: 'already applied',
  missing_product: 'empty product_id',
  missing_warehouse: 'empty warehouse_id',
  invalid_id: 'not a valid id',
  zero_adjustment: 'adjustment of 0',
  reason_too_long: 'reason too long',
  request_failed: 'request failed',
};

/** A refusal reason's words, for the summary. */
export const reasonWords = (code) => REASON_WORDS[code] ?? code.replace(/_/g, ' ');
