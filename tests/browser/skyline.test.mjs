// The mall's skyline: one building per store, each opens its store, and the
// browser's back button walks the history. Each building shows its store's
// live state pushed over the page's one live stream (never polled): agents
// free, shoppers in line, the wait; its entrance glows while someone shops
// there.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, enrollStaff, newPasskeyPage, uniqueEmail, waitFor, serverAndBrowser, shotsDir } from './server.mjs';

const shots = shotsDir();

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

    // She opts out: the guest's skyline drops her at the stream's next resync, without a reload.
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

test('live states reach an open home page pushed, without reload or polling; the entrance glows while someone shops', { timeout: 180_000 }, async () => {
  const { stores } = await server.api('/stores');
  const store = stores[2] ?? stores[0];
  const { departments } = await server.api(`/stores/${store.slug}`);
  const product = departments.flatMap((d) => d.products).find((p) => p.ageLimit === 0 && p.stock > 0);
  assert.ok(product, `${store.name} sells a product without an age limit`);

  const home = await newPasskeyPage(browser, { viewport: { width: 1280, height: 800 } });
  let A;
  let S;
  try {
    // Every request the home page makes is counted: the store list loads
    // once, the live stream opens once, and nothing is fetched again.
    const requests = [];
    home.page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    const storeLoads = () => requests.filter((p) => p === '/api/v1/stores').length;
    const streams = () => requests.filter((p) => p === '/api/v1/mall/live').length;
    const opened = Date.now();
    await home.page.goto(`${server.url}/`);
    await home.page.evaluate(() => (window.__notReloaded = true));
    const building = home.page.locator(`svg.skyline a.building[data-slug="${store.slug}"]`);
    await building.locator('.queue-sign.is-closed').waitFor();
    assert.equal(await building.getAttribute('data-shopping'), 'false', 'nobody shops there yet');
    assert.equal(await building.locator('.entrance-glow').count(), 0);

    // An agent signs in to the desk: the building turns open, with an agent free.
    A = await enrollStaff(browser, await server.addAgent(store.slug, uniqueEmail('sky-agent'), { name: 'Nora Sky' }));
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    await building.locator('.queue-sign.is-open').waitFor({ timeout: 15_000 });
    assert.match(await building.getAttribute('aria-label'), /Open: 1 agent free to talk now/);

    // The agent steps away: busy, with a wait.
    const availability = A.page.locator('[data-testid=agent-state]');
    await availability.locator('button[value=away]').click();
    await A.page.locator('.agent-pill[data-state=away]').waitFor();
    await building.locator('.queue-sign.is-busy').waitFor({ timeout: 15_000 });

    // A shopper opens a product of the store: its entrance glows downtown.
    const member = await server.addMember('Teo Ruiz', uniqueEmail('teo'));
    S = await enrollMember(browser, member);
    await S.page.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
    await S.page.locator('.product-detail').waitFor();
    await building.locator('.entrance-glow').waitFor({ timeout: 15_000 });
    assert.equal(await building.getAttribute('data-shopping'), 'true');
    assert.match(await building.getAttribute('aria-label'), /someone is shopping here now/);

    // They ask to talk; nobody is free, so they queue: the building says so.
    await S.page.locator('.product-detail').getByRole('button', { name: 'Talk to a sales agent' }).first().click();
    await S.page.locator('[data-testid=talk-call]').click();
    await S.page.locator('[data-testid=queue-position]').waitFor({ timeout: 15_000 });
    await waitFor('the line on the building', async () => /1 shopper in line/.test(await building.getAttribute('aria-label')), { timeout: 15_000 });
    assert.match(await building.locator('.queue-sign').textContent(), /~\d+ min( · 1 in line| wait)/);
    await home.page.screenshot({ path: join(shots, 'skyline-live-1280.png') });
    await home.page.setViewportSize({ width: 390, height: 844 });
    await building.scrollIntoViewIfNeeded();
    await home.page.screenshot({ path: join(shots, 'skyline-live-390.png') });
    await home.page.setViewportSize({ width: 1280, height: 800 });

    // All of it arrived on the one stream: the page never reloaded, loaded the
    // stores once and did not poll them, over longer than the old 10 s refresh.
    await waitFor('longer than the old refresh period', async () => Date.now() - opened > 12_000, { timeout: 20_000 });
    assert.equal(await home.page.evaluate(() => window.__notReloaded), true, 'the page was not reloaded');
    assert.equal(storeLoads(), 1, `GET /api/v1/stores was requested ${storeLoads()} times: ${requests.join(' ')}`);
    assert.equal(streams(), 1, 'one live stream');

    // The shopper leaves: the line empties and, once their page is gone, the glow goes out.
    await S.context.close();
    S = null;
    await building.locator('.entrance-glow').waitFor({ state: 'detached', timeout: 30_000 });
    assert.doesNotMatch(await building.getAttribute('aria-label'), /in line/);
  } finally {
    await S?.context.close();
    await A?.context.close();
    await home.context.close();
  }
});
