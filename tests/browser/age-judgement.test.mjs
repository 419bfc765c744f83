// The agent's own judgement on age (issue #17, M11), in the browser: a
// member (of age by their birth date) calls Vinoteca Rossi with the 18+
// Barolo and a corkscrew in the cart. Before any check the call panel tells
// them a still frame of their video is kept as evidence. The agent presses
// "Doesn't look 18+": the Barolo leaves the shared cart, the shopper's call
// panel and cart say why, the corkscrew stays and the call goes on. The
// still frame is stored with the check: the agent fetches it, a JPEG.
//
// Screenshots (1280×800 and 390×844) go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { callFromProduct, enrollMember, enrollStaff, mediaFlows, serverAndBrowser, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();

const STORE = 'vinoteca-rossi';
const WINE = 'VR-BAROLO-18';
const OPENER = 'VR-OPENER';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** deskClick: clicks on the desk do not wait for co-browse frame navigations. */
const deskClick = { noWaitAfter: true };

/** birthDate is the ISO date of a birthday years ago (minus a week, so the age is certain). */
function birthDate(years) {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - 7);
  return d.toISOString().slice(0, 10);
}

/** cartSKUs reads the shopper's cart through the API, as their page does. */
function cartSKUs(page) {
  return page.evaluate(() =>
    fetch('/api/v1/cart')
      .then((r) => r.json())
      .then((b) => b.cart.items.map((i) => i.sku).sort()),
  );
}

/** setFolded folds the shopper's call panel to its bar, or opens it, unless it is so already. */
async function setFolded(page, folded) {
  const isMin = (await page.locator('[data-testid=talk-panel].is-min').count()) > 0;
  if (isMin !== folded) await page.locator('[data-testid=talk-panel] .talk-dock-fold').click();
  await page.locator(folded ? '[data-testid=talk-panel].is-min' : '[data-testid=talk-panel]:not(.is-min)').waitFor();
}

test("the agent judges the shopper doesn't look 18+: the wine leaves the cart, the shopper sees why, the frame is kept", { timeout: 240_000 }, async () => {
  const A = await enrollStaff(browser, await server.addAgent(STORE, uniqueEmail('nina'), { name: 'Nina Ferri' }), { viewport: { width: 1280, height: 800 } });
  const member = await server.addMember('Ruby Fresh', uniqueEmail('ruby'), { birthdate: birthDate(19) });
  const S = await enrollMember(browser, member, { viewport: { width: 1280, height: 800 } });
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await S.page.emulateMedia({ reducedMotion: 'reduce' });
    // The suite's first test: it also waits for a cold Chromium.
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 30_000 });

    // The corkscrew first, then the Barolo from its page, and the call.
    await S.page.goto(`${server.url}/store/${STORE}/product/${OPENER}`);
    await S.page.locator('.product-detail .btn-add-lg').click();
    await waitFor('the corkscrew in the cart', async () => (await cartSKUs(S.page)).includes(OPENER));
    await callFromProduct(server, A, S, STORE, WINE);
    await mediaFlows(A.page, 'agent');
    await mediaFlows(S.page, 'shopper');
    assert.deepEqual(await cartSKUs(S.page), [WINE, OPENER].sort());
    // The desk asks to co-browse; not now (it would cover the phone's screen).
    await S.page.locator('[data-testid=cobrowse-consent]').getByRole('button', { name: 'Not now' }).click({ noWaitAfter: true, timeout: 30_000 });
    await S.page.locator('[data-testid=cobrowse-consent]').waitFor({ state: 'detached', timeout: 10_000 });

    // Before the check the shopper is told the frame is kept, and for how long.
    const dock = S.page.locator('[data-testid=talk-panel]');
    const before = dock.locator('[data-testid=age-evidence-notice]');
    await before.waitFor({ timeout: 10_000 });
    const beforeText = await before.innerText();
    assert.match(beforeText, /still frame of your video is kept/i, `the shopper is told before the check: ${beforeText}`);
    assert.match(beforeText, /90 days/, `the notice says how long: ${beforeText}`);

    // The desk offers the judgement while the cart holds the wine.
    const panel = A.page.locator('[data-testid=age-judgement]');
    await panel.waitFor({ timeout: 15_000 });
    const refuse = panel.locator('[data-testid=age-refuse-look]:not([disabled])');
    await refuse.waitFor({ timeout: 15_000 });
    assert.match(await refuse.innerText(), /Doesn't look 18\+/);
    assert.ok(await panel.locator('[data-testid=age-refuse-holder]').isEnabled(), '"Not the account holder" is offered too');
    assert.ok(await panel.locator('[data-testid=age-check]').isDisabled(), 'confirm waits for the order');
    assert.match(await panel.locator('[data-testid=age-evidence-note]').innerText(), /still frame .* kept .* 90 days/);
    await panel.scrollIntoViewIfNeeded();
    await A.page.screenshot({ path: join(shots, 'age-desk-controls-1280.png') });
    await S.page.screenshot({ path: join(shots, 'age-shopper-before-1280.png') });
    await A.page.setViewportSize({ width: 390, height: 844 });
    await S.page.setViewportSize({ width: 390, height: 844 });
    await panel.scrollIntoViewIfNeeded();
    await A.page.screenshot({ path: join(shots, 'age-desk-controls-390.png') });
    await setFolded(S.page, false); // a phone-sized panel folds itself during a call
    await before.scrollIntoViewIfNeeded();
    await S.page.screenshot({ path: join(shots, 'age-shopper-before-390.png') });
    await A.page.setViewportSize({ width: 1280, height: 800 });
    await S.page.setViewportSize({ width: 1280, height: 800 });

    // --- "Doesn't look 18+".
    await refuse.click(deskClick);
    const outcome = panel.locator('[data-testid=age-outcome][data-decision=looks_underage]');
    await panel.locator('[data-testid=age-outcome], .status-error').first().waitFor({ timeout: 30_000 });
    const refused = await panel.locator('.status-error').count();
    assert.equal(refused, 0, `the desk shows an error: ${refused && (await panel.locator('.status-error').innerText())}`);
    await outcome.waitFor();
    assert.match(await outcome.innerText(), /Refused: does not look old enough/);
    assert.match(await outcome.innerText(), /Barolo DOCG 2018 left the cart/);

    // The shopper's cart loses the wine, keeps the corkscrew, and the call panel says why.
    await waitFor('the wine to leave the cart', async () => (await cartSKUs(S.page)).join() === OPENER, { timeout: 10_000 });
    const refusal = dock.locator('[data-testid=age-refusal][data-decision=looks_underage]');
    await refusal.waitFor({ timeout: 10_000 });
    const why = await refusal.innerText();
    assert.match(why, /Barolo DOCG 2018 left your order/, `the shopper reads what left: ${why}`);
    assert.match(why, /could not confirm on video that you are 18 or over/, `the shopper reads why: ${why}`);
    assert.match(why, /go on with the rest/, `the shopper reads the call goes on: ${why}`);
    assert.equal(await dock.getAttribute('data-phase'), 'active', 'the call goes on after the refusal');
    await dock.locator('[data-testid=age-evidence-notice]').waitFor({ state: 'detached', timeout: 10_000 });
    await S.page.screenshot({ path: join(shots, 'age-shopper-refused-1280.png') });

    // The frame is stored with the check: the agent fetches it, a JPEG.
    const frameUrl = await panel.locator('[data-testid=age-frame]').getAttribute('src');
    assert.match(frameUrl ?? '', /^\/api\/v1\/desk\/age-checks\/agj_[0-9a-f]+\/frame$/);
    const frame = await A.page.evaluate(async (url) => {
      const r = await fetch(url);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), size: b.length, head: Array.from(b.slice(0, 3)) };
    }, frameUrl);
    assert.equal(frame.status, 200, `the agent reads the frame: ${JSON.stringify(frame)}`);
    assert.equal(frame.type, 'image/jpeg');
    assert.ok(frame.size > 0, `the frame has bytes: ${frame.size}`);
    assert.deepEqual(frame.head, [0xff, 0xd8, 0xff], 'the frame is a JPEG');
    await waitFor('the desk to show the frame', () =>
      panel.locator('[data-testid=age-frame]').evaluate((img) => img.complete && img.naturalWidth > 0),
    );
    // The shopper cannot read it.
    const theirs = await S.page.evaluate((url) => fetch(url).then((r) => r.status), frameUrl);
    assert.equal(theirs, 403, 'the shopper cannot read the store’s evidence');
    await A.page.screenshot({ path: join(shots, 'age-desk-refused-1280.png') });

    // The cart page says why too, with the corkscrew still there.
    await S.page.locator('a[href="/cart"]').first().click();
    await S.page.locator(`.cart-item[data-sku=${OPENER}]`).waitFor();
    assert.equal(await S.page.locator(`.cart-item[data-sku=${WINE}]`).count(), 0, 'no wine line in the cart');
    await S.page.locator('.cart-page [data-testid=age-refusal]').waitFor();
    assert.equal(await dock.getAttribute('data-phase'), 'active', 'the call survived the move to the cart');
    await S.page.screenshot({ path: join(shots, 'age-shopper-cart-1280.png') });

    // The same pages on a phone.
    await S.page.setViewportSize({ width: 390, height: 844 });
    await A.page.setViewportSize({ width: 390, height: 844 });
    // On a phone the call panel is a bar, folded, under the page.
    await setFolded(S.page, true);
    await S.page.locator('.cart-page [data-testid=age-refusal]').scrollIntoViewIfNeeded();
    await S.page.screenshot({ path: join(shots, 'age-shopper-cart-390.png') });
    await panel.scrollIntoViewIfNeeded();
    await A.page.screenshot({ path: join(shots, 'age-desk-refused-390.png') });
    // The corkscrew is still for sale in this call: checkout goes on.
    await S.page.locator('.btn-checkout').click();
    await S.page.waitForURL((u) => u.pathname.startsWith('/orders/'), { timeout: 10_000 });
    await S.page.locator('[data-testid=order-state][data-state=draft]').waitFor({ timeout: 10_000 });
  } finally {
    await A.context.close();
    await S.context.close();
  }
});
