// The member's call screen as tests drive it: find it, wait for its
// phase, dial a member by number, close it once the call has ended.

import { mediaFlows, waitFor } from './server.mjs';

/** callScreen is the call dialog; phase reads its data-phase. */
export function callScreen(page) {
  return page.locator('.call-screen');
}

export async function waitForPhase(page, phase, timeout = 15_000) {
  let seen = '';
  await waitFor(
    `the call screen to show phase ${phase}`,
    async () => {
      seen = (await callScreen(page).getAttribute('data-phase', { timeout: 500 }).catch(() => '')) ?? '';
      return seen === phase;
    },
    { timeout },
  ).catch((e) => {
    throw new Error(`${e.message}; last phase "${seen}"`);
  });
}

/** closeCallScreen closes an ended call's screen (it also closes by itself after a few seconds). */
export async function closeCallScreen(page) {
  await callScreen(page).getByRole('button', { name: 'Close' }).click({ timeout: 2_000 }).catch(() => {});
  await waitFor('the call screen to close', async () => (await callScreen(page).count()) === 0, { timeout: 15_000 });
}

/** dial types a number on the dial pad and presses Call. */
export async function dial(page, member) {
  const card = page.locator('.dial-card');
  const input = page.getByLabel('Number to call');
  // fill sets the whole number at once (typing is covered by the dial pad
  // test): typed keys could land on top of a number still on the pad.
  await input.fill(member.number);
  await card
    .locator('.dial-party-name')
    .getByText(member.name, { exact: true })
    .waitFor({ timeout: 10_000 })
    .catch(async (e) => {
      throw new Error(`${e.message}\ndial card: ${await card.innerText()} / input "${await input.inputValue()}"`);
    });
  await card.getByRole('button', { name: `Call ${member.name}` }).click();
}

/**
 * callWithVideo has A (member a) dial B (member b), B answer with video,
 * and waits until both send audio and video and each sees the other's
 * picture play.
 */
export async function callWithVideo(A, B, a, b) {
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
  if (!(statsA.audioOut > 0 && statsA.videoOut > 0 && statsB.audioOut > 0 && statsB.videoOut > 0)) {
    throw new Error(`both must send audio and video: A ${JSON.stringify(statsA)}, B ${JSON.stringify(statsB)}`);
  }
  for (const [p, who] of [
    [A.page, 'A'],
    [B.page, 'B'],
  ]) {
    await waitFor(`${who}'s remote video to play frames`, () =>
      p.locator('.remote-video').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0 && !v.classList.contains('is-off')),
    );
  }
}

/**
 * selectedPair reads both ends of the current call's selected candidate
 * pair (candidate type, protocol, port), or null before there is one.
 */
export function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.__testPeerConnections?.at(-1);
    if (!pc) return null;
    const stats = await pc.getStats();
    let pairId = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId && stats.get(pairId);
    if (!pair) return null;
    const end = (c) => ({ type: c?.candidateType, protocol: c?.protocol, port: c?.port });
    return { local: end(stats.get(pair.localCandidateId)), remote: end(stats.get(pair.remoteCandidateId)), policy: pc.getConfiguration().iceTransportPolicy };
  });
}
