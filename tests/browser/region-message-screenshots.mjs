// Screenshots of "Leave a message" after a dial to a member whose region
// cannot be reached (issue #19), at 1280×800 and 390×844: one node of
// region a with a plan naming region c, which no node serves; a directory
// entry of a member of c is put in a's database by hand (sqlite3), so a's
// dial of that number fails fast. Needs the sqlite3 command.
//
//   npm run --silent build && go build -o /tmp/lm ./backend/cmd/livemall &&
//   LIVEMALL_BIN=/tmp/lm node tests/browser/region-message-screenshots.mjs
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { enrollMember, launchBrowser, shotsDir, startServer, uniqueEmail, waitFor } from './server.mjs';

process.env.LIVEMALL_REGION = 'a';
process.env.LIVEMALL_NUMBER_BLOCKS = 'a=200000000000-299999999999,c=400000000000-499999999999';
const shots = shotsDir();
const server = await startServer({});
const browser = await launchBrowser();
const cleo = { name: 'Cleo Faraway', number: '400000000007' };
execFileSync('sqlite3', [
  join(server.dataDir, 'livemall.db'),
  `INSERT INTO region_entries (number, account_id, region, name, listed, is_primary, interests, version, received_at) VALUES ('${cleo.number}', 'ac_cleo', 'c', '${cleo.name}', 1, 1, '[]', 1, '2026-01-01 00:00:00')`,
]);
try {
  for (const [tag, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const member = await server.addMember(`Ada ${tag}`, uniqueEmail(`ada-${tag}`));
    const A = await enrollMember(browser, member, { viewport });
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await A.page.getByText('Live', { exact: true }).waitFor();
    await A.page.getByRole('radio', { name: 'Voice' }).check();
    await A.page.getByLabel('Number to call').fill(cleo.number);
    const card = A.page.locator('.dial-card');
    await card.locator('.dial-party-name').getByText(cleo.name, { exact: true }).waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: `Call ${cleo.name}` }).click();
    const leave = A.page.locator('.call-screen').getByRole('button', { name: 'Leave a message' });
    await leave.waitFor({ timeout: 15_000 });
    await A.page.screenshot({ path: join(shots, `region-message-offer-${tag}.png`) });
    await leave.click();
    await waitFor('the recording to start', async () => (await A.page.locator('.call-screen').getAttribute('data-phase')) === 'recording', { timeout: 30_000 });
    await A.page.waitForTimeout(1500);
    await A.page.screenshot({ path: join(shots, `region-message-recording-${tag}.png`) });
    await A.page.locator('.call-screen').getByRole('button', { name: /Hang up|Send/ }).first().click();
    await A.page.locator('.call-screen').getByText(/message/i).first().waitFor();
    await A.page.waitForTimeout(500);
    await A.page.screenshot({ path: join(shots, `region-message-sent-${tag}.png`) });
    await A.context?.close?.();
  }
  const kept = execFileSync('sqlite3', [join(server.dataDir, 'livemall.db'), `SELECT account_id, home_region, status, bytes FROM region_outbox`]).toString();
  console.log('region_outbox:\n' + kept);
} finally {
  await browser.close();
  await server.stop();
}
