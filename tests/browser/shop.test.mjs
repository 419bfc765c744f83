// Shopping as a guest: downtown → store → product, two items in the cart, a
// second tab changes a quantity and the first follows live, checkout with the
// offline (test) provider, the confirmation and the order history; an 18+
// product cannot be paid for before a sales agent has verified the buyer's age.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newPasskeyPage, waitFor, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

/** pickProducts finds a store with two in-stock unrestricted products, and an 18+/21+ product anywhere. */
async function pickProducts() {
  const { stores } = await server.api('/stores');
  let plain = null;
  let adult = null;
  for (const s of stores) {
    const { store, departments } = await server.api(`/stores/${s.slug}`);
    const products = departments.flatMap((d) => d.products);
    const open = products.filter((p) => p.ageLimit === 0 && p.stock >= 5);
    if (!plain && open.length >= 2) plain = { store, a: open[0], b: open[1] };
    const restricted = products.find((p) => p.ageLimit > 0 && p.stock >= 1);
    if (!adult && restricted) adult = { store, product: restricted };
  }
  assert.ok(plain, 'the demo seed has a store with two unrestricted products in stock');
  assert.ok(adult, 'the demo seed has an age-restricted product');
  return { plain, adult };
}

/** badgeCount reads the header cart button's item count (0 when it shows none). */
async function badgeCount(page) {
  const badge = page.locator('.cart-button .cart-count');
  if ((await badge.count()) === 0) return 0;
  return Number(await badge.getAttribute('data-count'));
}

/** lineQuantity reads the quantity shown on the cart page for sku, or null without such a line. */
async function lineQuantity(page, sku) {
  const input = page.locator(`.cart-item[data-sku="${sku}"] input.stepper-input`);
  if ((await input.count()) === 0) return null;
  return Number(await input.inputValue());
}

const euros = (minor) => (minor / 100).toFixed(2);

test('a guest fills a cart in two tabs, checks out and pays with the test provider', { timeout: 120_000 }, async (t) => {
  const { plain } = await pickProducts();
  const { store, a, b } = plain;
  const { context, page } = await newPasskeyPage(browser);
  // Offline payments: no page of the mall ever asks Stripe for Stripe.js.
  const stripeRequests = [];
  context.on('request', (r) => /(^|\.)stripe\.(com|network)$/.test(new URL(r.url()).hostname) && stripeRequests.push(r.url()));
  try {
    // Downtown → store → product.
    await page.goto(`${server.url}/`);
    await page.locator(`svg.skyline a.building[data-slug="${store.slug}"]`).click();
    await page.waitForURL(`${server.url}/store/${store.slug}`);
    await page.getByRole('heading', { level: 1, name: store.name }).waitFor();
    await page.locator(`.product-card[data-sku="${a.sku}"]`).getByRole('link', { name: a.name }).click();
    await page.waitForURL(`${server.url}/store/${store.slug}/product/${encodeURIComponent(a.sku)}`);
    await page.getByRole('heading', { level: 1, name: a.name }).waitFor();

    // The first item from the product page, the second from its card in the store.
    await page.getByRole('button', { name: `Add ${a.name} to cart` }).click();
    await page.locator('.add-ok').waitFor();
    await waitFor('the cart badge to count 1', async () => (await badgeCount(page)) === 1);
    await page.goBack();
    await page.waitForURL(`${server.url}/store/${store.slug}`);
    await page.locator(`.product-card[data-sku="${b.sku}"]`).getByRole('button', { name: `Add ${b.name} to cart` }).click();
    await waitFor('the cart badge to count 2', async () => (await badgeCount(page)) === 2);

    // The first tab shows the cart.
    await page.getByRole('link', { name: /^Cart, / }).click();
    await page.waitForURL(`${server.url}/cart`);
    await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
    await waitFor('both lines in the first tab', async () => (await lineQuantity(page, a.sku)) === 1 && (await lineQuantity(page, b.sku)) === 1);
    await page.locator('.live-pill.is-live').waitFor();

    // A second tab on the same cart raises a quantity to 3 ...
    const page2 = await context.newPage();
    await page2.goto(`${server.url}/cart`);
    await waitFor('both lines in the second tab', async () => (await lineQuantity(page2, a.sku)) === 1 && (await lineQuantity(page2, b.sku)) === 1);
    const more = page2.locator(`.cart-item[data-sku="${a.sku}"]`).getByRole('button', { name: `One more: Quantity of ${a.name}` });
    await more.click();
    await waitFor('the second tab to hold 2', async () => (await lineQuantity(page2, a.sku)) === 2 && (await more.isEnabled()));
    await more.click();
    const changed = Date.now();
    await waitFor('the second tab to hold 3', async () => (await lineQuantity(page2, a.sku)) === 3);

    // ... and the first tab follows, with the server's totals.
    await waitFor('the first tab to follow the second', async () => (await lineQuantity(page, a.sku)) === 3);
    t.diagnostic(`the first tab followed ${Date.now() - changed} ms after the second tab's click`);
    await waitFor('the first tab badge to count 4', async () => (await badgeCount(page)) === 4);
    const total = 3 * a.priceMinor + b.priceMinor;
    await waitFor('the total to be recomputed', async () => {
      const text = await page.locator('.totals-total dd').innerText();
      return text.replace(/[^\d]/g, '') === euros(total).replace('.', '');
    });
    assert.match(await page.locator('.totals').innerText(), /incl\. VAT/);

    // Checkout and pay with the offline provider.
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.waitForURL(/\/orders\/[^/]+$/);
    await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
    await page.locator('.state-badge[data-state="draft"]').waitFor();
    const orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('heading', { level: 1, name: 'Order confirmed' }).waitFor();
    await page.getByText('Test payment — no money was taken').waitFor();
    await page.locator('.confirm-number .mono').waitFor();
    assert.equal((await page.locator('.order-line').count()), 2, 'two lines on the confirmation');

    // The second tab's cart empties live, and so does the badge.
    await page2.getByRole('heading', { name: 'Your cart is empty' }).waitFor();
    await waitFor('the first tab badge to clear', async () => (await badgeCount(page)) === 0);

    // The order history, reached from the header.
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.waitForURL(`${server.url}/orders`);
    const row = page.locator(`.order-row[data-order="${orderId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'confirmed');
    assert.match(await row.innerText(), /Test payment/);

    // The server agrees.
    const { order } = await page.evaluate(
      (id) => fetch(`/api/v1/orders/${encodeURIComponent(id)}`, { credentials: 'same-origin' }).then((r) => r.json()),
      orderId,
    );
    assert.equal(order.state, 'confirmed');
    assert.equal(order.testPayment, true);
    assert.equal(order.totalMinor, total);
    assert.deepEqual(stripeRequests, [], 'an offline mall requested nothing from Stripe');
  } finally {
    await context.close();
  }
});

test('an 18+ product goes in the cart but cannot be paid before age verification', { timeout: 90_000 }, async () => {
  const { adult } = await pickProducts();
  const { store, product } = adult;
  const { context, page } = await newPasskeyPage(browser);
  try {
    await page.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
    await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
    await page.locator('.product-detail .badge-age').waitFor();
    await page.getByRole('button', { name: `Add ${product.name} to cart` }).click();
    await waitFor('the cart badge to count 1', async () => (await badgeCount(page)) === 1);

    await page.getByRole('link', { name: /^Cart, / }).click();
    await page.waitForURL(`${server.url}/cart`);
    await page.getByText('a sales agent verifies your age before you can pay').waitFor();
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.waitForURL(/\/orders\/[^/]+$/);
    const orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());

    await page.locator('.state-badge[data-state="awaiting_verification"]').waitFor();
    await page.getByText('Age verification by a sales agent is required').waitFor();
    const pay = page.getByRole('button', { name: /^Pay / });
    assert.ok((await pay.count()) === 0 || (await pay.isDisabled()), 'no Pay button before verification');

    // Asking the server directly is refused too, and changes nothing.
    const res = await page.evaluate(async (id) => {
      const csrf = document.cookie.split('; ').find((c) => c.startsWith('lm_csrf='))?.slice('lm_csrf='.length) ?? '';
      const r = await fetch(`/api/v1/orders/${encodeURIComponent(id)}/pay`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
        body: '{}',
      });
      return { status: r.status, body: await r.json() };
    }, orderId);
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.match(res.body.error.message, /verify your age/);
    await page.reload();
    await page.locator('.state-badge[data-state="awaiting_verification"]').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Pay / }).count(), 0);
  } finally {
    await context.close();
  }
});

test('downtown search lists products across stores; the talk panel and the skyline show live numbers', { timeout: 90_000 }, async () => {
  const { plain } = await pickProducts();
  const { store, a } = plain;
  const word = a.name.split(/\s+/).find((w) => w.length >= 4) ?? a.name;
  const found = await server.api(`/stores?q=${encodeURIComponent(word)}`);
  assert.ok(Array.isArray(found.products), 'GET /stores?q= lists matching products');
  assert.ok(found.products.some((p) => p.sku === a.sku), `searching "${word}" finds ${a.sku}`);
  const { store: info } = await server.api(`/stores/${store.slug}`);
  assert.match(info.salesDisplay ?? '', /^\d{4} \d{4} \d{4}$/, 'the store has a sales number');

  const { context, page } = await newPasskeyPage(browser);
  try {
    await page.goto(`${server.url}/`);
    await page.locator('svg.skyline a.building').first().waitFor();
    await page.getByLabel('Search stores and products').fill(word);
    const hit = page.locator(`.search-results .hit[data-sku="${a.sku}"]`);
    await hit.waitFor();
    assert.equal(await page.locator('.search-results .hit').count(), found.products.length, 'a result per product the server found');
    // Buildings of stores without a match are dimmed; the product's store is lit.
    assert.equal(await page.locator(`svg.skyline a.building[data-slug="${store.slug}"].dim`).count(), 0);
    assert.equal(new URL(page.url()).searchParams.get('q'), word, 'the query is in the address bar');
    await hit.getByRole('link', { name: a.name }).click();
    await page.waitForURL(`${server.url}/store/${store.slug}/product/${encodeURIComponent(a.sku)}`);

    // The talk panel gives the store's sales line and who is at the desk.
    await page.getByRole('button', { name: 'Talk to a sales agent' }).click();
    const note = page.locator('.talk-note');
    await note.getByText(info.salesDisplay).waitFor();
    await note.locator('.agents-online').waitFor();

    // A shopper with a cart here counts as inside the building.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: `Add ${a.name} to cart` }).click();
    await waitFor('the cart badge to count 1', async () => (await badgeCount(page)) === 1);
    await page.goBack();
    await page.waitForURL((u) => u.pathname === '/');
    const sign = page.locator(`svg.skyline a.building[data-slug="${store.slug}"] .inside-sign`);
    await waitFor('the building to show a shopper inside', async () => {
      if ((await sign.count()) === 0) {
        await page.reload();
        await page.locator('svg.skyline a.building').first().waitFor();
        return false;
      }
      return /\d+ inside/.test(await sign.textContent());
    }, { timeout: 15_000, interval: 500 });
  } finally {
    await context.close();
  }
});
