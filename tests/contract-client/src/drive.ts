// A platform developer's first afternoon, with a client generated from /openapi/v1.json: hold units, sell them,
// and be refused a hold for more than there is. Every request and answer is typed by the generated paths, so this
// file only compiles if the document describes the bodies and the errors the service really sends.
import createClient from "openapi-fetch";
import type { paths, components } from "../generated/api.js";

type Problem = components["schemas"]["Problem"];

const baseUrl = required("INVENTORY_URL");
const sku = required("PRODUCT_ID");
const platform = createClient<paths>({ baseUrl, headers: { "x-api-key": required("RESERVE_KEY") } });

const held = await platform.POST("/inventory/{productId}/reserve", {
  params: { path: { productId: sku } },
  body: { quantity: 2, reservation_id: "generated-client-cart" },
});
if (held.response.status !== 201 || !held.data) fail("hold", held.response.status, held.error);
const hold: components["schemas"]["ReservationView"] = held.data;

const sold = await platform.POST("/orders/{orderId}/fulfil", {
  params: { path: { orderId: "generated-client-order" } },
  body: { lines: [{ product_id: sku, reservation_id: hold.reservation_id }] },
});
if (sold.response.status !== 200 || !sold.data) fail("sale", sold.response.status, sold.error);
const sale: components["schemas"]["FulfilmentView"] = sold.data;

const stock = await platform.GET("/inventory/{productId}", { params: { path: { productId: sku } } });
if (!stock.data) fail("read", stock.response.status, stock.error);

const refused = await platform.POST("/inventory/{productId}/reserve", {
  params: { path: { productId: sku } },
  body: { quantity: 1000, reservation_id: "generated-client-too-many" },
});
if (refused.response.status !== 409 || !refused.error) fail("refused hold", refused.response.status, refused.error);
const problem: Problem = refused.error;
const shortItem = problem.items?.[0];

console.log(JSON.stringify({
  hold: { status: hold.status, quantity: hold.quantity, expires_at: hold.expires_at },
  sale: { order_id: sale.order_id, lines: sale.lines.map(l => ({ product_id: l.product_id, quantity: l.quantity })) },
  available_after_sale: stock.data.available_count,
  refusal: { code: problem.code, status: problem.status, trace_id: problem.trace_id, available_count: shortItem?.available_count ?? null },
}));

function required(name: string): string {
  const value = process.env[name];
  if (!value) fail(`environment variable ${name}`, 0, undefined);
  return value;
}

function fail(step: string, status: number, error: unknown): never {
  console.error(`${step} failed: ${status} ${JSON.stringify(error)}`);
  process.exit(1);
}
