// Appointments in the browser (issue #17, M18), on one demo server:
//
// - A shopper opens "Book a video call" on a product page and sees the
//   store's free times (the demo agent's working hours); screenshots of the
//   dialog at 1280×800 and 390×844.
// - The store's supervisor sets one-minute slots with no lead time through
//   the desk's API (the test's way of "moving the clock": the slot it books
//   starts within a minute or two, and the test simply waits for it; no
//   clock is moved on the server).
// - The shopper books the slot starting soonest (at least 75 s ahead),
//   downloads the .ics and checks it (RFC 5545 lines, DTSTART/DTEND in UTC,
//   the booking's link), opens the booking's page; the agent's desk lists
//   the booking.
// - A second agent of the store is online too, idle longer than the booked
//   one. At the slot's time the booking page joins by itself: the call
//   rings on the desk of the agent it was booked with (never the other's),
//   the ring card says it is their booked call, the agent answers, and
//   audio and video flow both ways.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoStaff, enrollStaff, mediaFlows, newPasskeyPage, serverAndBrowser, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();
const STORE = 'vinoteca-rossi';
const SKU = 'VR-DECANT';

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
      const res = await fetch(`/api/v1${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { method, path, body },
  );
}

/** booked waits for the dialog's confirmation, failing with the error it shows instead. */
async function booked(dialog) {
  await dialog.locator('[data-testid=book-confirmation], [data-testid=book-error]').first().waitFor({ timeout: 20_000 });
  const err = dialog.locator('[data-testid=book-error]');
  if ((await err.count()) > 0) assert.fail(`booking refused: ${await err.innerText()}`);
  return dialog.locator('[data-testid=book-confirmation]');
}

/** staffOf returns the demo agent and supervisor of the store. */
async function staffOf(slug) {
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.slug === slug);
  assert.ok(store, `${slug} is in the demo mall`);
  const staff = demoStaff(server).filter((s) => s.store === store.name);
  const agent = staff.find((s) => s.role === 'agent');
  const supervisor = staff.find((s) => s.role === 'supervisor');
  assert.ok(agent && supervisor, `serve --demo printed an agent and a supervisor of ${store.name}`);
  return { store, agent, supervisor };
}

/**
 * timesShown waits for the booking dialog's times and, when the first day
 * shows fewer than n (late in the day, only a few of the demo hours are
 * left), opens the next day.
 */
async function timesShown(dialog, n) {
  await dialog.locator('.book-time').first().waitFor({ timeout: 30_000 });
  if ((await dialog.locator('.book-time').count()) >= n) return;
  await dialog.locator('.book-days [role=tab]').nth(1).click();
  await dialog.locator('.book-time').nth(n - 1).waitFor({ timeout: 30_000 });
}

test('a shopper books a video call, gets the .ics, and at the time the desk and the shopper connect', { timeout: 300_000 }, async () => {
  const { agent, supervisor } = await staffOf(STORE);
  const A = await enrollStaff(browser, agent.link, { viewport: { width: 1280, height: 800 } });
  const SV = await enrollStaff(browser, supervisor.link, { viewport: { width: 1280, height: 800 } });
  const S = await newPasskeyPage(browser, { viewport: { width: 1280, height: 800 } });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  let B = null;
  try {
    for (const p of [A.page, SV.page, S.page]) await p.emulateMedia({ reducedMotion: 'reduce' });

    // --- The booking dialog with the demo hours, on a computer and a phone.
    const productPath = `/store/${STORE}/product/${SKU}`;
    await S.page.goto(`${server.url}${productPath}`);
    await S.page.locator('.product-detail [data-testid=book-call]').click();
    const dialog = S.page.locator('[data-testid=book-dialog]');
    await timesShown(dialog, 3);
    await dialog.locator('.book-time').nth(2).click();
    await dialog.getByLabel('Your name').fill('Ana Lima');
    await S.page.screenshot({ path: join(shots, 'book-dialog-1280.png') });
    const mobile = await phone.newPage();
    await mobile.goto(`${server.url}${productPath}`);
    await mobile.locator('.product-detail [data-testid=book-call]').click();
    await timesShown(mobile.locator('[data-testid=book-dialog]'), 2);
    await mobile.locator('[data-testid=book-dialog] .book-time').nth(1).click();
    await mobile.screenshot({ path: join(shots, 'book-dialog-390.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // --- The supervisor makes the store bookable now: one-minute calls,
    // no lead time, the agent working for the next half hour.
    const hours = await apiCall(SV.page, 'GET', '/desk/appointment-hours');
    assert.equal(hours.status, 200, JSON.stringify(hours.body));
    const agentRow = hours.body.agents.find((a) => a.name === agent.name);
    assert.ok(agentRow, `the hours list the agent ${agent.name}: ${JSON.stringify(hours.body.agents)}`);
    // Today (UTC) from now for half an hour, so the dialog lists a few
    // dozen one-minute slots.
    const now = new Date();
    const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const from = now.getUTCHours() * 60 + now.getUTCMinutes();
    const week = [{ agentId: agentRow.id, weekday: now.getUTCDay(), start: hhmm(from), end: hhmm(Math.min(from + 30, 24 * 60)) }];
    // The store's one time zone is UTC for this test (the demo opens in Berlin).
    const zone = await apiCall(SV.page, 'GET', '/desk/store-settings');
    assert.equal(zone.status, 200, JSON.stringify(zone.body));
    const { version, serviceLevelSeconds, credit } = zone.body;
    const toUTC = await apiCall(SV.page, 'PUT', '/desk/store-settings', { version, timeZone: 'UTC', serviceLevelSeconds, credit });
    assert.equal(toUTC.status, 200, JSON.stringify(toUTC.body));
    const set = await apiCall(SV.page, 'PUT', '/desk/appointment-hours', {
      settings: { timeZone: 'UTC', slotMinutes: 1, leadMinutes: 0, horizonDays: 1, noShowMinutes: 5 },
      hours: week,
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    // An agent may not change them.
    const refused = await apiCall(A.page, 'PUT', '/desk/appointment-hours', set.body);
    assert.equal(refused.status, 403);

    // The confirmation on a phone: a second shopper books a later slot there.
    await mobile.reload();
    await mobile.locator('.product-detail [data-testid=book-call]').click();
    const mDialog = mobile.locator('[data-testid=book-dialog]');
    await mDialog.locator('.book-time').nth(8).waitFor({ timeout: 30_000 });
    await mDialog.locator('.book-time').nth(8).click();
    await mDialog.getByLabel('Your name').fill('Bo Berg');
    await mDialog.getByLabel('Email for the confirmation').fill('bo.berg@example.com');
    await mDialog.locator('[data-testid=book-submit]').click();
    await booked(mDialog);
    await mobile.screenshot({ path: join(shots, 'book-confirmation-390.png') });


    // --- The shopper books the slot starting soonest, at least 75 s ahead
    // (time enough for the checks below before it starts).
    await S.page.reload();
    await S.page.locator('.product-detail [data-testid=book-call]').click();
    await dialog.locator('.book-time').first().waitFor({ timeout: 30_000 });
    const starts = await dialog.locator('.book-time input').evaluateAll((els) => els.map((e) => e.value));
    const pick = starts.find((s) => Date.parse(s) - Date.now() >= 75_000);
    assert.ok(pick, `a slot at least 75 s ahead among ${starts.slice(0, 5)}`);
    await dialog.locator(`.book-time:has(input[value="${pick}"])`).click();
    await dialog.getByLabel('Your name').fill('Ana Lima');
    await dialog.getByLabel('Email for the confirmation').fill('ana.lima@example.com');
    await dialog.locator('[data-testid=book-submit]').click();
    const done = await booked(dialog);
    assert.match(await done.innerText(), /ana\.lima@example\.com/);
    await S.page.screenshot({ path: join(shots, 'book-confirmation-1280.png') });

    // The .ics downloads and says the booking.
    const [download] = await Promise.all([S.page.waitForEvent('download'), done.locator('[data-testid=book-ics]').click()]);
    const ics = readFileSync(await download.path(), 'utf8');
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /\r\nEND:VCALENDAR\r\n$/);
    assert.ok(ics.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'every line is at most 75 octets');
    const utc = (iso) => new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    assert.ok(ics.includes(`\r\nDTSTART:${utc(pick)}\r\n`), `DTSTART is the slot ${pick}:\n${ics}`);
    assert.ok(ics.includes(`\r\nDTEND:${utc(Date.parse(pick) + 60_000)}\r\n`), `DTEND is a minute later:\n${ics}`);
    const unfolded = ics.replace(/\r\n /g, '');
    assert.match(unfolded, /\r\nSUMMARY:Video call with Vinoteca Rossi\r\n/);
    const link = /\r\nURL;VALUE=URI:(\S+)\r\n/.exec(unfolded)?.[1];
    assert.ok(link?.startsWith(`${server.url}/appointments/apt_`), `the .ics links the booking: ${link}`);

    // The booking's page (the link of the confirmation).
    await done.locator('[data-testid=book-link]').click();
    await S.page.waitForURL((u) => u.pathname.startsWith('/appointments/apt_'));
    assert.equal(S.page.url(), link, 'the page is the link the .ics and the email carry');
    const page = S.page.locator('[data-testid=appointment]');
    await page.waitFor();
    assert.equal(await page.getAttribute('data-status'), 'booked');
    await S.page.screenshot({ path: join(shots, 'appointment-page-1280.png'), timeout: 60_000 });

    // The desk lists it, on a computer and a phone.
    const row = A.page.locator('[data-testid=desk-appointment]').filter({ hasText: 'Ana Lima' });
    await A.page.reload();
    await A.page.locator('#desk-title').waitFor();
    await row.waitFor({ timeout: 20_000 });
    await A.page.locator('[data-testid=desk-appointments]').scrollIntoViewIfNeeded();
    await A.page.screenshot({ path: join(shots, 'desk-appointments-1280.png'), timeout: 60_000 });
    const deskPhone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, storageState: await SV.context.storageState() });
    const dp = await deskPhone.newPage();
    await dp.goto(`${server.url}/desk`);
    await dp.locator('[data-testid=desk-appointment]').filter({ hasText: 'Ana Lima' }).waitFor({ timeout: 15_000 });
    await dp.locator('[data-testid=desk-appointments]').scrollIntoViewIfNeeded();
    await dp.screenshot({ path: join(shots, 'desk-appointments-390.png') });
    await deskPhone.close();
    const mobileLink = await phone.newPage();
    await mobileLink.goto(link);
    await mobileLink.locator('[data-testid=appointment]').waitFor();
    await mobileLink.screenshot({ path: join(shots, 'appointment-page-390.png') });
    await mobileLink.close();
    // --- A second agent comes online; the booked agent takes a short break
    // and comes back, so the second one has been idle longer: without the
    // booking, the call would ring the second agent.
    const second = await server.addAgent(STORE, uniqueEmail('second-agent'), { name: 'Sam Second' });
    B = await enrollStaff(browser, second, { viewport: { width: 1280, height: 800 } });
    await B.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    assert.equal((await apiCall(A.page, 'PUT', '/desk/agent/state', { state: 'away' })).status, 200);
    assert.equal((await apiCall(A.page, 'PUT', '/desk/agent/state', { state: 'available' })).status, 200);
    // The second desk records whether it ever rings.
    await B.page.evaluate(() => {
      const seen = () => document.querySelector('[data-testid=incoming-call]') !== null;
      document.body.dataset.rang = String(seen());
      new MutationObserver(() => {
        if (seen()) document.body.dataset.rang = 'true';
      }).observe(document.body, { childList: true, subtree: true });
    });

    // --- At the time: the open booking page joins, the booked agent's desk
    // rings and says it is their booked call; the agent answers at once (a
    // ring lasts 15 s).
    await A.page.evaluate(() => window.scrollTo(0, 0));
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    const ring = A.page.locator('[data-testid=incoming-call]');
    await ring.waitFor({ timeout: Math.max(0, Date.parse(pick) - Date.now()) + 30_000 });
    assert.ok(Date.now() >= Date.parse(pick) - 1_000, 'the call came at the booked time, not before');
    const badge = ring.locator('[data-testid=ring-booking]');
    await badge.waitFor();
    assert.match(await badge.innerText(), /^Your booked video call at /);
    assert.match(await ring.innerText(), /Ana Lima/, 'a booked guest goes by the name they booked under');
    await A.page.screenshot({ path: join(shots, 'appointment-ring-1280.png') });
    await ring.locator('[data-testid=answer]').click();
    await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });
    await S.page.locator('[data-testid=talk-panel][data-phase=active]').waitFor({ timeout: 15_000 });
    await mediaFlows(A.page, 'agent');
    await mediaFlows(S.page, 'shopper');
    await waitFor('the booking to show as joined', async () => (await page.getAttribute('data-status')) === 'joined', { timeout: 20_000 });
    await S.page.screenshot({ path: join(shots, 'appointment-call-1280.png') });
    const joined = await apiCall(A.page, 'GET', '/desk/appointments');
    assert.ok(joined.body.appointments.some((a) => a.name === 'Ana Lima' && a.status === 'joined'), JSON.stringify(joined.body));
    assert.equal(await B.page.evaluate(() => document.body.dataset.rang), 'false', 'the second agent\'s desk never rang for the booked call');
  } finally {
    await B?.context.close();
    await phone.close();
    await A.context.close();
    await SV.context.close();
    await S.context.close();
  }
});
