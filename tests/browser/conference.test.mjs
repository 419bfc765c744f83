// A conference call between members in the browser: Ada calls Ben, Ben
// answers, Ada adds Cleo by number with "Add person", Cleo's phone rings
// ("Adds you to a call"), Cleo answers; each of the three phones (fake
// cameras) plays two remote videos with the others' names. Ada hangs up;
// Ben and Cleo go on. Every wait polls with a deadline.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots): the add-person
// field, the ringing invitee and the three-way call at 1280×800 and 390×844.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { enrollMember, mediaFlows, serverAndBrowser, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();

let server;
let browser;

serverAndBrowser({ serveArgs: ['--ring-timeout', '30s'] }, (s, b) => {
  server = s;
  browser = b;
});

function callScreen(page) {
  return page.locator('.call-screen');
}

async function waitForPhase(page, phase, timeout = 20_000) {
  await waitFor(`the call screen to show phase ${phase}`, async () => (await callScreen(page).getAttribute('data-phase', { timeout: 500 }).catch(() => '')) === phase, {
    timeout,
  });
}

async function dial(page, member) {
  const card = page.locator('.dial-card');
  await page.getByLabel('Number to call').fill(member.number);
  await card.locator('.dial-party-name').getByText(member.name, { exact: true }).waitFor({ timeout: 10_000 });
  await card.getByRole('button', { name: `Call ${member.name}` }).click();
}

/** playingTiles are the names on the conference tiles whose video plays frames. */
function playingTiles(page) {
  return page.locator('.conf-tile').evaluateAll((tiles) =>
    tiles.filter((t) => {
      const v = t.querySelector('video');
      return v && v.videoWidth > 0 && v.currentTime > 0;
    }).map((t) => t.dataset.name),
  );
}

/** shot takes a screenshot once every playing video of the page has presented a frame. */
async function shot(page, name) {
  // A page behind others paints no video frames: bring it forward first.
  await page.bringToFront();
  await page
    .evaluate(() =>
      Promise.race([
        Promise.all(
          [...document.querySelectorAll('video')]
            .filter((v) => v.srcObject && !v.paused)
            .map((v) => new Promise((r) => v.requestVideoFrameCallback(() => r()))),
        ),
        new Promise((r) => setTimeout(r, 5_000)),
      ]),
    )
    .catch(() => {});
  await page.screenshot({ path: join(shots, name) });
}

async function seesTwo(page, who, names) {
  let seen = [];
  await waitFor(
    `${who} to see ${names.join(' and ')} playing`,
    async () => {
      seen = await playingTiles(page);
      return names.every((n) => seen.includes(n)) && seen.length === 2;
    },
    { timeout: 30_000 },
  ).catch((e) => {
    throw new Error(`${e.message}; playing: ${JSON.stringify(seen)}`);
  });
}

test('three members in one call: add a person by number, each sees the two others', { timeout: 240_000 }, async () => {
  const a = await server.addMember('Ada Conference', uniqueEmail('ada'));
  const b = await server.addMember('Ben Conference', uniqueEmail('ben'));
  const c = await server.addMember('Cleo Conference', uniqueEmail('cleo'));
  const A = await enrollMember(browser, a, { viewport: { width: 1280, height: 800 } });
  const B = await enrollMember(browser, b, { viewport: { width: 1280, height: 800 } });
  const C = await enrollMember(browser, c, { viewport: { width: 390, height: 844 } });
  for (const p of [A, B, C]) {
    await p.page.emulateMedia({ reducedMotion: 'reduce' });
    await p.page.getByText('Live', { exact: true }).waitFor();
  }

  await dial(A.page, b);
  const ringB = B.page.getByRole('alertdialog', { name: a.name });
  await ringB.waitFor({ timeout: 15_000 });
  await ringB.getByRole('button', { name: 'Answer with video' }).click();
  await waitForPhase(A.page, 'active');
  await waitForPhase(B.page, 'active');
  await mediaFlows(A.page, 'A');

  // Ada adds Cleo by number.
  const screenA = callScreen(A.page);
  await screenA.getByRole('button', { name: 'Add person' }).click();
  const field = screenA.getByLabel('Their number');
  await field.fill('20');
  await screenA.getByText('10 more digits').waitFor();
  await field.fill(c.number);
  await shot(A.page, 'conference-add-person-1280.png');
  await screenA.getByRole('button', { name: 'Add', exact: true }).click();
  await screenA.locator('.conf-tile.is-ringing').getByText(c.name).waitFor({ timeout: 15_000 });

  const ringC = C.page.getByRole('alertdialog', { name: a.name });
  await ringC.waitFor({ timeout: 15_000 });
  assert.match(await ringC.innerText(), /adds you to a call/i);
  assert.match(await ringC.innerText(), new RegExp(b.name));
  await shot(A.page, 'conference-ringing-invitee-1280.png');
  await shot(C.page, 'conference-invited-390.png');
  await ringC.getByRole('button', { name: 'Answer with video' }).click();
  await waitForPhase(C.page, 'active');

  await seesTwo(A.page, 'Ada', [b.name, c.name]);
  await seesTwo(B.page, 'Ben', [a.name, c.name]);
  await seesTwo(C.page, 'Cleo', [a.name, b.name]);
  await screenA.getByText('Conference call · 3 people').waitFor();
  await shot(A.page, 'conference-three-way-1280.png');
  await shot(C.page, 'conference-three-way-390.png');

  // Ada leaves: Ben and Cleo carry on, each with the other's video.
  await screenA.getByRole('button', { name: 'Hang up' }).click();
  await waitFor('Ben to see only Cleo', async () => {
    const tiles = await B.page.locator('.call-screen .remote-video, .call-screen .conf-tile').count();
    return tiles === 1 && (await callScreen(B.page).getAttribute('data-phase')) === 'active';
  }, { timeout: 20_000 });
  await callScreen(B.page)
    .getByRole('heading', { name: c.name })
    .waitFor({ timeout: 10_000 })
    .catch(async (e) => {
      throw new Error(`${e.message}\nBen's screen: ${await callScreen(B.page).innerText()}`);
    });
  await mediaFlows(B.page, 'B after Ada left');
  await callScreen(B.page).getByRole('button', { name: 'Hang up' }).click();
  await waitForPhase(C.page, 'ended');
});
