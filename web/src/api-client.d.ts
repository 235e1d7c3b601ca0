// Types for api-client.js. Field names are the service's own (snake_case), as in docs/api.md.

export type StockStatus = 'IN_STOCK' | 'LOW_STOCK' | 'OUT_OF_STOCK';
export type AlertType = 'STATUS_CHANGE' | 'RUNS_OUT_SOON';
export type ReservationStatus = 'ACTIVE' | 'RELEASED' | 'FULFILLED' | 'EXPIRED';
export type MoveKind = 'CREATE' | 'HOLD' | 'RELEASE' | 'EXPIRY' | 'SALE' | 'ADJUSTMENT' | 'SET' | 'THRESHOLD' | 'TRANSFER' | 'RECEIPT';
export type ShipmentStatus = 'OPEN' | 'RECEIVED' | 'CLOSED';

export interface ClientOptions {
  /** The service's base URL. Default: the page's origin. */
  baseUrl?: string;
  /** Sent as x-api-key. A storefront uses a read-scoped key; the admin panel an admin key. */
  apiKey?: string | null;
  /** Per attempt. Default 10,000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff ceiling; it doubles per retry up to retryMaxMs. Defaults 250 and 5,000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A Retry-After longer than this is not waited for: the error is thrown. Default 30,000. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface RequestOptions { signal?: AbortSignal }

export type ErrorKind = 'http' | 'network' | 'timeout' | 'aborted' | 'invalid_response';

export declare class ApiError extends Error {
  readonly kind: ErrorKind;
  /** The problem JSON's code ("insufficient_stock", "version_conflict", ...) or "network_error", "timeout", "aborted", "invalid_response". */
  readonly code: string;
  /** HTTP status, 0 when there was no answer. */
  readonly status: number;
  /** The RFC 7807 body, with its extra fields (available_count, current, errors, ...). */
  readonly problem: Record<string, any> | null;
  readonly retryAfterMs: number | null;
  readonly isOutOfStock: boolean;
  readonly isConflict: boolean;
  readonly isNetwork: boolean;
  readonly isUnauthorized: boolean;
  readonly isForbidden: boolean;
}

export interface InventoryRow {
  product_id: string; warehouse_id: string; stock_count: number; reserved_count: number; available_count: number;
  threshold_level: number; status: StockStatus; category: string | null; last_updated: string; version: number; etag: string;
  /** Units still expected on open inbound shipments into this warehouse, and the earliest date (YYYY-MM-DD) one is expected; null where not read (listings). */
  incoming_count?: number | null; next_expected_date?: string | null;
}

/**
 * A product across its warehouses. `available_count`, `threshold_level` and `status` are the lead warehouse's (the one
 * a hold would take from): what one order can get. `stock_count`, `reserved_count` and `total_available_count` are sums.
 */
export interface Inventory {
  product_id: string; stock_count: number; reserved_count: number; available_count: number; total_available_count: number;
  threshold_level: number; status: StockStatus; lead_warehouse_id: string; last_updated: string; warehouses: InventoryRow[];
  /** Summed over the warehouses, and the earliest date; from GET /inventory (null in GET /products/{sku}). */
  incoming_count?: number | null; next_expected_date?: string | null;
}

export interface Transfer {
  transfer_id: string; product_id: string; from_warehouse: string; to_warehouse: string; quantity: number; reason: string | null; transferred_at: string;
}

export interface ShipmentLine {
  shipment_id: string; supplier_reference: string; product_id: string; warehouse_id: string; expected_quantity: number;
  received_quantity: number; incoming_count: number; expected_date: string; allow_over_receipt: boolean; status: ShipmentStatus;
}

export interface Receipt { receipt_id: string; shipment_id: string; lines: { product_id: string; quantity: number }[]; received_at: string; received_by: string }

export interface Shipment {
  shipment_id: string; supplier_reference: string; warehouse_id: string; status: ShipmentStatus; incoming_count: number;
  created_at: string; created_by: string; closed_at: string | null; lines: ShipmentLine[]; receipts: Receipt[];
}

export interface Page<T> { items: T[]; next_token: string | null }

export interface Reservation {
  reservation_id: string; product_id: string; warehouse_id: string; quantity: number; status: ReservationStatus;
  created_at: string; expires_at: string; finished_at: string | null;
}

export interface StockCounts { stock_count: number; reserved_count: number; available_count: number; threshold_level: number }

/** One change of a warehouse row's counts; `sequence` numbers the row's changes in order, `by` names the key (or job). */
export interface HistoryEntry {
  product_id: string; warehouse_id: string; sequence: number; kind: MoveKind; quantity: number;
  before: StockCounts; after: StockCounts; by: string; reason: string | null; reference: string | null; at: string;
}

/** One line of an import file: its number in the file and its cells as text; expected_version is the dry run's version. */
export interface ImportLine {
  line: number; product_id?: string; warehouse_id?: string; stock?: string; adjust?: string; reason?: string; threshold?: string;
  expected_version?: number | null;
}

export type ImportOutcome = 'WOULD_SET' | 'WOULD_ADJUST' | 'UNCHANGED' | 'ERROR' | 'APPLIED';

export interface ImportLineResult {
  line: number; product_id: string | null; warehouse_id: string | null; outcome: ImportOutcome;
  before: StockCounts | null; after: StockCounts | null; version: number | null; error: { code: string; message: string } | null;
}

export interface ImportAnswer {
  import_id: string; dry_run: boolean; lines: ImportLineResult[];
  summary: { would_set: number; would_adjust: number; applied: number; unchanged: number; errors: number };
}

export interface StockAlert {
  alert_id: string; product_id: string; warehouse_id: string; stock_count: number; available_count: number;
  threshold_level: number; old_status: StockStatus; new_status: StockStatus; created_at: string; message: string;
  /** The name of the admin key that acknowledged it and when; null until someone does. */
  acknowledged_by: string | null; acknowledged_at: string | null;
  /** STATUS_CHANGE, or RUNS_OUT_SOON (days of cover fell below the lead time; the status did not move, old = new). */
  alert_type: AlertType;
  /** Set on RUNS_OUT_SOON alerts only: the figures that made it. */
  sold_7d: number | null; sold_28d: number | null; velocity_7d: number | null; velocity_28d: number | null;
  days_of_cover: number | null; lead_time_days: number | null;
}

/** A row's days of cover as evaluated after its latest change (`computed_at`). */
export interface CoverRow {
  product_id: string; warehouse_id: string; available_count: number; sold_7d: number; sold_28d: number;
  velocity_7d: number; velocity_28d: number; days_of_cover: number | null; lead_time_days: number | null;
  runs_out_soon: boolean; computed_at: string;
}

export interface Product {
  sku: string; name: string; description?: string | null; price: number; image_url?: string | null; category?: string | null;
  threshold_level?: number;
  /** Days a restock takes; a warehouse row whose days of cover fall below it gets a RUNS_OUT_SOON alert. */
  lead_time_days?: number | null;
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'failed' | 'closed';

export interface AlertStream { close(): Promise<void>; readonly lastEventId: string | null }

export interface InventoryClient {
  readonly settings: Required<Omit<ClientOptions, 'apiKey'>> & { apiKey: string | null };
  health(o?: RequestOptions): Promise<{ status: string }>;

  getInventory(productId: string, o?: RequestOptions & { warehouseId?: string }): Promise<Inventory>;
  listInventory(o?: RequestOptions & { category?: string; status?: StockStatus; limit?: number; nextToken?: string | null }): Promise<Page<InventoryRow>>;
  checkAvailability(items: { sku: string; quantity: number }[], o?: RequestOptions): Promise<{
    status: 'AVAILABLE' | 'UNAVAILABLE'; items: { sku: string; quantity: number; found: boolean; available_count: number; available: boolean }[];
  }>;
  setInventory(productId: string, change: { warehouse_id?: string; stock_count?: number; threshold_level?: number; category?: string },
    o?: RequestOptions & { etag?: string; expectedVersion?: number }): Promise<InventoryRow>;
  adjustStock(productId: string, adjustment: { warehouseId?: string; delta: number; reason: string },
    o?: RequestOptions & { idempotencyKey?: string }): Promise<{ adjustment: { warehouse_id: string; delta: number; reason: string; applied_at: string }; inventory: InventoryRow }>;

  /** Moves available units between two rows of the product, all or nothing; idempotent on its key. */
  transferStock(productId: string, transfer: { fromWarehouse: string; toWarehouse: string; quantity: number; reason?: string },
    o?: RequestOptions & { idempotencyKey?: string }): Promise<{ transfer: Transfer; from: InventoryRow | null; to: InventoryRow | null }>;

  reserve(productId: string, hold: { quantity: number; reservationId?: string; warehouseId?: string; ttlSeconds?: number }, o?: RequestOptions): Promise<Reservation>;
  getReservation(productId: string, reservationId: string, o?: RequestOptions): Promise<Reservation>;
  extendReservation(productId: string, reservationId: string, ttlSeconds: number, o?: RequestOptions): Promise<Reservation>;
  releaseReservation(productId: string, reservationId: string, o?: RequestOptions): Promise<void>;
  reserveOrder(order: { reservationId?: string; ttlSeconds?: number; items: { productId: string; quantity: number; warehouseId?: string }[] },
    o?: RequestOptions): Promise<{ reservation_id: string; expires_at: string; items: Reservation[] }>;
  listReservations(productId: string, o?: RequestOptions & { status?: ReservationStatus; limit?: number; nextToken?: string | null }): Promise<Page<Reservation>>;
  /** The product's stock history, newest first (admin); `from` and `to` are RFC 3339 times with an offset. */
  listHistory(productId: string, o?: RequestOptions & { warehouseId?: string; kind?: MoveKind; from?: string; to?: string; limit?: number; nextToken?: string | null }): Promise<Page<HistoryEntry>>;

  fulfilOrder(orderId: string, lines: { productId: string; reservationId?: string; quantity?: number; warehouseId?: string }[],
    o?: RequestOptions): Promise<{ order_id: string; status: 'FULFILLED'; fulfilled_at: string; lines: { product_id: string; warehouse_id: string; quantity: number; reservation_id: string | null }[] }>;

  createProduct(product: Product, o?: RequestOptions): Promise<Product & { quantity: number }>;
  getProduct(sku: string, o?: RequestOptions): Promise<Product & { quantity: number; inventory: Inventory }>;
  /** Every product, or with `q` a search: each word of `q` starts a word of the name or sku (accents and case ignored). */
  listProducts(o?: RequestOptions & { q?: string; limit?: number; nextToken?: string | null }): Promise<Page<Product>>;

  createShipment(shipment: {
    shipmentId?: string; supplierReference: string; warehouseId?: string;
    lines: { productId: string; expectedQuantity: number; expectedDate: string; allowOverReceipt?: boolean }[];
  }, o?: RequestOptions): Promise<Shipment>;
  getShipment(shipmentId: string, o?: RequestOptions): Promise<Shipment>;
  listShipmentLines(productId: string, o?: RequestOptions & { status?: 'open' | 'all'; limit?: number; nextToken?: string | null }): Promise<Page<ShipmentLine>>;
  receiveShipment(shipmentId: string, receipt: { receiptId?: string; lines: { productId: string; quantity: number }[] },
    o?: RequestOptions): Promise<{ receipt: Receipt; shipment: Shipment }>;
  closeShipment(shipmentId: string, o?: RequestOptions): Promise<Shipment>;

  runThresholdCheck(o?: RequestOptions): Promise<{ rows_scanned: number; statuses_repaired: number }>;
  /** Newest first; the filters apply after each page is read, so a page may be short (even empty) with a next_token. */
  listAlerts(o?: RequestOptions & { limit?: number; nextToken?: string | null; acknowledged?: boolean; status?: StockStatus; productId?: string; alertType?: AlertType }): Promise<Page<StockAlert>>;
  acknowledgeAlert(alertId: string, o?: RequestOptions): Promise<StockAlert>;
  /** Rows by days of cover, soonest to run out first; with `productId`, that product's rows (admin). */
  listCover(o?: RequestOptions & { productId?: string; limit?: number; nextToken?: string | null }): Promise<Page<CoverRow>>;
  /** Sets the product's lead time in days (0 clears it) and evaluates its rows against it at once (admin). */
  setLeadTime(sku: string, leadTimeDays: number, o?: RequestOptions): Promise<Product & { quantity: number; inventory: Inventory | null }>;
  checkInvariants(o?: RequestOptions & { productId?: string }): Promise<{ rows_checked: number; active_reservations: number; violations: unknown[]; holds: boolean }>;

  /** Checks (dryRun: true) or applies up to 500 lines of a stock import; each line is applied once per import id. */
  importLines(importId: string, lines: ImportLine[], o?: RequestOptions & { dryRun: boolean; overwrite?: boolean }): Promise<ImportAnswer>;
  /** The stock rows as CSV text (the import's columns first, so it imports again as it is). */
  exportStockCsv(o?: RequestOptions & { category?: string; status?: StockStatus }): Promise<string>;
  /** A product's stock history as CSV text, newest first. */
  exportHistoryCsv(productId: string, o?: RequestOptions & { warehouseId?: string; kind?: MoveKind; from?: string; to?: string }): Promise<string>;

  streamAlerts(o: { onAlert: (alert: StockAlert) => void; onStatus?: (status: StreamStatus, error?: ApiError) => void; lastEventId?: string | null; signal?: AbortSignal }): AlertStream;
}

export declare function createClient(options?: ClientOptions): InventoryClient;
export declare function parseRetryAfter(value: string | null, now?: number): number | null;
export declare function isRetryable(error: ApiError, idempotent: boolean): boolean;
export declare function readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string; id: string | null }>;
