// Calls through the built-in TURN: two phones whose browsers may only use
// relayed candidates (iceTransportPolicy "relay", set by the test's init
// script, as a network that blocks everything but the TURN server would)
// call each other; media flows both ways, and each side's selected
// candidate pair is a relayed one. The node hands every device short-lived
// TURN credentials with its offer; the browsers use them without being told.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enrollMember, mediaFlows, serverAndBrowser, uniqueEmail, waitFor } from './server.mjs';
import { selectedPair } from './call-screen.mjs';

let server;
let browser;

// The test's TURN relays to the node on this machine: private addresses.
serverAndBrowser({ serveArgs: ['--turn-allow-private'] }, (s, b) => {
  server = s;
  browser = b;
});

/** relayOnly makes every peer connection of the page's context use TURN only. */
async function relayOnly(p) {
  await p.context.addInitScript(() => {
    const Watched = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Watched {
      constructor(config = {}, ...rest) {
        super({ ...config, iceTransportPolicy: 'relay' }, ...rest);
      }
    };
  });
  await p.page.reload();
  await p.page.getByText('Live', { exact: true }).waitFor();
}

test('two phones that may only use TURN call each other with media both ways', { timeout: 120_000 }, async () => {
  const a = await server.addMember('Rae Relay', uniqueEmail('rae'));
  const b = await server.addMember('Ray Relay', uniqueEmail('ray'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await relayOnly(A);
    await relayOnly(B);
    const card = A.page.locator('.dial-card');
    await A.page.getByLabel('Number to call').fill(b.number);
    await card.locator('.dial-party-name').getByText(b.name, { exact: true }).waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: `Call ${b.name}` }).click();
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 15_000 });
    await ring.getByRole('button', { name: 'Answer with video' }).click();

    const statsA = await mediaFlows(A.page, 'A (relay only)');
    const statsB = await mediaFlows(B.page, 'B (relay only)');
    assert.ok(statsA.audioOut > 0 && statsA.videoOut > 0 && statsB.audioOut > 0 && statsB.videoOut > 0, 'both send audio and video');
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      let pair = null;
      await waitFor(`${who}'s selected candidate pair`, async () => (pair = await selectedPair(p)) && pair.local.type);
      assert.equal(pair.policy, 'relay', `${who}'s peer connection is relay-only`);
      assert.equal(pair.local.type, 'relay', `${who}'s media goes through the TURN server (selected pair ${JSON.stringify(pair)})`);
    }
    await A.page.locator('.call-screen').getByRole('button', { name: 'Hang up' }).click();
    await waitFor("B's call to end", async () => (await B.page.locator('.call-screen').getAttribute('data-phase').catch(() => '')) === 'ended');
  } finally {
    await A.context.close();
    await B.context.close();
  }
});
