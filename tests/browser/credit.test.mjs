// Store credit closed in one call (issue #17, M13), two Chromium contexts
// over one demo server:
//
// A member calls Vinoteca Rossi from the decanter's page; the demo agent
// answers. The member checks out during the call and signs the order with
// their passkey. The agent sends a credit application: it opens in the
// member's call panel; the agent watches the fields being filled (names
// only) and the passkey signature, then submits it; within the store's demo
// rules (adult, verified address, up to €1,000) it is approved at once and
// the decision arrives in the call; the member pays the order with the new
// credit line from the call panel.
//
// Screenshots (1280×800 and 390×844) of the card in the call and the
// agent's progress view go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoStaff, enrollMember, enrollStaff, serverAndBrowser, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();
const STORE = 'vinoteca-rossi';
const SKU = 'VR-DECANT';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** birthDate is the ISO date of a birthday years ago (minus a week, so the age is certain). */
function birthDate(years) {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - 7);
  return d.toISOString().slice(0, 10);
}

/** get reads a JSON API answer from inside the page, with its session. */
function get(page, path) {
  return page.evaluate((path) => fetch(`/api/v1${path}`, { credentials: 'same-origin' }).then((r) => r.json()), path);
}

/** shoot takes the page at 1280×800 and 390×844, then puts the viewport back. */
async function shoot(page, name, focus) {
  const before = page.viewportSize();
  for (const [w, h] of [
    [1280, 800],
    [390, 844],
  ]) {
    await page.setViewportSize({ width: w, height: h });
    await focus?.scrollIntoViewIfNeeded().catch(() => {});
    await page.waitForTimeout(300); // layout settles after the resize
    await page.screenshot({ path: join(shots, `${name}-${w}x${h}.png`) });
  }
  if (before) await page.setViewportSize(before);
  // A phone-sized panel folds itself during a call; open it again.
  const folded = page.locator('[data-testid=talk-panel].is-min');
  if (await folded.count()) {
    await page.locator('[data-testid=talk-panel] .talk-dock-fold').click();
    await page.locator('[data-testid=talk-panel]:not(.is-min)').waitFor();
  }
}

/**
 * callStore has the member put the product in the cart from its page and
 * call the store; the agent answers. It is callFromProduct with the patience
 * of a loaded machine (six test runs share two cores here).
 */
async function callStore(A, S) {
  await S.page.goto(`${server.url}/store/${STORE}/product/${SKU}`);
  const detail = S.page.locator('.product-detail');
  await detail.waitFor({ timeout: 30_000 });
  await detail.locator('.btn-add-lg').click();
  await waitFor(`${SKU} in the cart`, () => get(S.page, '/cart').then((b) => b.cart.items.some((i) => i.sku === SKU)), { timeout: 30_000 });
  await detail.getByRole('button', { name: 'Talk to a sales agent' }).first().click();
  await S.page.locator('[data-testid=talk-call]').click();
  const ring = A.page.locator('[data-testid=incoming-call]');
  await ring.waitFor({ timeout: 60_000 });
  const entryId = await ring.getAttribute('data-entry-id');
  await ring.locator('[data-testid=answer]').click();
  await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 60_000 });
  await S.page.locator('[data-testid=talk-panel][data-phase=active]').waitFor({ timeout: 60_000 });
  return entryId;
}

/** whileFolded folds the call panel for the action (it may cover the page's buttons), then opens it again. */
async function whileFolded(page, action) {
  const fold = page.locator('[data-testid=talk-panel] .talk-dock-fold');
  await fold.click();
  await page.locator('[data-testid=talk-panel].is-min').waitFor();
  await action();
  await fold.click();
  await page.locator('[data-testid=talk-panel]:not(.is-min)').waitFor();
}

test('credit closed in one call: sent, filled and signed in the call panel, submitted, approved by the rules, order paid', { timeout: 420_000 }, async () => {
  const { stores } = await server.api('/stores');
  const storeName = stores.find((s) => s.slug === STORE).name;
  const agent = demoStaff(server).find((s) => s.role === 'agent' && s.store === storeName);
  assert.ok(agent, `serve --demo printed an agent of ${storeName}`);
  const A = await enrollStaff(browser, agent.link);
  const member = await server.addMember('Clara Credito', uniqueEmail('clara'), { birthdate: birthDate(35) });
  const S = await enrollMember(browser, member);
  for (const p of [A.page, S.page]) await p.emulateMedia({ reducedMotion: 'reduce' });

  await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
  const entryId = await callStore(A, S);

  // --- The member checks out during the call and signs the order.
  await S.page.locator('a[href="/cart"]').first().click();
  await S.page.locator('.btn-checkout').click();
  await S.page.waitForURL((u) => u.pathname.startsWith('/orders/'), { timeout: 10_000 });
  const orderId = new URL(S.page.url()).pathname.split('/').pop();
  await S.page.locator('[data-testid=order-state]').waitFor({ timeout: 10_000 });
  const placed = await get(S.page, `/orders/${orderId}`);
  if (!placed.order.needsSignature) {
    await S.page.screenshot({ path: join(shots, 'credit-debug-order.png') });
    assert.fail(`an order placed in the call needs the member's signature: ${JSON.stringify(placed.order)}`);
  }
  await whileFolded(S.page, async () => {
    await S.page.locator('.sign-order').getByRole('button', { name: 'Sign with your passkey' }).click();
    await S.page.locator('.state-badge[data-state="signed"]').waitFor({ timeout: 10_000 });
  });

  // --- The agent sends the application into the call.
  const panel = A.page.locator('[data-testid=engagement-credit]');
  await panel.waitFor({ timeout: 15_000 });
  await panel.locator('[data-testid=send-credit]').click({ noWaitAfter: true });
  await A.page.locator('[data-testid=engagement-credit][data-step=opened]').waitFor({ timeout: 10_000 });

  // --- It opens in the member's call panel; the agent sees the fields fill.
  const card = S.page.locator('[data-testid=talk-panel] [data-testid=credit-call]');
  await card.waitFor({ timeout: 10_000 });
  await card.getByLabel('Full name').fill('Clara Credito');
  await card.getByLabel('Employer').fill('Rossi & Figli');
  await A.page.locator('[data-testid=engagement-credit][data-step=filling] .credit-fields li.is-filled').nth(1).waitFor({ timeout: 10_000 });
  const agentSees = await panel.innerText();
  assert.ok(!agentSees.includes('Rossi & Figli'), `the agent sees which fields are filled, not the answers: ${agentSees}`);
  await card.getByLabel('Monthly income (€)').fill('2800');
  await card.getByLabel('Credit limit (€)').fill('150');
  await card.getByLabel(/I agree that/).check();
  await A.page.locator('.credit-fields li.is-filled').nth(4).waitFor({ timeout: 10_000 });
  await shoot(S.page, 'credit-card-form', card);
  await shoot(A.page, 'credit-agent-progress', panel);

  // --- Signed with the member's passkey.
  await card.getByRole('button', { name: 'Continue to sign' }).click();
  await S.page.locator('[data-testid=credit-call][data-step=filled]').waitFor({ timeout: 10_000 });
  await shoot(S.page, 'credit-card-sign', card);
  await card.getByRole('button', { name: 'Sign application with your passkey' }).click();
  await S.page.locator('[data-testid=credit-call][data-step=signed]').waitFor({ timeout: 10_000 });

  // --- The agent submits; the store's rules approve it at once.
  const submit = panel.locator('[data-testid=submit-credit]');
  await submit.waitFor({ timeout: 10_000 });
  await shoot(A.page, 'credit-agent-signed', panel);
  await submit.click({ noWaitAfter: true });
  await panel.locator('[data-testid=credit-decision]').getByText('Approved €150.00 within the store’s rules').waitFor({ timeout: 10_000 });

  // --- The decision arrives in the call; the credit pays the order.
  await S.page.locator('[data-testid=credit-call][data-state=approved]').waitFor({ timeout: 10_000 });
  await card.getByText('Approved: €150.00 of store credit').waitFor();
  const pay = card.getByRole('button', { name: 'Pay €59.00 with store credit' });
  await pay.waitFor({ timeout: 10_000 });
  await shoot(S.page, 'credit-card-approved', card);
  await pay.click();
  await card.locator('[data-testid=credit-paid]').waitFor({ timeout: 10_000 });
  await shoot(A.page, 'credit-agent-approved', panel);

  const { order } = await get(S.page, `/orders/${orderId}`);
  assert.equal(order.state, 'confirmed');
  assert.deepEqual(
    order.events.map((e) => e.to),
    ['draft', 'signed', 'paid', 'confirmed'],
  );
  const { applications } = await get(S.page, '/credit-applications');
  const line = applications.find((a) => a.entryId === entryId);
  assert.ok(line, `the application was sent in the call: ${JSON.stringify(applications)}`);
  assert.equal(line.state, 'approved');
  assert.equal(line.automatic, true);
  assert.equal(line.usedMinor, order.totalMinor);
  // The call went on throughout.
  await waitFor('the call still active', () => S.page.locator('[data-testid=talk-panel][data-phase=active]').count().then((n) => n === 1));
});
