// The member's call screen as tests drive it: find it, wait for its
// phase, dial a member by number, close it once the call has ended.

import { waitFor } from './server.mjs';

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
