// The mall's skyline: one building per store, each opens its store, and the
// browser's back button walks the history.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enrollMember, newPasskeyPage, uniqueEmail, waitFor, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
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
      // The talk button opens the store's sales line, ready to call.
      await card.getByRole('button', { name: 'Talk to a sales agent' }).click();
      await card.getByTestId('talk-call').waitFor();
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

test('a member who opts in appears on the building of the store they are in, live', { timeout: 90_000 }, async () => {
  const { stores } = await server.api('/stores');
  const store = stores[1] ?? stores[0];
  const visitorsOf = async (slug) => (await server.api('/stores')).stores.find((s) => s.slug === slug).visitors;
  const ana = await server.addMember('Ana Lima', uniqueEmail('ana'));
  const phone = await enrollMember(browser, ana);
  const guest = await newPasskeyPage(browser);
  try {
    // Off by default: looking at a store shows nobody.
    await phone.page.goto(`${server.url}/store/${store.slug}`);
    await phone.page.locator('.product-card').first().waitFor();
    assert.deepEqual(await visitorsOf(store.slug), []);

    // The phone's profile screen switches it on; the store page sends where she is.
    await phone.page.goto(`${server.url}/phone/`);
    await phone.page.getByText('Show me in the mall', { exact: true }).click();
    await phone.page.getByText('Others now see you in the mall.').waitFor();
    await phone.page.goto(`${server.url}/store/${store.slug}`);
    await waitFor('Ana on the store', async () => (await visitorsOf(store.slug)).length === 1);
    assert.deepEqual(
      (await visitorsOf(store.slug)).map((v) => [v.name, v.initials]),
      [['Ana', 'AL']],
      'first name and initials only',
    );

    // A guest downtown sees her avatar, with words for screen readers.
    await guest.page.goto(`${server.url}/`);
    const building = guest.page.locator(`svg.skyline a.building[data-slug="${store.slug}"]`);
    await building.locator('.visitors .visitor').waitFor();
    assert.equal(await building.locator('.visitor-initials').textContent(), 'AL');
    assert.match(await building.getAttribute('aria-label'), /1 member inside: Ana\b/);

    // She opts out: the guest's skyline drops her at its next refresh, without a reload.
    await phone.page.goto(`${server.url}/phone/`);
    await phone.page.getByText('Show me in the mall', { exact: true }).click();
    await phone.page.getByText('You are no longer shown in the mall.').waitFor();
    await building.locator('.visitors').waitFor({ state: 'detached', timeout: 15_000 });
    assert.doesNotMatch(await building.getAttribute('aria-label'), /member/);
  } finally {
    await guest.context.close();
    await phone.context.close();
  }
});
