// The demo product page: the widget with the read key, add-to-cart through a reserve-scoped client.
import { createClient } from './api-client.js';
import { attachAddToCart } from './inventory-widget.js';

const params = new URLSearchParams(location.search);
const apiBase = params.get('api') ?? location.origin;
const productId = params.get('product') ?? 'demo-tee';
const readKey = params.get('read_key') ?? 'local-read-key';
const reserveKey = params.get('reserve_key') ?? 'local-reserve-key';

const widget = document.getElementById('stock');
widget.setAttribute('api-base', apiBase);
widget.setAttribute('api-key', readKey);
widget.setAttribute('product-id', productId);

const reader = createClient({ baseUrl: apiBase, apiKey: readKey });
reader.getProduct(productId).then((product) => {
  document.getElementById('name').textContent = product.name;
  document.getElementById('price').textContent = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(product.price);
  document.getElementById('description').textContent = product.description ?? '';
  document.title = `${product.name}: demo shop`;
}).catch(() => {
  document.getElementById('name').textContent = productId;
});

// One cart per tab and a new line id per click; the button is disabled while a click is in flight, and the
// client's retries of one click reuse its id, so nothing is held twice.
const cart = `cart-${crypto.randomUUID().slice(0, 8)}`;
let line = 0;
attachAddToCart(widget, document.getElementById('add'), {
  client: createClient({ baseUrl: apiBase, apiKey: reserveKey }),
  quantity: () => Math.max(1, Number(document.getElementById('quantity').value) || 1),
  reservationId: () => `${cart}-${++line}`,
  output: document.getElementById('cart-message'),
});
