// A call on the pion media engine (`--media-engine pion`; the node's own
// transport, lite, is the default and carries every other browser test):
// two browsers call by number with fake cameras and microphones; both
// must send and receive audio and video, measured with getStats, and see
// the other's picture play.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, peerState, uniqueEmail, serverAndBrowser, shotsDir } from './server.mjs';
import { callScreen, callWithVideo, closeCallScreen, waitForPhase } from './call-screen.mjs';

const shots = shotsDir();

let server;
let browser;

serverAndBrowser({ serveArgs: ['--media-engine', 'pion', '--ring-timeout', '20s'] }, (s, b) => {
  server = s;
  browser = b;
});

test('two phones call by number on the pion media engine, with media both ways', { timeout: 120_000 }, async () => {
  const a = await server.addMember('Pia Pion', uniqueEmail('pia'));
  const b = await server.addMember('Theo Transport', uniqueEmail('theo'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await callWithVideo(A, B, a, b);
    await A.page.screenshot({ path: join(shots, 'call-pion-connected-caller.png') });

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
