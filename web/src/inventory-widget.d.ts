// Types for inventory-widget.js.
import type { ApiError, InventoryClient, Inventory, Reservation } from './api-client';

export type WidgetState = 'loading' | 'in-stock' | 'low-stock' | 'out-of-stock' | 'unavailable';

export interface StockDescription {
  state: WidgetState; text: string; available: number | null;
  /** Out of stock with a shipment expected (YYYY-MM-DD), when restock dates are shown. */
  expectedDate?: string;
}

/**
 * The words and state for an inventory answer: from available units against the threshold. With `restockDate`, an
 * out-of-stock answer whose `next_expected_date` is `today` or later says "Back in stock around <date>".
 */
export declare function describeStock(
  inventory: (Pick<Inventory, 'available_count' | 'threshold_level'> & Partial<Pick<Inventory, 'next_expected_date'>>) | null | undefined,
  options?: { restockDate?: boolean; today?: string; locale?: string },
): StockDescription;
/** Today's date where the page runs, as YYYY-MM-DD. */
export declare function localToday(now?: Date): string;
/** A YYYY-MM-DD date in words, in the locale given (else the browser's). */
export declare function formatDay(day: string, locale?: string): string;
export declare function canAddToCart(state: WidgetState): boolean;

/**
 * <inventory-status product-id api-base api-key warehouse-id refresh-seconds add-to-cart show-restock-date>.
 * show-restock-date (off by default): out of stock with a shipment expected, it says "Back in stock around <date>".
 * Events: 'inventory-change' (detail: StockDescription & { productId }), 'inventory-error' (detail: { error }).
 */
export declare class InventoryStatusElement extends HTMLElement {
  /** Set your own client (for example with a custom fetch); otherwise one is made from the attributes. */
  client: Pick<InventoryClient, 'getInventory'>;
  readonly state: WidgetState;
  readonly available: number | null;
  readonly productId: string | null;
  refresh(): Promise<void>;
}

export interface CartResult { ok: boolean; reservation?: Reservation; error?: ApiError; message: string }

/** Wires a button to reserve the widget's product; returns a function that unwires it. Fires 'cart-result' on the button. */
export declare function attachAddToCart(
  widget: InventoryStatusElement,
  button: HTMLButtonElement,
  options: {
    client: Pick<InventoryClient, 'reserve'>;
    quantity?: () => number;
    reservationId?: () => string;
    output?: HTMLElement;
    ttlSeconds?: number;
  },
): () => void;

export declare function defineInventoryStatus(name?: string): void;

declare global {
  interface HTMLElementTagNameMap { 'inventory-status': InventoryStatusElement }
}
