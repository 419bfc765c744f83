// A call on the lite media engine (`--media-engine lite`): the node's own
// transport (ICE-lite, DTLS and SRTP on the socket's reader) instead of
// pion's peer connections. Two browsers call by number with fake cameras
// and microphones; both must send and receive audio and video, measured
// with getStats, and see the other's picture play.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, peerState, uniqueEmail, waitFor, mediaFlows, serverAndBrowser, shotsDir } from './server.mjs';
import { callScreen, closeCallScreen, dial, waitForPhase } from './call-screen.mjs';

const shots = shotsDir();

let server;
let browser;

serverAndBrowser({ serveArgs: ['--media-engine', 'lite', '--ring-timeout', '20s'] }, (s, b) => {
  server = s;
  browser = b;
});

test('two phones call by number on the lite media engine, with media both ways', { timeout: 120_000 }, async () => {
  const a = await server.addMember('Lina Lite', uniqueEmail('lina'));
  const b = await server.addMember('Theo Transport', uniqueEmail('theo'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await A.page.getByText('Live', { exact: true }).waitFor();
    await B.page.getByText('Live', { exact: true }).waitFor();
    await dial(A.page, b);
    await waitForPhase(A.page, 'ringing');
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 10_000 });
    await ring.getByRole('button', { name: 'Answer with video' }).click();
    await waitForPhase(B.page, 'active');
    await waitForPhase(A.page, 'active');

    const statsA = await mediaFlows(A.page, 'A (caller)');
    const statsB = await mediaFlows(B.page, 'B (callee)');
    assert.ok(statsA.audioOut > 0 && statsA.videoOut > 0 && statsB.audioOut > 0 && statsB.videoOut > 0, 'both send audio and video');
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      await waitFor(`${who}'s remote video to play frames`, () =>
        p.locator('.remote-video').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0 && !v.classList.contains('is-off')),
      );
    }
    await A.page.screenshot({ path: join(shots, 'call-lite-connected-caller.png') });

    await callScreen(A.page).getByRole('button', { name: 'Hang up' }).click();
    await waitForPhase(A.page, 'ended');
    await waitForPhase(B.page, 'ended');
    assert.equal(await peerState(A.page), 'closed', 'the peer connection is closed');
    await closeCallScreen(A.page);
  } finally {
    await A.context.close();
    await B.context.close();
  }
});
