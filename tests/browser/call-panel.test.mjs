// The call panel never covers what the shopper must press (issue #17): during
// a real call (the shopper rings from a product page, an agent answers on the
// desk), at 1280×800 and at 390×844, the add-to-cart area, "Sign with your
// passkey" and the Payment card's Pay button are hit where they are drawn
// (document.elementFromPoint at the button's centre is the button) and work,
// without folding anything; after hang-up the order total is not covered;
// on the phone the co-browse consent does not lie over the panel's buttons.
// The desk logs no "play() request was interrupted" during the call, and its
// side "Cart" box follows the shared cart as it grows. The phone's directory
// keeps its Call column in sight at both sizes.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, enrollStaff, serverAndBrowser, shotsDir, uniqueEmail, waitFor, callFromProduct } from './server.mjs';

const shots = shotsDir();

const STORE = 'vinoteca-rossi';
const ITEM = 'VR-DECANT';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** deskClick: the co-browse replay on the desk rebuilds its frame; clicks do not wait for it. */
const deskClick = { noWaitAfter: true };

/**
 * reachable scrolls an element into view as a person would (the page's
 * scroll padding applies) and asserts that the element itself is what lies
 * at its centre: nothing (the call panel, a banner) covers it.
 */
async function reachable(locator, what) {
  await locator.waitFor();
  const hit = await locator.evaluate((el) => {
    el.scrollIntoView({ block: 'nearest' });
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    return {
      ok: !!top && (top === el || el.contains(top)),
      inView: x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight,
      top: top ? top.outerHTML.slice(0, 160) : 'nothing',
      at: `${Math.round(x)},${Math.round(y)} in ${innerWidth}×${innerHeight}`,
    };
  });
  assert.ok(hit.inView, `${what} is in view at ${hit.at}`);
  assert.ok(hit.ok, `${what} is not covered at ${hit.at}; on top lies ${hit.top}`);
}

/** overlap is the area two elements' boxes share, in px², both measured at the same moment. */
async function overlap(page, a, b) {
  return page.evaluate(
    ([a, b]) => {
      const ea = document.querySelector(a);
      const eb = document.querySelector(b);
      if (!ea || !eb) return 0;
      const ra = ea.getBoundingClientRect();
      const rb = eb.getBoundingClientRect();
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      return w > 0 && h > 0 ? w * h : 0;
    },
    [a, b],
  );
}

/** watchPlayErrors collects what the page logs about interrupted play() requests. */
function watchPlayErrors(page) {
  const seen = [];
  const check = (text) => /play\(\) request was interrupted/i.test(text) && seen.push(text);
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && check(m.text()));
  page.on('pageerror', (e) => check(String(e?.message ?? e)));
  return seen;
}

/**
 * watchCobrowseFrames collects the co-browse batches the shopper's page sends.
 * The desk's replay calls play() on every <video> the recording says is
 * playing, and its next snapshot removes them again: the call's own video
 * must not be in the recording at all (no media state, no media events).
 */
function watchCobrowseFrames(page) {
  const sent = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => typeof f.payload === 'string' && f.payload.includes('"cobrowse.events"') && sent.push(f.payload)),
  );
  return sent;
}

/** shoot writes a screenshot of the viewport. */
async function shoot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), timeout: 60_000 });
}

for (const size of [
  { width: 1280, height: 800, tag: 'wide' },
  { width: 390, height: 844, tag: 'phone' },
]) {
  test(`during a call at ${size.width}×${size.height} the panel covers nothing the shopper must press`, { timeout: 240_000 }, async () => {
    const viewport = { width: size.width, height: size.height };
    const A = await enrollStaff(browser, await server.addAgent(STORE, uniqueEmail(`agent-${size.tag}`), { name: `Desk ${size.tag}` }), { viewport: { width: 1280, height: 800 } });
    const member = await server.addMember(`Paula ${size.tag}`, uniqueEmail(`paula-${size.tag}`));
    // The product page is checked at 1280×860 on the wide run, as the issue found it.
    const S = await enrollMember(browser, member, { viewport: size.tag === 'wide' ? { width: 1280, height: 860 } : viewport });
    const playErrors = watchPlayErrors(A.page);
    const recorded = watchCobrowseFrames(S.page);
    try {
      await A.page.emulateMedia({ reducedMotion: 'reduce' });
      await S.page.emulateMedia({ reducedMotion: 'reduce' });
      await S.page.goto(`${server.url}/phone/`);
      // --- The phone's directory keeps its Call column in sight (it was cut off at 1280 px).
      await S.page.locator('.directory-table tbody tr').first().waitFor();
      const wrap = await S.page.locator('.directory-card .table-wrap').evaluate((w) => ({ client: w.clientWidth, scroll: w.scrollWidth }));
      assert.ok(wrap.scroll <= wrap.client + 1, `the directory fits its card: ${wrap.scroll} px of table in ${wrap.client} px`);
      await reachable(S.page.locator('.directory-table tbody tr:not(.is-me) .col-call .btn').first(), 'the directory’s Call button');
      await S.page.locator('.directory-card h2').evaluate((h) => h.scrollIntoView({ block: 'center' }));
      await shoot(S.page, `phone-directory-${size.tag}`);

      await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });

      // --- The home page counts the open stores as their cards show them (it said "7 stores open" beside seven "Closed").
      await S.page.goto(`${server.url}/`);
      const head = S.page.locator('.store-list .section-head .muted');
      await waitFor('the store count to agree with the cards', async () => {
        const badges = await S.page.locator('.store-card .queue-badge').evaluateAll((els) => els.map((e) => e.getAttribute('data-queue-state')));
        const open = badges.filter((b) => b !== 'closed').length;
        const text = await head.innerText();
        const want = open === 0 ? /none open/ : open === badges.length ? /all open/ : new RegExp(`^${open} of ${badges.length} stores open`);
        return badges.length > 0 && open > 0 && want.test(text);
      });
      await head.evaluate((h) => h.scrollIntoView({ block: 'center' }));
      await shoot(S.page, `home-count-${size.tag}`);
      await callFromProduct(server, A, S, STORE, ITEM);
      const dock = S.page.locator('[data-testid=talk-panel]');
      assert.equal(await dock.getAttribute('data-layout'), size.tag === 'wide' ? 'column' : 'bar', 'the panel docks beside the page (wide) or folds to a bar (phone)');

      // --- On the phone, the co-browse consent stacks above the panel: the panel's buttons stay free.
      const consent = S.page.locator('[data-testid=cobrowse-consent]');
      await consent.waitFor({ timeout: 20_000 });
      const hangup = dock.locator('[data-testid=hangup]');
      assert.equal(await overlap(S.page, '[data-testid=cobrowse-consent]', '[data-testid=talk-panel]'), 0, 'the co-browse consent does not lie over the call panel');
      await reachable(hangup, 'the hang-up button with the co-browse consent open');
      await reachable(consent.getByRole('button', { name: 'Not now' }), 'the consent’s Not now');
      await shoot(S.page, `cobrowse-consent-${size.tag}`);
      // Allowed: the desk replays the shopper's page (call panel included) for the rest of the call.
      await consent.getByRole('button', { name: 'Allow' }).click();
      await consent.waitFor({ state: 'detached' });
      await A.page.locator('.cobrowse .cobrowse-phase.is-live').waitFor({ timeout: 20_000 });
      await reachable(S.page.locator('.cobrowse-stop'), 'Stop sharing');
      await reachable(hangup, 'the hang-up button while sharing');

      // --- The product page: the add-to-cart area is free during the call, and works.
      const detail = S.page.locator('.product-detail');
      await reachable(detail.locator('.btn-add-lg'), 'Add to cart');
      await reachable(detail.locator('.add-to-cart button').first(), 'the quantity stepper');
      await detail.locator('.btn-add-lg').click();
      await waitFor('two decanters in the cart', () =>
        S.page.evaluate((sku) => fetch('/api/v1/cart').then((r) => r.json()).then((b) => b.cart.items.find((i) => i.sku === sku)?.quantity === 2), ITEM),
      );
      await S.page.evaluate(() => window.scrollTo(0, 0));
      await shoot(S.page, `product-in-call-${size.tag}`);

      // --- The desk's side "Cart" box follows the shared cart (it was one decanter when the call was offered).
      const side = A.page.locator('.desk-call-side [data-testid=ctx-cart]');
      await waitFor('the desk side cart to show two decanters', async () => /^2×/.test(await side.locator('.ctx-qty').first().innerText().catch(() => '')), { timeout: 15_000 });
      await A.page.setViewportSize(viewport);
      await shoot(A.page, `desk-in-call-${size.tag}`);
      await A.page.setViewportSize({ width: 1280, height: 800 });

      // --- Checkout during the call at the size under test: Sign and Pay are free, and work.
      await S.page.setViewportSize(viewport);
      await S.page.locator('a[href="/cart"]').first().click();
      await reachable(S.page.locator('.btn-checkout'), 'Check out');
      await S.page.locator('.btn-checkout').click();
      await S.page.waitForURL((u) => u.pathname.startsWith('/orders/'), { timeout: 10_000 });
      const sign = S.page.locator('.sign-order').getByRole('button', { name: 'Sign with your passkey' });
      await sign.waitFor({ timeout: 10_000 });
      assert.equal(await dock.getAttribute('data-phase'), 'active', 'the call goes on at checkout');
      await S.page.evaluate(() => window.scrollTo(0, 0));
      await shoot(S.page, `checkout-in-call-${size.tag}`);
      await reachable(sign, 'Sign with your passkey');
      await sign.click();
      await S.page.locator('[data-testid=order-state][data-state=signed]').waitFor({ timeout: 20_000 });
      const pay = S.page.locator('.cart-summary').getByRole('button', { name: /^Pay / });
      await reachable(pay, 'the Payment card’s Pay button');
      await pay.click();
      await S.page.getByRole('heading', { name: 'Order confirmed' }).waitFor({ timeout: 30_000 });

      // --- Hang up: the ended panel covers no part of the order total.
      await reachable(dock.locator('[data-testid=hangup]'), 'Hang up');
      await dock.locator('[data-testid=hangup]').click();
      await S.page.locator('[data-testid=talk-panel][data-phase=ended]').waitFor({ timeout: 20_000 });
      await reachable(S.page.locator('.confirm-summary .totals-total dd'), 'the order total after hang-up');
      await reachable(dock.locator('[data-testid=talk-close]'), 'the ended panel’s Close');
      await S.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await shoot(S.page, `ended-${size.tag}`);

      await A.page.locator('.desk-call[data-phase=active]').waitFor({ state: 'detached', timeout: 10_000 });
      assert.ok(recorded.length > 0, 'the shopper’s page was recorded for the desk');
      const media = recorded.filter((f) => f.includes('rr_mediaState') || /"source":7[,}]/.test(f));
      assert.equal(media.length, 0, `the call's video is not in the co-browse recording: ${media[0]?.slice(0, 300)}`);
      assert.deepEqual(playErrors, [], 'the desk logged no interrupted play() during the call');
    } catch (e) {
      // What each side showed when it failed.
      await shoot(S.page, `failed-shopper-${size.tag}`).catch(() => {});
      await shoot(A.page, `failed-desk-${size.tag}`).catch(() => {});
      throw e;
    } finally {
      await A.context.close();
      await S.context.close();
    }
  });
}
