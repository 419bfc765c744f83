// The engagement's shared whiteboard in the browser (issue #7), two
// Chromium contexts over one demo server:
//
// - A member on a product page calls the store; an agent answers on the desk.
// - The agent opens the whiteboard, draws two strokes and drops a product
//   card; the shopper, whose board is closed, sees "… drew on the
//   whiteboard", opens it and finds the same items (same ids, same authors).
// - The shopper writes a line of text; the agent sees it.
// - The agent erases a stroke: it goes from both boards.
// - The shopper checks out during the call and hangs up: the order page
//   shows "Whiteboard from your call" read-only with the same items, and the
//   desk's wrap-up shows the board too.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, enrollStaff, uniqueEmail, waitFor, serverAndBrowser, shotsDir, callFromProduct } from './server.mjs';

const shots = shotsDir();

const STORE = 'vinoteca-rossi';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/**
 * deskClick: the co-browse replay frame on the desk rebuilds itself on every
 * full snapshot of the shopper's page; a click must not wait for those frame
 * navigations. Each click's effect is awaited explicitly instead.
 */
const deskClick = { noWaitAfter: true };

/** items lists a board's items as "id:kind:author", in board order. */
function items(board) {
  return board
    .locator('[data-testid=board-item]')
    .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-item-id')}:${e.getAttribute('data-kind')}:${e.getAttribute('data-author')}`));
}

/** count counts a board's items of a kind by an author. */
function count(board, kind, author) {
  return board.locator(`[data-testid=board-item][data-kind=${kind}][data-author=${author}]`).count();
}

/** stroke draws through points (fractions of the board) with the mouse: down, moves, up. */
async function stroke(page, svg, points) {
  const box = await svg.boundingBox();
  const pos = ([x, y]) => ({ x: x * box.width, y: y * box.height });
  await svg.hover({ position: pos(points[0]) });
  await page.mouse.down();
  for (const p of points.slice(1)) await svg.hover({ position: pos(p) });
  await page.mouse.up();
}

test('agent and shopper share one whiteboard during the call, and the order keeps it', { timeout: 240_000 }, async () => {
  const { departments } = await server.api(`/stores/${STORE}`);
  const [product, card] = departments.flatMap((d) => d.products).filter((p) => p.ageLimit === 0 && p.stock > 0);
  assert.ok(product && card, `${STORE} sells two products without an age limit`);

  const A = await enrollStaff(browser, await server.addAgent(STORE, uniqueEmail('ana'), { name: 'Ana Bianchi' }));
  const member = await server.addMember('Sam Okafor', uniqueEmail('sam'), { birthdate: '1990-05-04' });
  const S = await enrollMember(browser, member);
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await S.page.emulateMedia({ reducedMotion: 'reduce' });
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });

    // --- The shopper puts a product in the cart and calls; the agent answers.
    const entryId = await callFromProduct(server, A, S, STORE, product.sku);
    const dock = S.page.locator('[data-testid=talk-panel]');
    // The engagement tools above the board have loaded (the board does not move while the agent draws).
    await A.page.locator('[data-testid=engagement-cart] .eng-line').first().waitFor({ timeout: 15_000 });

    // --- The agent opens the board: two strokes and a product card.
    const deskPanel = A.page.locator('[data-testid=desk-board]');
    await deskPanel.screenshot({ path: join(shots, 'whiteboard-desk-folded.png') });
    await deskPanel.locator('[data-testid=board-open]').click(deskClick);
    const deskBoard = deskPanel.locator('[data-testid=board]');
    const deskSvg = deskBoard.locator('[data-testid=board-svg]');
    await deskSvg.waitFor();
    await deskSvg.scrollIntoViewIfNeeded();
    await deskBoard.locator(`[data-testid=board-color-5b3df5]`).click(deskClick);
    // A loop around where the card goes, then a straight line (erased later).
    const loop = [];
    for (let k = 0; k <= 24; k++) {
      const a = (k / 24) * 2 * Math.PI;
      loop.push([0.62 + 0.2 * Math.cos(a), 0.42 + 0.2 * Math.sin(a)]);
    }
    await stroke(A.page, deskSvg, loop);
    await waitFor('the agent’s loop on the desk', async () => (await count(deskBoard, 'stroke', 'agent')) === 1, { timeout: 10_000 });
    await deskBoard.locator(`[data-testid=board-color-d92d4b]`).click(deskClick);
    await stroke(A.page, deskSvg, [
      [0.08, 0.85],
      [0.2, 0.85],
      [0.32, 0.85],
      [0.4, 0.85],
    ]);
    await waitFor('the agent’s line on the desk', async () => (await count(deskBoard, 'stroke', 'agent')) === 2, { timeout: 10_000 });

    // The shopper's board is closed: the call panel says the agent drew.
    await dock.locator('[data-testid=board-unseen]').getByText('drew on the whiteboard').waitFor({ timeout: 10_000 });
    assert.equal(await S.page.locator('[data-testid=board-overlay]').count(), 0, 'the shopper’s board stays closed by itself');
    await dock.screenshot({ path: join(shots, 'whiteboard-mall-badge.png') });

    await deskBoard.locator('[data-testid=board-tool-product]').click(deskClick);
    await deskBoard.locator('[data-testid=board-product-select]').selectOption(card.sku);
    await deskSvg.click({ ...deskClick, position: { x: (await deskSvg.boundingBox()).width * 0.62, y: (await deskSvg.boundingBox()).height * 0.42 } });
    await waitFor('the product card on the desk', async () => (await count(deskBoard, 'product', 'agent')) === 1, { timeout: 10_000 });
    const cardName = await deskBoard.locator('[data-kind=product] .wb-card-name').innerText();
    assert.equal(cardName, card.name, 'the card carries the product’s name from the catalog');

    // --- The shopper opens the board: the same items.
    await dock.locator('[data-testid=board-toggle]').click();
    const overlay = S.page.locator('[data-testid=board-overlay]');
    const mallBoard = overlay.locator('[data-testid=board]');
    await mallBoard.locator('[data-testid=board-svg]').waitFor();
    await waitFor('the agent’s three items on the shopper’s board', async () => (await mallBoard.locator('[data-testid=board-item]').count()) === 3, { timeout: 10_000 });
    assert.deepEqual(await items(mallBoard), await items(deskBoard), 'both boards hold the same items in the same order');
    assert.equal(await count(mallBoard, 'stroke', 'agent'), 2);
    assert.equal(await count(mallBoard, 'product', 'agent'), 1);
    assert.equal(await dock.locator('[data-testid=board-unseen]').count(), 0, 'opening the board clears the note');
    const link = await mallBoard.locator(`[data-kind=product] a.wb-card`).getAttribute('href');
    assert.equal(link, `/store/${STORE}/product/${card.sku}`, 'the card links to the product’s page');
    const tip = await mallBoard.locator('[data-kind=product] title').textContent();
    assert.match(tip ?? '', /Ana Bianchi/, `the card says who dropped it: ${tip}`);

    // --- The shopper writes a line; the agent sees it.
    await mallBoard.locator('[data-testid=board-tool-text]').click();
    const mallSvg = mallBoard.locator('[data-testid=board-svg]');
    const mbox = await mallSvg.boundingBox();
    await mallSvg.click({ position: { x: mbox.width * 0.08, y: mbox.height * 0.14 } });
    const input = mallBoard.locator('[data-testid=board-text-input]');
    await input.waitFor();
    await input.pressSequentially('Gift wrap, please!');
    await input.press('Enter');
    await waitFor('the shopper’s text on the shopper’s board', async () => (await count(mallBoard, 'text', 'shopper')) === 1, { timeout: 10_000 });
    await waitFor('the shopper’s text on the desk', async () => (await count(deskBoard, 'text', 'shopper')) === 1, { timeout: 10_000 });
    assert.equal(await deskBoard.locator('[data-kind=text] text').textContent(), 'Gift wrap, please!');

    // --- The agent erases the straight line: it goes from both boards.
    await deskBoard.locator('[data-testid=board-tool-eraser]').click(deskClick);
    // A straight line has no height of its own to click at its middle: click the board where it runs.
    const dbox = await deskSvg.boundingBox();
    await deskSvg.click({ ...deskClick, position: { x: dbox.width * 0.24, y: dbox.height * 0.85 } });
    await waitFor('the line erased on the desk', async () => (await count(deskBoard, 'stroke', 'agent')) === 1, { timeout: 10_000 });
    await waitFor('the line erased on the shopper’s board', async () => (await count(mallBoard, 'stroke', 'agent')) === 1, { timeout: 10_000 });
    const final = await items(deskBoard);
    assert.equal(final.length, 3, `three items stay: ${final}`);
    assert.deepEqual(await items(mallBoard), final, 'both boards still hold the same items');
    const stored = await S.page.evaluate((id) => fetch(`/api/v1/boards/${id}`).then((r) => r.json()), entryId);
    assert.deepEqual(
      stored.items.map((i) => `${i.id}:${i.kind}:${i.author}`),
      final,
      'the server stored what both boards show',
    );

    await deskBoard.locator('[data-testid=board-tool-pen]').click(deskClick);
    await deskPanel.screenshot({ path: join(shots, 'whiteboard-desk.png') });
    await S.page.screenshot({ path: join(shots, 'whiteboard-mall.png') });

    // --- The shopper checks out during the call, then hangs up.
    await overlay.locator('[data-testid=board-close]').click();
    await S.page.locator('a[href="/cart"]').first().click();
    await S.page.locator('.btn-checkout').click();
    await S.page.waitForURL((u) => u.pathname.startsWith('/orders/'), { timeout: 10_000 });
    const orderId = new URL(S.page.url()).pathname.split('/').pop();
    await dock.locator('[data-testid=hangup]').click();
    await S.page.locator('[data-testid=talk-panel][data-phase=ended]').waitFor({ timeout: 10_000 });

    // --- The order page keeps the board, read-only.
    await S.page.reload();
    const orderBoard = S.page.locator('[data-testid=order-board]');
    await orderBoard.getByRole('heading', { name: 'Whiteboard from your call' }).waitFor({ timeout: 10_000 });
    await waitFor('the board on the order page', async () => (await orderBoard.locator('[data-testid=board-item]').count()) === 3);
    assert.deepEqual(await items(orderBoard), final, 'the order page shows the call’s board');
    const byOrder = await S.page.evaluate((id) => fetch(`/api/v1/orders/${id}/board`).then((r) => r.json()), orderId);
    assert.equal(byOrder.entryId, entryId, 'the order’s board is the call’s');
    assert.equal(await count(orderBoard, 'text', 'shopper'), 1);
    assert.equal(await orderBoard.locator('[data-testid^=board-tool-]').count(), 0, 'the order’s board is read-only');
    assert.equal(await orderBoard.locator('.wb.is-readonly').count(), 1);
    await orderBoard.scrollIntoViewIfNeeded();
    await S.page.screenshot({ path: join(shots, 'whiteboard-order.png') });
    await orderBoard.screenshot({ path: join(shots, 'whiteboard-order-section.png') });

    // --- The desk's wrap-up shows the board too.
    const record = A.page.locator('[data-testid=board-record]');
    await record.waitFor({ timeout: 15_000 });
    await waitFor('the board in the wrap-up', async () => (await record.locator('[data-testid=board-item]').count()) === 3);
    assert.deepEqual(await items(record), final, 'the wrap-up shows the call’s board');
    await A.page.screenshot({ path: join(shots, 'whiteboard-desk-wrapup.png'), fullPage: true });
  } catch (e) {
    await S.page.screenshot({ path: join(shots, 'whiteboard-failed-mall.png') }).catch(() => {});
    await A.page.screenshot({ path: join(shots, 'whiteboard-failed-desk.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await A.context.close();
    await S.context.close();
  }
});

test('an order placed without a call shows no whiteboard', { timeout: 120_000 }, async () => {
  const { departments } = await server.api(`/stores/${STORE}`);
  const product = departments.flatMap((d) => d.products).find((p) => p.ageLimit === 0 && p.stock > 0);
  const member = await server.addMember('Ida Berg', uniqueEmail('ida'), { birthdate: '1985-02-11' });
  const S = await enrollMember(browser, member);
  try {
    await S.page.goto(`${server.url}/store/${STORE}/product/${encodeURIComponent(product.sku)}`);
    await S.page.locator('.product-detail .btn-add-lg').click();
    await waitFor('the product in the cart', () =>
      S.page.evaluate((sku) => fetch('/api/v1/cart').then((r) => r.json()).then((b) => b.cart.items.some((i) => i.sku === sku)), product.sku),
    );
    await S.page.locator('a[href="/cart"]').first().click();
    const asked = S.page.waitForResponse((r) => /\/api\/v1\/orders\/[^/]+\/board$/.test(new URL(r.url()).pathname));
    await S.page.locator('.btn-checkout').click();
    await S.page.waitForURL((u) => u.pathname.startsWith('/orders/'), { timeout: 10_000 });
    const orderId = new URL(S.page.url()).pathname.split('/').pop();
    await S.page.locator('[data-testid=order-state]').waitFor();
    // The page asked for the order's board and heard 404.
    assert.equal((await asked).status(), 404);
    await S.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const res = await S.page.evaluate((id) => fetch(`/api/v1/orders/${id}/board`).then(async (r) => ({ status: r.status, body: await r.json() })), orderId);
    assert.equal(res.status, 404, `no board for an order without a call: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, /not placed during a call/);
    assert.equal(await S.page.locator('[data-testid=order-board]').count(), 0, 'the order page shows no whiteboard section');
  } finally {
    await S.context.close();
  }
});
