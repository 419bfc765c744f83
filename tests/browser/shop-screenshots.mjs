// Screenshots of the shop (cart, checkout, confirmation, orders, search) for
// looking at by eye. Not a test:
//   LIVEMALL_BIN=/tmp/livemall node tests/browser/shop-screenshots.mjs [outdir]
// MOBILE=1 takes them at phone size (files prefixed m-); MOCK=1 fakes busy live
// counts (shoppers inside, agents online) so the skyline signs show.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPasskeyPage, startServer } from './server.mjs';

const out = process.argv[2] || '/tmp/shots';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
const shot = async (page, name, fullPage = true) => {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 400) { window.scrollTo(0, y); await new Promise((r) => setTimeout(r, 30)); }
    window.scrollTo(0, 0);
  });
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  await page.screenshot({ path: join(out, `${name}.png`), fullPage });
  console.log(join(out, `${name}.png`));
};
try {
  const vw = process.env.MOBILE ? { width: 390, height: 844 } : { width: 1280, height: 860 };
  const pre = process.env.MOBILE ? 'm-' : '';
  const { context, page } = await newPasskeyPage(browser, { viewport: vw });
  const slug = 'vinoteca-rossi';
  if (process.env.MOCK) {
    const live = (st, i) => ({ ...st, salesNumber: '20000000000' + i, salesDisplay: '2000 0000 000' + i, agentsOnline: i % 3, shoppersInside: [3, 0, 12, 1, 0, 5, 2][i % 7] });
    await page.route(/\/api\/v1\/stores(\?.*)?$/, async (route) => {
      const u = new URL(route.request().url());
      const res = await route.fetch({ url: `${u.origin}/api/v1/stores` });
      const body = await res.json();
      let stores = body.stores.map(live);
      const q = u.searchParams.get('q');
      let products;
      if (q) {
        products = [];
        for (const st of stores) {
          const d = await (await fetch(`${u.origin}/api/v1/stores/${st.slug}`)).json();
          for (const p of d.departments.flatMap((x) => x.products)) if ((p.name + p.description).toLowerCase().includes(q.toLowerCase())) products.push({ storeSlug: st.slug, sku: p.sku, name: p.name, priceMinor: p.priceMinor, currency: p.currency, imageUrl: p.imageUrl });
        }
        stores = stores.filter((st) => (st.name + st.tagline).toLowerCase().includes(q.toLowerCase()));
      }
      await route.fulfill({ json: { stores, products } });
    });
    await page.route(/\/api\/v1\/stores\/[^/?]+$/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ json: { ...body, store: live(body.store, 2) } });
    });
  }
  await page.goto(`${server.url}/store/${slug}/product/VR-DECANT`);
  await page.locator('.product-detail').waitFor();
  await page.getByRole('button', { name: /^One more/ }).click();
  await page.getByRole('button', { name: /^Add .* to cart/ }).click();
  await page.locator('.add-ok').waitFor();
  await shot(page, pre + 's1-product-added', false);
  await page.goto(`${server.url}/store/${slug}`);
  await page.locator('.product-card[data-sku="VR-BAROLO-18"]').getByRole('button', { name: /^Add/ }).click();
  await page.locator('.product-card[data-sku="VR-OPENER"]').getByRole('button', { name: /^Add/ }).click();
  await page.locator('.product-card[data-sku="VR-OPENER"] .add-ok').waitFor();
  await shot(page, pre + 's2-store-added', true);
  // another store's product: inline error
  await page.goto(`${server.url}/store/casa-cucina`);
  await page.locator('.product-card').first().getByRole('button', { name: /^Add/ }).click();
  await page.locator('.add-error').waitFor();
  await page.addStyleTag({ content: '.topbar { position: static !important; }' });
  await page.locator('.department').first().screenshot({ path: join(out, pre + 's3-store-other-error.png') });
  await page.locator('.product-card').nth(1).getByRole('button', { name: 'Talk to a sales agent' }).click();
  await page.locator('.department').first().screenshot({ path: join(out, pre + 's3b-talk.png') });
  await page.goto(`${server.url}/cart`);
  await page.locator('.cart-item').first().waitFor();
  await shot(page, pre + 's4-cart');
  await page.getByRole('button', { name: 'Check out' }).click();
  await page.locator('.state-badge').waitFor();
  await shot(page, pre + 's5-checkout-verification');
  await page.getByRole('button', { name: 'Cancel order' }).click();
  await page.getByRole('heading', { name: 'Order cancelled' }).waitFor();
  await shot(page, pre + 's5b-cancelled');
  await page.goto(`${server.url}/store/${slug}/product/VR-GLASS-6`);
  await page.getByRole('button', { name: /^Add .* to cart/ }).click();
  await page.locator('.add-ok').waitFor();
  await page.goto(`${server.url}/store/${slug}/product/VR-DECANT`);
  await page.getByRole('button', { name: /^Add .* to cart/ }).click();
  await page.locator('.add-ok').waitFor();
  await page.goto(`${server.url}/cart`);
  await page.getByRole('button', { name: 'Check out' }).click();
  await page.getByRole('button', { name: /^Pay/ }).waitFor();
  await shot(page, pre + 's6-checkout');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
  await shot(page, pre + 's7-confirmation');
  await page.goto(`${server.url}/orders`);
  await page.locator('.order-row').first().waitFor();
  await shot(page, pre + 's8-orders');
  await page.goto(`${server.url}/cart`);
  await page.getByText('Your cart is empty').waitFor();
  await shot(page, pre + 's9-cart-empty', false);
  await page.goto(`${server.url}/?q=wine`);
  await page.locator('.search-results').waitFor();
  await shot(page, pre + 's10-search');
  await page.goto(`${server.url}/?q=zzzz`);
  await page.locator('.search-results').waitFor();
  await shot(page, pre + 's11-search-none');
  await page.goto(`${server.url}/`);
  await page.locator('svg.skyline').waitFor();
  await shot(page, pre + 's12-home');
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
