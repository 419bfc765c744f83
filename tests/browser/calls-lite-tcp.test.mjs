// A call over ICE-TCP on the lite media engine: two phones whose browsers
// cannot reach the node's UDP (the test's init script takes the UDP
// candidates out of every offer the node sends, as a network that blocks
// UDP to the node would leave them) call each other on a node that runs
// `--media-engine lite --media-tcp-port P`. Media flows both ways, each
// side's selected candidate pair reaches the node on its TCP port, and the
// picture plays.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, uniqueEmail, waitFor, serverAndBrowser, shotsDir } from './server.mjs';
import { callScreen, callWithVideo, closeCallScreen, selectedPair, waitForPhase } from './call-screen.mjs';

const shots = shotsDir();

/** freeTCPPort is a TCP port nothing listens on now. */
function freeTCPPort() {
  return new Promise((resolve, reject) => {
    const l = createServer();
    l.once('error', reject);
    l.listen(0, '0.0.0.0', () => {
      const { port } = l.address();
      l.close(() => resolve(port));
    });
  });
}

const tcpPort = await freeTCPPort();

let server;
let browser;

serverAndBrowser({ serveArgs: ['--media-engine', 'lite', '--media-tcp-port', String(tcpPort), '--ring-timeout', '20s'] }, (s, b) => {
  server = s;
  browser = b;
});

/** noUDPToTheNode takes the UDP candidates out of every description the page's peer connections are given. */
async function noUDPToTheNode(p) {
  await p.context.addInitScript(() => {
    const Watched = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Watched {
      setRemoteDescription(desc, ...rest) {
        if (desc?.sdp) desc = { type: desc.type, sdp: desc.sdp.replace(/^a=candidate:\S+ \d+ udp .*\r\n/gim, '') };
        return super.setRemoteDescription(desc, ...rest);
      }
      addIceCandidate(c, ...rest) {
        if (/ udp /i.test(c?.candidate ?? '')) return Promise.resolve();
        return super.addIceCandidate(c, ...rest);
      }
    };
  });
  await p.page.reload();
}

test('two phones without UDP call each other over ICE-TCP on the lite media engine', { timeout: 120_000 }, async () => {
  const a = await server.addMember('Tia Tcp', uniqueEmail('tia'));
  const b = await server.addMember('Tom Tcp', uniqueEmail('tom'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await noUDPToTheNode(A);
    await noUDPToTheNode(B);
    await callWithVideo(A, B, a, b);
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      let pair;
      await waitFor(`${who}'s selected candidate pair`, async () => (pair = await selectedPair(p)) && pair.remote.protocol);
      assert.deepEqual(
        { local: pair.local.protocol, remote: pair.remote, policy: pair.policy },
        { local: 'tcp', remote: { type: 'host', protocol: 'tcp', port: tcpPort }, policy: 'all' },
        `${who} reaches the node's media TCP port directly`,
      );
    }
    await A.page.screenshot({ path: join(shots, 'call-lite-tcp-connected-caller.png') });

    await callScreen(A.page).getByRole('button', { name: 'Hang up' }).click();
    await waitForPhase(A.page, 'ended');
    await waitForPhase(B.page, 'ended');
    await closeCallScreen(A.page);
  } finally {
    await A.context.close();
    await B.context.close();
  }
});
