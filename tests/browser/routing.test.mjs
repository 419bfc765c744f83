// Routing in the browser: a member on a product page presses "Talk to a
// sales agent", waits in the store's queue, and the store's agent (on the
// desk, Available) sees the call ring with the product and the member's
// verified facts, answers, talks with media both ways (measured with
// getStats), hangs up and files the outcome, which the server keeps.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoStaff, enrollMember, enrollStaff, uniqueEmail, waitFor, mediaFlows, serverAndBrowser, shotsDir } from './server.mjs';

const shots = shotsDir();

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** deskAgent is GET /api/v1/desk/agent from inside the agent's page. */
function deskAgent(page) {
  return page.evaluate(() => fetch('/api/v1/desk/agent').then((r) => r.json()));
}

test('a member calls a store from a product page; its agent answers with the context, talks, wraps up', { timeout: 180_000 }, async () => {
  const staff = demoStaff(server);
  const agent = staff.find((s) => s.role === 'agent');
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.name === agent.store);
  assert.ok(store, `the agent's store ${agent.store} is in the mall`);
  const { departments } = await server.api(`/stores/${store.slug}`);
  const product = departments.flatMap((d) => d.products).find((p) => p.ageLimit === 0 && p.stock > 0);
  assert.ok(product, `${store.name} sells a product without an age limit`);

  const A = await enrollStaff(browser, agent.link);
  const member = await server.addMember('Marta Keller', uniqueEmail('marta'), { birthdate: '1990-04-12' });
  const S = await enrollMember(browser, member);
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await S.page.emulateMedia({ reducedMotion: 'reduce' });

    // --- The desk's socket makes the agent available; they step away for a moment.
    const availability = A.page.locator('[data-testid=agent-state]');
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    await A.page.screenshot({ path: join(shots, 'routing-desk-available.png') });
    await availability.locator('button[value=away]').click();
    await A.page.locator('.agent-pill[data-state=away]').waitFor();
    assert.equal((await deskAgent(A.page)).state, 'away');

    // --- The member opens the product and asks to talk: nobody is free, so they wait in line.
    await S.page.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
    await S.page.locator('.product-detail').waitFor();
    await S.page.locator('.product-detail').getByRole('button', { name: 'Talk to a sales agent' }).first().click();
    await S.page.locator('[data-testid=talk-call]').click();
    const position = S.page.locator('[data-testid=queue-position]');
    await position.waitFor({ timeout: 15_000 });
    assert.match(await position.innerText(), /1/, 'the member is first in line');
    await S.page.screenshot({ path: join(shots, 'routing-shopper-queued.png') });
    // The desk's queue shows them waiting, with the product.
    const line = A.page.locator('[data-testid=store-queue] .queue-item').first();
    await line.getByText(member.name).waitFor({ timeout: 10_000 });
    assert.ok((await line.innerText()).includes(product.name), `the queue line names the product: ${await line.innerText()}`);

    // --- The agent comes back: the router offers them the member at once.
    await availability.locator('button[value=available]').click();

    // --- The desk rings with the shopper's context: name, product, facts, never a birth date.
    const ring = A.page.locator('[data-testid=incoming-call]');
    await ring.waitFor({ timeout: 15_000 });
    const ringText = await ring.innerText();
    assert.ok(ringText.includes(product.name), `the ringing card names the product: ${ringText}`);
    assert.ok(ringText.includes(member.name), `the ringing card names the member: ${ringText}`);
    assert.match(ringText, /Member/);
    assert.match(ringText, /Over 18/);
    assert.ok(!ringText.includes('1990'), 'no birth date on the desk');
    const entryId = await ring.getAttribute('data-entry-id');
    assert.match(entryId ?? '', /^qe_/, `the card carries the queue entry: ${entryId}`);
    await A.page.locator('.agent-pill[data-state=ringing]').waitFor();
    await A.page.screenshot({ path: join(shots, 'routing-desk-ringing.png') });

    // --- The agent answers: media flows both ways.
    await ring.locator('[data-testid=answer]').click();
    await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });
    await A.page.locator('.agent-pill[data-state=on_call]').waitFor();
    const statsA = await mediaFlows(A.page, 'agent');
    const statsS = await mediaFlows(S.page, 'shopper');
    assert.ok(statsA.audioOut > 0 && statsA.videoOut > 0 && statsS.audioOut > 0 && statsS.videoOut > 0, 'both send audio and video');
    await waitFor("the shopper's video to play on the desk", () =>
      A.page.locator('video[data-testid=remote-video]').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0),
    );
    // The context stays beside the call.
    assert.ok((await A.page.locator('.desk-call-side').innerText()).includes(product.name));
    await A.page.screenshot({ path: join(shots, 'routing-desk-in-call.png') });
    await S.page.screenshot({ path: join(shots, 'routing-shopper-in-call.png') });

    // --- The agent hangs up and files the outcome.
    await A.page.locator('.desk-call [data-testid=hangup]').click();
    const outcome = A.page.locator('[data-testid=wrapup-outcome]');
    await outcome.waitFor({ timeout: 10_000 });
    await A.page.locator('.agent-pill[data-state=wrap_up]').waitFor();
    await outcome.selectOption('sold');
    await A.page.locator('[data-testid=wrapup-note]').fill('Took the product; wants the warranty details by email.');
    await A.page.screenshot({ path: join(shots, 'routing-desk-wrapup.png') });
    await A.page.locator('[data-testid=wrapup-save]').click();
    await A.page.locator('.wrap-saved').waitFor();

    const engagement = await A.page.evaluate((id) => fetch(`/api/v1/desk/engagements/${id}`).then((r) => r.json()), entryId);
    assert.equal(engagement.entryId, entryId);
    assert.equal(engagement.outcome, 'sold', `the outcome is stored: ${JSON.stringify(engagement)}`);
    assert.equal(engagement.note, 'Took the product; wants the warranty details by email.');
    assert.equal(engagement.context?.product?.name, product.name);

    // Ready for the next call: the agent is available again.
    await A.page.locator('[data-testid=ready]').click();
    await A.page.locator('.agent-pill[data-state=available]').waitFor();
    await A.page.locator('.desk-idle').waitFor();
    // The agent's own tile counts the call and the sale.
    await A.page.locator('[data-testid=today-served]', { hasText: '1 call' }).waitFor({ timeout: 10_000 });
    await A.page.locator('[data-testid=today-tile]', { hasText: '1 sale' }).waitFor({ timeout: 10_000 });
    await A.page.locator('[data-testid=today-tile]').screenshot({ path: join(shots, 'routing-desk-today.png') });
  } finally {
    await A.context.close();
    await S.context.close();
  }
});

test('a guest finds no agent free, asks for a call back, and the agent calls their page back', { timeout: 180_000 }, async () => {
  const staff = demoStaff(server);
  const { stores } = await server.api('/stores');
  // A store of its own, whose agent has not opened the desk yet: nobody can take the call.
  let agent;
  let store;
  let product;
  for (const s of staff.filter((x) => x.role === 'agent').slice(1)) {
    const st = stores.find((x) => x.name === s.store);
    if (!st) continue;
    const { departments } = await server.api(`/stores/${st.slug}`);
    const p = departments.flatMap((d) => d.products).find((x) => x.ageLimit === 0 && x.stock > 0);
    if (p) {
      [agent, store, product] = [s, st, p];
      break;
    }
  }
  assert.ok(agent, 'a second demo store sells a product without an age limit');

  const guest = await browser.newContext({ viewport: { width: 1280, height: 860 }, permissions: ['camera', 'microphone'] });
  const G = await guest.newPage();
  let A = null;
  try {
    await G.emulateMedia({ reducedMotion: 'reduce' });
    await G.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
    await G.locator('.product-detail').waitFor();
    await G.locator('.product-detail').getByRole('button', { name: 'Talk to a sales agent' }).first().click();
    await G.locator('[data-testid=talk-call]').click();
    const callMeBack = G.locator('[data-testid=fallback-callback]');
    await callMeBack.waitFor({ timeout: 15_000 });
    await callMeBack.click();
    await G.locator('[data-testid=talk-panel].stage-callback').waitFor({ timeout: 10_000 });

    // The agent opens the desk, which makes them available: the call back is theirs.
    A = await enrollStaff(browser, agent.link);
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    const card = A.page.locator('[data-testid=callback-card]');
    await card.waitFor({ timeout: 15_000 });
    const cardText = await card.innerText();
    assert.match(cardText, /Call back Guest/);
    assert.ok(cardText.includes(product.name), `the call-back card names the product: ${cardText}`);
    const entryId = await card.getAttribute('data-entry-id');
    await A.page.screenshot({ path: join(shots, 'routing-desk-callback.png') });
    await card.locator('[data-testid=callback-dial]').click();

    // The guest's page rings; they answer and both sides get media.
    const answer = G.locator('[data-testid=talk-panel] [data-testid=answer]');
    await answer.waitFor({ timeout: 15_000 });
    await answer.click();
    await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });
    await mediaFlows(A.page, 'agent (call back)');
    await mediaFlows(G, 'guest (called back)');

    await A.page.locator('.desk-call [data-testid=hangup]').click();
    await A.page.locator('[data-testid=wrapup-outcome]').selectOption('follow_up');
    await A.page.locator('[data-testid=wrapup-save]').click();
    await A.page.locator('.wrap-saved').waitFor();
    const engagement = await A.page.evaluate((id) => fetch(`/api/v1/desk/engagements/${id}`).then((r) => r.json()), entryId);
    assert.equal(engagement.outcome, 'follow_up', `the outcome is stored: ${JSON.stringify(engagement)}`);
    assert.equal(engagement.member, false);
  } finally {
    await A?.context.close();
    await guest.close();
  }
});

test('a guest behind an avatar shows live video when the agent asks', { timeout: 120_000 }, async () => {
  const staff = demoStaff(server);
  const { stores } = await server.api('/stores');
  // The third demo store: its agent serves only this test.
  const agent = staff.filter((s) => s.role === 'agent')[2];
  const store = stores.find((s) => s.name === agent.store);
  assert.ok(store, `the agent's store ${agent.store} is in the mall`);

  const A = await enrollStaff(browser, agent.link);
  const guest = await browser.newContext({ viewport: { width: 1280, height: 860 }, permissions: ['camera', 'microphone'] });
  const G = await guest.newPage();
  try {
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    await G.goto(`${server.url}/store/${store.slug}`);
    await G.getByRole('button', { name: 'Talk to a sales agent' }).first().click();
    await G.locator('.talk-mode[data-mode=avatar] input').check();
    await G.locator('[data-testid=talk-call]').click();

    const ring = A.page.locator('[data-testid=incoming-call]');
    await ring.waitFor({ timeout: 15_000 });
    assert.match(await ring.innerText(), /Behind an avatar/);
    await ring.locator('[data-testid=answer]').click();
    await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });
    const remote = A.page.locator('video[data-testid=remote-video]');
    assert.equal(await remote.evaluate((v) => v.classList.contains('is-off')), true, 'no video from a shopper behind an avatar');
    await A.page.getByText('Guest is behind an avatar.').waitFor();

    await A.page.locator('[data-testid=ask-video]').click();
    await A.page.getByText('Asked Guest for live video…').waitFor();
    await G.locator('[data-testid=video-accept]').click({ timeout: 10_000 });
    await waitFor("the guest's live video on the desk", () =>
      remote.evaluate((v) => v.videoWidth > 0 && v.currentTime > 0 && !v.classList.contains('is-off')),
    );
    await A.page.screenshot({ path: join(shots, 'routing-desk-avatar-video.png') });
    await A.page.locator('.desk-call [data-testid=hangup]').click();
    await A.page.locator('[data-testid=wrapup-outcome]').waitFor();
  } finally {
    await A.context.close();
    await guest.close();
  }
});
