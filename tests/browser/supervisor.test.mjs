// A supervisor in a live call, in Chromium with the fake camera and
// microphone (issue #16, M15): a member calls Vinoteca Rossi from a
// product page, the store's agent answers on the desk, and Noor, a
// supervisor of the store, steps in from the live view.
//
// - The live view lists the call: agent, shopper, duration, product, cart.
// - Monitor: Noor receives the shopper's and the agent's audio and video
//   (two streams, bytes growing, frames decoded) and sees the shopper's
//   co-browsed page; the shopper and the agent each receive exactly one
//   stream (each other's) and see nobody new.
// - Whisper: the agent receives a second audio stream (Noor's) and the
//   desk says "Noor, supervisor is whispering to you"; the shopper still
//   receives one stream and is told nothing.
// - Barge: both receive Noor's audio and video; the shopper's call panel
//   says "Noor, supervisor, joined" and shows her picture, named.
// - Leave: the call goes on between the shopper and the agent; every step
//   is on the engagement, and the agent's wrap-up lists the whisper and the
//   barge (never the monitoring).
//
// Screenshots of the live view with the call listed and while monitoring,
// at 1280×800 and 390×844, go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { callFromProduct, demoStaff, enrollMember, enrollStaff, mediaFlows, serverAndBrowser, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();
const STORE = 'vinoteca-rossi';
const WINE = 'VR-BAROLO-18';

let server;
let browser;

serverAndBrowser({ demo: true }, (s, b) => {
  server = s;
  browser = b;
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * streams reads the page's current peer connection (the last it opened) and
 * sums inbound bytes and decoded frames per remote MediaStream (the msid of
 * each m-line of the server's offer); null without a connection.
 */
function streams(page) {
  return page.evaluate(async () => {
    const pc = window.__testPeerConnections?.at(-1);
    if (!pc || !pc.remoteDescription) return null;
    const streamOfMid = {};
    let mid = null;
    for (const line of pc.remoteDescription.sdp.split(/\r?\n/)) {
      if (line.startsWith('m=')) mid = null;
      const m = /^a=mid:(\S+)/.exec(line);
      if (m) mid = m[1];
      const s = /^a=msid:(\S+)/.exec(line);
      if (s && mid !== null) streamOfMid[mid] = s[1];
    }
    const out = {};
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const id = streamOfMid[r.mid] ?? `mid-${r.mid}`;
      const x = (out[id] ??= { audio: 0, video: 0, frames: 0 });
      if (r.kind === 'video') {
        x.video += r.bytesReceived ?? 0;
        x.frames += r.framesDecoded ?? 0;
      } else x.audio += r.bytesReceived ?? 0;
    });
    return out;
  });
}

/**
 * hears measures, over two seconds, which remote streams of the page's
 * call grow: {audio: [streams whose audio grew], video: [… whose decoded
 * frames grew]}.
 */
async function hears(page) {
  const a = (await streams(page)) ?? {};
  await sleep(2_000);
  const b = (await streams(page)) ?? {};
  const audio = Object.keys(b).filter((s) => b[s].audio > (a[s]?.audio ?? 0));
  const video = Object.keys(b).filter((s) => b[s].frames > (a[s]?.frames ?? 0));
  return { audio: audio.sort(), video: video.sort(), stats: b };
}

/** waitHears waits until the page hears exactly nAudio streams and sees nVideo. */
async function waitHears(page, who, nAudio, nVideo) {
  let last;
  await waitFor(
    `${who} to hear ${nAudio} and see ${nVideo} streams`,
    async () => {
      last = await hears(page);
      return last.audio.length === nAudio && last.video.length === nVideo;
    },
    { timeout: 30_000, interval: 250 },
  ).catch((e) => {
    throw new Error(`${e.message}; last ${JSON.stringify(last)}`);
  });
  console.log(`${who}: hears ${last.audio.join(', ')}; sees ${last.video.join(', ')}`);
  return last;
}

test('a supervisor monitors, whispers and barges into a live call', { timeout: 300_000 }, async () => {
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.slug === STORE);
  const agent = demoStaff(server).find((s) => s.role === 'agent' && s.store === store.name);
  assert.ok(agent, `serve --demo printed an agent of ${store.name}`);
  const out = await server.cli('agent', 'add', '--store', STORE, '--email', uniqueEmail('noor'), '--name', 'Noor Haddad', '--supervisor', '--data', server.dataDir, '--public-url', server.url);
  const noorLink = /https?:\/\/\S*enroll=\S+/.exec(out)?.[0];
  assert.ok(noorLink, `agent add --supervisor printed a link: ${out}`);

  const A = await enrollStaff(browser, agent.link);
  const N = await enrollStaff(browser, noorLink);
  const member = await server.addMember('Sam Keller', uniqueEmail('sam'), { birthdate: '1988-03-02' });
  const S = await enrollMember(browser, member);
  try {
    for (const p of [A, N, S]) await p.page.emulateMedia({ reducedMotion: 'reduce' });
    // The desk asks the shopper to share their screen at once; the shopper allows.
    await A.page.locator('.agent-pill[data-state=available]').waitFor({ timeout: 15_000 });
    const entryId = await callFromProduct(server, A, S, STORE, WINE);
    await mediaFlows(A.page, 'agent');
    await mediaFlows(S.page, 'shopper');
    await S.page.locator('[data-testid=cobrowse-consent]').getByRole('button', { name: 'Allow' }).click({ timeout: 20_000 });
    await A.page.locator('.cobrowse .cobrowse-phase.is-live').waitFor({ timeout: 20_000 });

    // --- The live view lists the call.
    const row = N.page.locator(`[data-testid=live-call][data-entry-id="${entryId}"]`);
    await row.waitFor({ timeout: 15_000 });
    const rowText = await row.innerText();
    assert.match(rowText, new RegExp(agent.name), `the row names the agent: ${rowText}`);
    assert.match(rowText, /Sam Keller/, `the row names the shopper: ${rowText}`);
    assert.match(rowText, /Barolo/, `the row names the product: ${rowText}`);
    assert.match(rowText, /1 item/, `the row shows the cart: ${rowText}`);
    await N.page.setViewportSize({ width: 1280, height: 800 });
    await N.page.screenshot({ path: join(shots, 'supervisor-live-view-1280.png') });
    await N.page.setViewportSize({ width: 390, height: 844 });
    await row.scrollIntoViewIfNeeded();
    await N.page.screenshot({ path: join(shots, 'supervisor-live-view-390.png') });
    await N.page.setViewportSize({ width: 1280, height: 800 });

    // --- Monitor: Noor hears and sees both; they hear only each other.
    await row.locator('[data-testid=supervise-monitor]').click();
    const panel = N.page.locator('[data-testid=supervise-panel]');
    await panel.locator('[data-testid=supervise-remote]').nth(1).waitFor({ timeout: 20_000 });
    await N.page.locator('[data-testid=supervise-panel][data-phase=live][data-mode=monitor]').waitFor({ timeout: 20_000 });
    await waitHears(N.page, 'Noor monitoring', 2, 2);
    await waitHears(S.page, 'the shopper while Noor monitors', 1, 1);
    await waitHears(A.page, 'the agent while Noor monitors', 1, 1);
    const captions = await panel.locator('[data-testid=supervise-remote] figcaption').allInnerTexts();
    assert.equal(captions.length, 2, `two people in the call: ${captions}`);
    assert.ok(captions.some((c) => c.includes(agent.name.split(' ')[0])), `the agent is named: ${captions}`);
    assert.ok(captions.some((c) => c.includes('Sam')), `the shopper is named: ${captions}`);
    assert.equal(await S.page.locator('[data-testid=call-person], [data-testid=call-joined]').count(), 0, 'the shopper sees nobody new');
    assert.equal(await A.page.locator('[data-testid=desk-others], [data-testid=desk-whisper]').count(), 0, 'the agent sees nobody new');
    // The shopper's shared page, on Noor's desk too.
    await panel.locator('.cobrowse-phase.is-live').waitFor({ timeout: 30_000 });
    // (Scrolled to the panel, below the sticky top bar.)
    const toPanel = () =>
      panel.evaluate((el) => {
        const bar = document.querySelector('header')?.getBoundingClientRect().height ?? 0;
        window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - bar - 12);
      });
    await toPanel();
    await N.page.screenshot({ path: join(shots, 'supervisor-monitoring-1280.png') });
    await N.page.setViewportSize({ width: 390, height: 844 });
    await toPanel();
    await N.page.screenshot({ path: join(shots, 'supervisor-monitoring-390.png') });
    await N.page.setViewportSize({ width: 1280, height: 800 });

    // --- Whisper: the agent hears Noor; the shopper does not.
    await panel.locator('[data-testid=supervise-whisper]').click();
    await N.page.locator('[data-testid=supervise-panel][data-mode=whisper]').waitFor();
    await A.page.locator('[data-testid=desk-whisper]').getByText('Noor, supervisor is whispering to you').waitFor({ timeout: 20_000 });
    await waitHears(A.page, 'the agent while Noor whispers', 2, 1);
    await waitHears(S.page, 'the shopper while Noor whispers', 1, 1);
    await waitHears(N.page, 'Noor whispering', 2, 2);
    assert.equal(await S.page.locator('[data-testid=call-person], [data-testid=call-joined]').count(), 0, 'the shopper is told nothing');
    await A.page.screenshot({ path: join(shots, 'supervisor-agent-whispered.png') });

    // --- Barge: both hear and see Noor; the shopper is told who joined.
    await panel.locator('[data-testid=supervise-barge]').click();
    await N.page.locator('[data-testid=supervise-panel][data-mode=barge]').waitFor();
    const joined = S.page.locator('[data-testid=call-joined]');
    await joined.waitFor({ timeout: 20_000 });
    assert.equal((await joined.innerText()).trim(), 'Noor, supervisor, joined');
    await S.page.locator('[data-testid=call-person] figcaption').getByText('Noor, supervisor').waitFor({ timeout: 20_000 });
    await S.page.screenshot({ path: join(shots, 'supervisor-shopper-barged.png') });
    await waitHears(S.page, 'the shopper after the barge', 2, 2);
    await waitHears(A.page, 'the agent after the barge', 2, 2);
    await A.page.locator('[data-testid=desk-others] figcaption').getByText('Noor, supervisor').waitFor({ timeout: 20_000 });
    assert.equal(await A.page.locator('[data-testid=desk-whisper]').count(), 0, 'no longer a whisper');

    // --- Leave: the call goes on between the two.
    await panel.locator('[data-testid=supervise-leave]').click();
    await N.page.locator('[data-testid=supervise-panel][data-phase=ended]').waitFor({ timeout: 15_000 });
    await S.page.locator('[data-testid=call-person]').waitFor({ state: 'detached', timeout: 20_000 });
    await waitHears(S.page, 'the shopper after Noor left', 1, 1);
    await S.page.locator('[data-testid=talk-panel][data-phase=active]').waitFor();

    // Each step is on the engagement.
    const steps = await N.page.evaluate((id) => fetch(`/api/v1/desk/engagements/${id}`).then((r) => r.json()).then((e) => e.supervisions.map((s) => s.mode)), entryId);
    assert.deepEqual(steps, ['monitor', 'whisper', 'barge', 'stop']);

    // The agent hangs up; their wrap-up lists the steps they knew of (a
    // whisper, a barge), never the monitoring.
    await A.page.locator('.desk-call [data-testid=hangup]').click();
    const record = A.page.locator('[data-testid=supervision-record]');
    await record.waitFor({ timeout: 15_000 });
    const recordText = await record.innerText();
    assert.match(recordText, /Noor Haddad whispered to the agent/, recordText);
    assert.match(recordText, /Noor Haddad joined the call/, recordText);
    assert.doesNotMatch(recordText, /monitored/, recordText);
  } finally {
    for (const p of [A, N, S]) await p.context.close().catch(() => {});
  }
});
