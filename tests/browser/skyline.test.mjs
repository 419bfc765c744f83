// The mall's skyline: one building per store, each opens its store, and the
// browser's back button walks the history.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPasskeyPage, startServer } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('skyline shows every store and navigates with history', { timeout: 90_000 }, async () => {
  const { stores } = await server.api('/stores');
  assert.ok(stores.length > 0, 'the demo seed has stores');

  const { context, page } = await newPasskeyPage(browser);
  try {
    await page.goto(`${server.url}/`);
    await page.getByText('livemall', { exact: true }).first().waitFor();
    const buildings = page.locator('svg.skyline a.building');
    await buildings.first().waitFor();
    assert.equal(await buildings.count(), stores.length, 'one building per store');
    for (const s of stores) {
      assert.equal(await page.locator(`svg.skyline a.building[data-slug="${s.slug}"]`).count(), 1, `building for ${s.slug}`);
    }

    const store = stores[0];
    await page.locator(`svg.skyline a.building[data-slug="${store.slug}"]`).click();
    await page.waitForURL(`${server.url}/store/${store.slug}`);
    await page.getByRole('heading', { level: 1, name: store.name }).waitFor();
    const { departments } = await server.api(`/stores/${store.slug}`);
    const products = departments.flatMap((d) => d.products);
    assert.equal(await page.locator('.product-card').count(), products.length, 'a card per product');
    for (const d of departments) await page.getByRole('heading', { level: 2, name: d.name }).waitFor();

    if (products.length > 0) {
      const product = products[0];
      const card = page.locator(`.product-card[data-sku="${product.sku}"]`);
      // The talk button explains that live calls are coming.
      await card.getByRole('button', { name: 'Talk to a sales agent' }).click();
      await card.getByText('Live sales calls open soon').waitFor();
      await page.keyboard.press('Escape');

      await card.getByRole('link', { name: product.name }).click();
      await page.waitForURL(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
      await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
      await page.goBack();
      await page.waitForURL(`${server.url}/store/${store.slug}`);
      await page.getByRole('heading', { level: 1, name: store.name }).waitFor();
    }

    await page.goBack();
    await page.waitForURL(`${server.url}/`);
    await buildings.first().waitFor();
    assert.equal(await buildings.count(), stores.length);

    // A deep link works on a fresh load (the server falls back to the mall's page).
    await page.goto(`${server.url}/store/${store.slug}`);
    await page.getByRole('heading', { level: 1, name: store.name }).waitFor();
  } finally {
    await context.close();
  }
});
