// Compiled, never run: the declared types must accept the documented uses and catch a misuse.
import { ApiError, createClient } from '../src/api-client';
import { attachAddToCart, describeStock } from '../src/inventory-widget';

const client = createClient({ baseUrl: 'https://api.example.com', apiKey: 'read-key', timeoutMs: 5000 });

export async function shopper(): Promise<string> {
  const inventory = await client.getInventory('demo-mug');
  const left: number = inventory.available_count;
  try {
    const hold = await client.reserve('demo-mug', { quantity: 1, reservationId: 'cart-1' });
    return `${left} left, held until ${hold.expires_at}`;
  } catch (error) {
    if (error instanceof ApiError && error.isOutOfStock) return `only ${String(error.problem?.available_count)} left`;
    throw error;
  }
}

export async function admin(): Promise<void> {
  const page = await client.listInventory({ status: 'LOW_STOCK', limit: 20 });
  const row = page.items[0];
  await client.setInventory(row.product_id, { stock_count: 10 }, { etag: row.etag });
  await client.adjustStock(row.product_id, { delta: -1, reason: 'damaged' });
  const stream = client.streamAlerts({ onAlert: (alert) => console.log(alert.new_status) });
  await stream.close();
  // @ts-expect-error a status that does not exist is refused
  await client.listInventory({ status: 'SOLD_OUT' });
  const open = await client.listAlerts({ acknowledged: false, status: 'LOW_STOCK', limit: 20 });
  const seen = await client.acknowledgeAlert(open.items[0].alert_id);
  console.log(seen.acknowledged_by ?? 'nobody', seen.acknowledged_at);
  const found = await client.listProducts({ q: 'crème mug', limit: 10 });
  console.log(found.items[0]?.name, found.next_token);
  const history = await client.listHistory(row.product_id, { kind: 'ADJUSTMENT', from: '2026-11-29T00:00:00Z', limit: 50 });
  const moved: number = history.items[0].after.stock_count - history.items[0].before.stock_count;
  console.log(moved, history.items[0].reason ?? 'no reason', history.next_token);
  // @ts-expect-error a kind that does not exist is refused
  await client.listHistory(row.product_id, { kind: 'TELEPORT' });
  const soonest = await client.listCover({ limit: 20 });
  const days: number | null = soonest.items[0].days_of_cover;
  console.log(days ?? 'no sales', soonest.items[0].runs_out_soon, soonest.items[0].velocity_7d);
  const withLead = await client.setLeadTime(row.product_id, 14);
  console.log(withLead.lead_time_days);
  if (seen.alert_type === 'RUNS_OUT_SOON') console.log(seen.days_of_cover, seen.lead_time_days);
  const transfer = await client.transferStock(row.product_id, { fromWarehouse: 'main', toWarehouse: 'east', quantity: 5, reason: 'rebalance' });
  console.log(transfer.transfer.transfer_id, transfer.from?.available_count, transfer.to?.stock_count);
  const incoming: number | null | undefined = (await client.getInventory(row.product_id)).warehouses[0].incoming_count;
  const shipment = await client.createShipment({
    shipmentId: 'po-1001', supplierReference: 'PO-1001', warehouseId: 'main',
    lines: [{ productId: row.product_id, expectedQuantity: 40, expectedDate: '2026-12-03' }],
  });
  const received = await client.receiveShipment(shipment.shipment_id, { receiptId: 'dock-7', lines: [{ productId: row.product_id, quantity: 12 }] });
  const status: 'OPEN' | 'RECEIVED' | 'CLOSED' = received.shipment.status;
  const lines = await client.listShipmentLines(row.product_id, { status: 'all' });
  console.log(incoming, status, lines.items[0]?.incoming_count, (await client.closeShipment('po-1001')).closed_at);
  await client.listHistory(row.product_id, { kind: 'RECEIPT' });
}

export function widget(): void {
  const element = document.querySelector('inventory-status');
  const button = document.querySelector<HTMLButtonElement>('#add');
  if (element && button) attachAddToCart(element, button, { client, quantity: () => 2 });
  const words: string = describeStock({ available_count: 3, threshold_level: 5 }).text;
  const restock = describeStock({ available_count: 0, threshold_level: 5, next_expected_date: '2026-12-03' }, { restockDate: true }).expectedDate;
  console.log(restock);
  console.log(words, element?.state);
}
