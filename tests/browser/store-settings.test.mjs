// The store's settings on the desk (issue #17): the demo store's supervisor
// reaches "Store settings" from the Store tile, changes the time zone and
// the service-level threshold, saves, sees the saved confirmation, reloads
// and finds them kept (and the figures' range in the new zone); a save from
// a stale form is refused with "changed meanwhile" and a Reload; the agent
// sees no settings entry and gets 403 from the API.
//
// Screenshots (1280×800 and 390×844) go to $LIVEMALL_SHOTS (default
// /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoStaff, enrollStaff, serverAndBrowser, shotsDir } from './server.mjs';

const shots = shotsDir();
const STORE = 'vinoteca-rossi';
/** shot keeps the sticky top bar out of element screenshots. */
const shot = { style: '.topbar { position: static !important; }' };

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

/** apiCall sends a request from the page with its session and CSRF token. */
function apiCall(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const { token } = await fetch('/api/v1/csrf').then((r) => r.json());
      const r = await fetch('/api/v1' + path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    { method, path, body },
  );
}

test('a supervisor changes the time zone and the threshold, and they are kept; an agent has no settings', async () => {
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.slug === STORE);
  const staff = demoStaff(server).filter((s) => s.store === store.name);
  const sup = await enrollStaff(browser, staff.find((s) => s.role === 'supervisor').link, { viewport: { width: 1280, height: 800 } });
  const page = sup.page;

  // The entry on the Store tile leads to the settings.
  await page.getByTestId('settings-link').click();
  const card = page.getByTestId('store-settings');
  await card.getByRole('heading', { name: 'Store settings' }).waitFor();
  const zone = card.getByLabel('Time zone');
  const threshold = card.getByLabel('Service-level threshold');
  assert.equal(await zone.inputValue(), 'Europe/Berlin', 'the demo store opens in Berlin');
  assert.equal(await threshold.inputValue(), '20');
  await page.waitForFunction(() => document.querySelector('#store-settings')?.getBoundingClientRect().top < window.innerHeight, null, { timeout: 5000 });

  await zone.selectOption('America/New_York');
  await threshold.fill('45');
  await card.getByText('It is', { exact: false }).waitFor();
  await card.getByRole('button', { name: 'Save settings' }).click();
  await card.getByTestId('settings-saved').filter({ hasText: 'Saved at' }).waitFor();
  assert.equal(await page.locator('#appt-tz').inputValue(), 'America/New_York', 'the hours editor shows the saved zone');
  await page.getByTestId('analytics').getByText('days in America/New_York').waitFor({ timeout: 10_000 });
  await card.screenshot({ path: join(shots, 'store-settings-1280.png'), ...shot });
  await page.screenshot({ path: join(shots, 'store-settings-desk-1280.png'), fullPage: true });

  await page.reload();
  const again = page.getByTestId('store-settings');
  await again.getByRole('heading', { name: 'Store settings' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#ss-tz')?.value === 'America/New_York', null, { timeout: 10_000 });
  assert.equal(await again.getByLabel('Service-level threshold').inputValue(), '45', 'the threshold is kept');
  // The figures count New York's days against 45 s now.
  const report = await apiCall(page, 'GET', '/desk/analytics?range=today');
  assert.equal(report.status, 200, JSON.stringify(report.body));
  assert.equal(report.body.range.timeZone, 'America/New_York');
  assert.equal(report.body.serviceLevelSeconds, 45);
  // The hours editor shows the store's zone, read-only.
  assert.equal(await page.locator('#appt-tz').inputValue(), 'America/New_York');

  // Another supervisor (here: the API, as another tab) saves meanwhile:
  // this form's save is refused with a way to reload.
  const cur = await apiCall(page, 'GET', '/desk/store-settings');
  const meanwhile = await apiCall(page, 'PUT', '/desk/store-settings', { ...cur.body, currency: undefined, updatedAt: undefined, serviceLevelSeconds: 50 });
  assert.equal(meanwhile.status, 200, JSON.stringify(meanwhile.body));
  await again.getByLabel('Service-level threshold').fill('55');
  await again.getByRole('button', { name: 'Save settings' }).click();
  const refused = again.getByTestId('settings-error');
  await refused.filter({ hasText: 'changed meanwhile' }).waitFor();
  await refused.getByRole('button', { name: 'Reload' }).click();
  await page.waitForFunction(() => document.querySelector('#ss-sl')?.value === '50', null, { timeout: 10_000 });
  await refused.waitFor({ state: 'detached' });

  // On a phone: the same card, one column, saved again.
  await page.setViewportSize({ width: 390, height: 844 });
  await again.getByLabel('Service-level threshold').fill('45');
  await again.getByRole('button', { name: 'Save settings' }).click();
  await again.getByTestId('settings-saved').waitFor();
  await again.screenshot({ path: join(shots, 'store-settings-390.png'), ...shot });

  // The agent: no entry, no card, and the API refuses.
  const ag = await enrollStaff(browser, staff.find((s) => s.role === 'agent').link, { viewport: { width: 1280, height: 800 } });
  await ag.page.getByTestId('analytics').waitFor();
  assert.equal(await ag.page.getByTestId('settings-link').count(), 0, 'an agent sees no settings entry');
  assert.equal(await ag.page.getByTestId('store-settings').count(), 0, 'an agent sees no settings');
  const forbidden = await apiCall(ag.page, 'GET', '/desk/store-settings');
  assert.equal(forbidden.status, 403);
  await sup.context.close();
  await ag.context.close();
});
