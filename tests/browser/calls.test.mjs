// Calls in the browser: two phones with fake cameras and microphones call
// each other through the server (media both ways, measured with getStats),
// and a call to someone offline leaves a video message they play after
// signing in. Every wait polls with a deadline; the only timed wait is the
// five seconds of message being recorded.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { callStats, enrollMember, peerState, uniqueEmail, waitFor, mediaFlows, serverAndBrowser, shotsDir } from './server.mjs';
import { callScreen, closeCallScreen, dial, waitForPhase } from './call-screen.mjs';

const shots = shotsDir();

let server;
let browser;

serverAndBrowser({ serveArgs: ['--ring-timeout', '20s'] }, (s, b) => {
  server = s;
  browser = b;
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('two phones call by number with media both ways; a call to someone offline leaves a video message', { timeout: 180_000 }, async () => {
  const a = await server.addMember('Ada Caller', uniqueEmail('ada'));
  const b = await server.addMember('Ben Callee', uniqueEmail('ben'));
  const c = await server.addMember('Cleo Offline', uniqueEmail('cleo'));

  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  let C = null;
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await B.page.emulateMedia({ reducedMotion: 'reduce' });
    await A.page.getByText('Live', { exact: true }).waitFor();
    await B.page.getByText('Live', { exact: true }).waitFor();
    await A.page.locator('.count-badge[data-unheard="0"]').waitFor();

    // --- A calls B by number: video is the default choice.
    assert.equal(await A.page.getByRole('radio', { name: 'Video' }).isChecked(), true, 'video is the default');
    await dial(A.page, b);
    const screenA = callScreen(A.page);
    await screenA.waitFor();
    assert.equal(await screenA.getByRole('heading', { name: b.name }).count(), 1, "A's call screen names B");
    await waitForPhase(A.page, 'ringing');
    assert.match(await screenA.locator('#call-status').innerText(), /Ringing/);

    // B's phone rings: a card with A's name and number, and three choices.
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 10_000 });
    assert.ok((await ring.innerText()).includes(a.display), 'the ringing card shows the caller number');
    assert.match(await B.page.locator('.incoming-stack [aria-live="assertive"]').innerText(), new RegExp(`Incoming video call from ${a.name}`));
    await B.page.screenshot({ path: join(shots, 'call-incoming-ringing.png') });
    await ring.getByRole('button', { name: 'Answer with video' }).click();

    await waitForPhase(B.page, 'active');
    await waitForPhase(A.page, 'active');
    const statsA = await mediaFlows(A.page, 'A (caller)');
    const statsB = await mediaFlows(B.page, 'B (callee)');
    assert.ok(statsA.audioOut > 0 && statsA.videoOut > 0 && statsB.audioOut > 0 && statsB.videoOut > 0, 'both send audio and video');
    // The remote video plays on both screens.
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      await waitFor(`${who}'s remote video to play frames`, () =>
        p.locator('.remote-video').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0 && !v.classList.contains('is-off')),
      );
    }
    await waitFor('the call clock to tick', async () => /Connected (?!00:00\b)\d+:\d\d/.test(await screenA.locator('#call-status').innerText()));
    await A.page.screenshot({ path: join(shots, 'call-connected-caller.png') });
    await B.page.screenshot({ path: join(shots, 'call-connected-callee.png') });

    // Mute shows as pressed and silences the track.
    await screenA.getByRole('button', { name: 'Mute' }).click();
    assert.equal(await screenA.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed'), 'true');
    await screenA.getByRole('button', { name: 'Unmute' }).click();

    // A hangs up: both screens end.
    await screenA.getByRole('button', { name: 'Hang up' }).click();
    await waitForPhase(A.page, 'ended');
    await waitForPhase(B.page, 'ended');
    await callScreen(B.page).getByText('Call ended.').first().waitFor();
    assert.equal(await peerState(A.page), 'closed', 'the peer connection is closed');
    await closeCallScreen(A.page);

    // The history shows the answered call on both sides.
    await A.page.locator('.history.kind-outgoing[data-outcome="answered"]').first().waitFor();
    await B.page.locator('.history[data-outcome="answered"]').first().waitFor();

    // --- A calls C, who has never opened a page: the mailbox answers.
    await dial(A.page, c);
    await waitForPhase(A.page, 'mailbox', 15_000);
    await screenA.getByText(/cannot take your call right now/).waitFor();
    assert.match(await screenA.locator('#call-status').innerText(), /Leave a message after the tone/);
    await waitForPhase(A.page, 'recording', 30_000);
    const recStarted = Date.now();
    await sleep(5_000); // five seconds of camera and microphone go into the message
    assert.match(await screenA.locator('#call-status').innerText(), /Recording 0:0[4-6] \/ 3:00/);
    const sending = await callStats(A.page);
    assert.ok(sending.audioOut > 0 && sending.videoOut > 0, `A sends media into the mailbox: ${JSON.stringify(sending)}`);
    await A.page.screenshot({ path: join(shots, 'call-mailbox-recording.png') });
    await screenA.getByRole('button', { name: 'Hang up and send' }).click();
    await waitForPhase(A.page, 'ended');
    await screenA.getByText('Your message was sent.').first().waitFor();
    await A.page.screenshot({ path: join(shots, 'call-message-sent.png') });
    console.log(`recorded for ${Date.now() - recStarted} ms`);

    // --- C signs in (enrolls) for the first time: one new message.
    C = await enrollMember(browser, c);
    const badge = C.page.locator('.count-badge');
    await waitFor('C to see 1 new message', async () => (await badge.getAttribute('data-unheard')) === '1');
    assert.equal((await badge.innerText()).trim(), '1 new');
    const box = await C.page.evaluate(() => fetch('/api/v1/mailbox').then((r) => r.json()));
    assert.equal(box.messages.length, 1);
    const msg = box.messages[0];
    assert.equal(msg.fromName, a.name);
    assert.equal(msg.fromNumber, a.number);
    assert.equal(msg.heard, false);
    assert.equal(msg.hasVideo, true, `a video call leaves a video message: ${JSON.stringify(msg)}`);
    assert.equal(msg.contentType, 'video/webm');
    assert.ok(msg.durationMs >= 3_000, `the message is seconds long: ${msg.durationMs} ms`);
    console.log(`C's mailbox: 1 message, ${msg.contentType}, ${msg.durationMs} ms`);
    const item = C.page.locator(`.message[data-message="${msg.id}"]`);
    assert.ok((await item.innerText()).includes(a.name));
    assert.equal(await item.evaluate((el) => el.classList.contains('is-unheard')), true);
    await C.page.locator('.mailbox-card').scrollIntoViewIfNeeded();
    await C.page.screenshot({ path: join(shots, 'mailbox-new-message.png') });

    // Playing it plays the video and marks it heard.
    await item.getByRole('button', { name: `Play the message from ${a.name}` }).click();
    const video = item.locator('video.message-player');
    await video.waitFor();
    let t = 0;
    await waitFor(
      'the message video to play past 1 s',
      async () => {
        t = await video.evaluate((v) => v.currentTime);
        return t > 1;
      },
      { timeout: 15_000, interval: 200 },
    ).catch(async (e) => {
      const info = await video.evaluate((v) => ({ t: v.currentTime, err: v.error?.message, state: v.readyState, paused: v.paused }));
      throw new Error(`${e.message}: ${JSON.stringify(info)}`);
    });
    const size = await video.evaluate((v) => `${v.videoWidth}x${v.videoHeight}`);
    console.log(`C plays the message: currentTime ${t.toFixed(2)} s, video ${size}`);
    assert.notEqual(size, '0x0', 'the message has picture');
    await waitFor('the badge to clear', async () => (await badge.getAttribute('data-unheard')) === '0');
    const heard = await C.page.evaluate(() => fetch('/api/v1/mailbox').then((r) => r.json()));
    assert.equal(heard.messages[0].heard, true);
    assert.equal(heard.unheard, 0);
    await C.page.screenshot({ path: join(shots, 'mailbox-playing.png') });

    // C's history shows a missed call with a message left.
    await C.page.locator('.history.kind-message').first().waitFor();
  } finally {
    await A.context.close();
    await B.context.close();
    await C?.context.close();
  }
});

test('a voice call from the directory, declined, reaches the mailbox; cancelling stops the ringing', { timeout: 90_000 }, async () => {
  const a = await server.addMember('Dee Dialer', uniqueEmail('dee'));
  const b = await server.addMember('Eli Elsewhere', uniqueEmail('eli'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await A.page.getByText('Live', { exact: true }).waitFor();
    await B.page.getByText('Live', { exact: true }).waitFor();

    // A voice call from the directory row; B declines, so A reaches B's mailbox.
    await A.page.getByRole('radio', { name: 'Voice' }).check();
    const row = A.page.locator('.directory-table tbody tr').filter({ hasText: b.display });
    await row.getByRole('button', { name: `Call ${b.name}` }).click();
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 10_000 });
    assert.match(await ring.innerText(), /incoming call/i);
    assert.doesNotMatch(await ring.innerText(), /video/i, 'a voice call says so');
    await ring.getByRole('button', { name: 'Decline' }).click();
    await waitForPhase(A.page, 'mailbox');
    await callScreen(A.page).getByRole('button', { name: 'Hang up' }).click();
    await waitForPhase(A.page, 'ended');
    await closeCallScreen(A.page);

    // Cancel while ringing closes the screen at once and B stops ringing.
    await dial(A.page, b);
    await waitForPhase(A.page, 'ringing');
    await ring.waitFor();
    await callScreen(A.page).getByRole('button', { name: 'Cancel' }).click();
    await waitFor('the call screen to close', async () => (await callScreen(A.page).count()) === 0);
    await waitFor('B to stop ringing', async () => (await ring.count()) === 0);
    await B.page.getByText(`Missed call from ${a.name}`).waitFor();
  } finally {
    await A.context.close();
    await B.context.close();
  }
});

test('a caller behind an avatar shows live video when the callee asks', { timeout: 90_000 }, async () => {
  const a = await server.addMember('Fay Hidden', uniqueEmail('fay'));
  const b = await server.addMember('Gus Curious', uniqueEmail('gus'));
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await A.page.getByText('Live', { exact: true }).waitFor();
    await B.page.getByText('Live', { exact: true }).waitFor();
    await A.page.getByRole('radio', { name: 'Avatar' }).check();
    await dial(A.page, b);
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 10_000 });
    await ring.getByRole('button', { name: 'Answer with video' }).click();
    await waitForPhase(A.page, 'active');
    await waitForPhase(B.page, 'active');

    // A hides: their screen shows the avatar, B receives audio but no picture.
    const screenA = callScreen(A.page);
    const screenB = callScreen(B.page);
    await screenA.getByText('Hidden behind your avatar').waitFor();
    assert.equal(await screenA.locator('.local-video').count(), 0);
    await waitFor('B to hear A', async () => ((await callStats(B.page))?.audioIn ?? 0) > 0);
    await screenB.getByText(`${a.name} is not sending video.`).waitFor();

    // B asks; A is asked and shows video; B's screen then plays it.
    await screenB.getByRole('button', { name: 'Ask to see them' }).click();
    const prompt = screenA.getByRole('alertdialog');
    await prompt.getByText('asks to see you').waitFor();
    assert.ok((await prompt.innerText()).includes(b.name));
    await A.page.screenshot({ path: join(shots, 'call-avatar-asked.png') });
    await prompt.getByRole('button', { name: 'Show video' }).click();
    await screenA.locator('.local-video').waitFor();
    const before = (await callStats(B.page)).videoIn;
    await waitFor(
      "B to receive A's video",
      async () => (await callStats(B.page)).videoIn > before + 10_000 && (await screenB.locator('.remote-video:not(.is-off)').count()) === 1,
      { timeout: 15_000 },
    );
    const t0 = Date.now();
    await waitFor(
      "B's screen to show A's picture",
      () => screenB.locator('.remote-video').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0),
      { timeout: 15_000 },
    ).catch(async (e) => {
      throw new Error(`${e.message}; stats ${JSON.stringify(await callStats(B.page))}`);
    });
    const st = await callStats(B.page);
    console.log(`after "Show video", B received ${st.videoIn - before} video bytes, ${st.framesDecoded} frames decoded (picture ${Date.now() - t0} ms after the bytes)`);
    await B.page.screenshot({ path: join(shots, 'call-avatar-shown.png') });
    await screenB.getByRole('button', { name: 'Hang up' }).click();
    await waitForPhase(A.page, 'ended');
  } finally {
    await A.context.close();
    await B.context.close();
  }
});
