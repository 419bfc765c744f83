// Closing an order in the browser: the member signs an order with their
// passkey (the virtual authenticator verifies the user) and pays it. Store
// credit, once part of this test, is closed in a call now: credit.test.mjs.
//
// An order needs a signature when the shopper is on a call with an agent
// (or buys age-restricted goods, which needs the agent's video check). No
// call is set up here: the test marks its order as the engagement layer
// would, in the database, and drives everything else through the UI and API.
//
// LIVEMALL_SHOTS=/dir also writes screenshots of each step there.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, launchBrowser, startServer, uniqueEmail } from './server.mjs';

const store = 'vinoteca-rossi';
const shots = process.env.LIVEMALL_SHOTS;
if (shots) mkdirSync(shots, { recursive: true });

async function shot(page, name) {
  if (!shots) return;
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** call sends a JSON request from inside the page, with its session and CSRF token. */
function call(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const cookie = () => document.cookie.split('; ').find((c) => c.startsWith('lm_csrf='))?.slice(8);
      if (!cookie()) await fetch('/api/v1/csrf', { credentials: 'same-origin' });
      const res = await fetch(`/api/v1${path}`, {
        method,
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(cookie() ?? '') },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    [method, path, body],
  );
}

/** markNeedsSignature does what the engagement layer does for an order placed during a call. */
function markNeedsSignature(server, orderId) {
  const db = join(server.dataDir, 'livemall.db');
  execFileSync('python3', [
    '-c',
    'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.execute("UPDATE orders SET needs_signature = 1 WHERE id = ?", (sys.argv[2],)); c.commit()',
    db,
    orderId,
  ]);
}

test('a member signs an order with a passkey and pays it', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  const member = await server.addMember('Clara Credit', uniqueEmail('clara'));
  const shopper = await enrollMember(browser, member);
  const page = shopper.page;

  // An order placed with an agent must be signed before it is paid.
  assert.equal((await call(page, 'POST', '/cart/items', { store, sku: 'VR-DECANT', quantity: 1 })).status, 200);
  const checkout = await call(page, 'POST', '/checkout', {});
  assert.equal(checkout.status, 201);
  const orderId = checkout.body.order.id;
  markNeedsSignature(server, orderId);
  await page.goto(`${server.url}/orders/${orderId}`);
  const sign = page.locator('.sign-order');
  await sign.getByText('1 × Hand-blown Decanter').waitFor();
  await page.locator('.page-head').getByText('Awaiting your signature').waitFor();
  assert.equal(await page.getByRole('button', { name: /^Pay / }).count(), 0, 'an unsigned order offers no Pay button');
  const unsignedPay = await call(page, 'POST', `/orders/${orderId}/pay`, {});
  assert.equal(unsignedPay.status, 409);
  assert.match(unsignedPay.body.error.message, /signed with your passkey/);
  await shot(page, 'sign-1-order');
  await sign.getByRole('button', { name: 'Sign with your passkey' }).click();
  await page.locator('.state-badge[data-state="signed"]').waitFor();
  const pay = page.getByRole('button', { name: /^Pay / }).first();
  await shot(page, 'sign-2-signed');

  await pay.click();
  await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
  await shot(page, 'sign-3-confirmed');
  const order = await call(page, 'GET', `/orders/${orderId}`);
  assert.deepEqual(
    order.body.order.events.map((e) => e.to),
    ['draft', 'signed', 'paid', 'confirmed'],
  );
});
