// The phone's directory: live online lights over the signaling socket, the
// dial pad, and choosing a vanity number at sign-up.
//
// The server runs with a short presence TTL so a browser that vanishes goes
// offline within seconds. Every wait polls with a deadline.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { launchBrowserProcess, meStatus, newPasskeyPage, signUp, uniqueEmail, waitFor, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({ serveArgs: ['--presence-ttl', '3s', '--heartbeat-interval', '1s'] }, (s, b) => {
  server = s;
  browser = b;
});

/** enroll opens a member's enrollment link in a fresh context and registers a passkey. */
async function enroll(member) {
  const p = await newPasskeyPage(browser);
  await p.page.goto(member.link);
  await p.page.getByRole('button', { name: 'Register my passkey' }).click();
  await p.page.locator('#phone-title').getByText(member.name).waitFor();
  assert.equal(new URL(p.page.url()).searchParams.get('enroll'), null, 'the spent token leaves the address bar');
  return p;
}

/** row finds a member's row in the directory table by their number. */
function row(page, member) {
  return page.locator('.directory-table tbody tr').filter({ hasText: member.display });
}

/** lightOf reads a row's state and the light's written-out text. */
async function lightOf(r) {
  const state = await r.getAttribute('data-state');
  const text = (await r.locator('.col-state .light-wrap').innerText()).trim();
  return { state, text };
}

async function waitForLight(page, member, state, timeout) {
  const r = row(page, member);
  const started = Date.now();
  await waitFor(
    `${member.name}'s light to be ${state}`,
    async () => {
      const l = await lightOf(r);
      return l.state === state && l.text.toLowerCase() === state;
    },
    { timeout, interval: 100 },
  );
  return Date.now() - started;
}

/** waitForColor waits out the light's colour transition. */
async function waitForColor(r, rgb, name) {
  const light = r.locator('.light');
  let seen = '';
  await waitFor(
    `the light to be ${name} (${rgb})`,
    async () => {
      seen = await light.evaluate((el) => `${getComputedStyle(el).backgroundColor} ${document.visibilityState}`);
      return seen.startsWith(rgb + ' ');
    },
    { timeout: 3_000 },
  ).catch((e) => {
    throw new Error(`${e.message}; last seen ${seen}`);
  });
}

test('online lights follow a member coming online, going away and vanishing, without a reload', { timeout: 120_000 }, async () => {
  const a = await server.addMember('Ada Byron', uniqueEmail('ada'));
  const b = await server.addMember('Bea Turing', uniqueEmail('bea'));
  assert.notEqual(a.number, b.number);

  // B registers a passkey (which opens the phone), then leaves the phone.
  const B = await enroll(b);
  await B.page.goto('about:blank');

  const A = await enroll(a);
  // No colour transitions to wait out (the page honours reduced motion).
  await A.page.emulateMedia({ reducedMotion: 'reduce' });
  let frozen = null;
  try {
    const rb = row(A.page, b);
    await rb.waitFor();
    assert.equal((await rb.locator('.col-name').innerText()).includes(b.name), true);
    await A.page.getByText('Live', { exact: true }).waitFor();

    // With no phone page open, B's light goes grey once B's presence expires.
    await waitForLight(A.page, b, 'offline', 15_000);

    // A's socket goes through a pass-through route the test can cut, to check
    // that the client reconnects and watches the directory again.
    const sockets = [];
    await A.page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
      ws.connectToServer();
      sockets.push(ws);
    });
    await A.page.reload();
    await rb.waitFor();
    await A.page.getByText('Live', { exact: true }).waitFor();
    assert.equal(sockets.length, 1);
    await sockets[0].close({ code: 1006, reason: 'test cuts the line' }).catch(() => sockets[0].close());
    await A.page.getByText(/Reconnecting…|Connecting…/).waitFor({ timeout: 3_000 });
    await waitFor('the phone to reconnect', async () => sockets.length === 2, { timeout: 8_000 });
    await A.page.getByText('Live', { exact: true }).waitFor();
    await A.page.evaluate(() => {
      window.__noReload = true;
    });

    // B opens the phone: A sees B's light turn green.
    await B.page.goto(`${server.url}/phone/`);
    await B.page.locator('#phone-title').waitFor();
    await A.page.bringToFront();
    const on = await waitForLight(A.page, b, 'available', 10_000);
    console.log(`B's light turned green on A's page ${on} ms after B's phone loaded`);
    await waitForColor(rb, 'rgb(31, 181, 122)', 'green');

    // B sets themselves away: amber.
    await B.page.getByRole('radio', { name: 'Away' }).click();
    await waitForLight(A.page, b, 'away', 10_000);
    await waitForColor(rb, 'rgb(240, 160, 32)', 'amber');
    await B.page.getByRole('radio', { name: 'Available' }).click();
    await waitForLight(A.page, b, 'available', 10_000);

    // B's browser context is closed abruptly (no sign-out): the light goes off.
    const bState = await B.context.storageState();
    await B.context.close();
    const off = await waitForLight(A.page, b, 'offline', 15_000);
    await waitForColor(rb, 'rgb(163, 169, 188)', 'grey');
    console.log(`B's light went off on A's page ${off} ms after B's context closed`);

    // B comes back in another browser process (same session and device cookies),
    // which then freezes: its socket stays open but heartbeats stop, so only
    // the presence TTL (3 s) can turn the light off.
    frozen = await launchBrowserProcess();
    const ctx = await frozen.browser.newContext({ storageState: bState });
    const bp = await ctx.newPage();
    await bp.goto(`${server.url}/phone/`);
    await bp.locator('#phone-title').getByText(b.name).waitFor();
    await waitForLight(A.page, b, 'available', 10_000);
    frozen.signal('SIGSTOP');
    const ttl = await waitForLight(A.page, b, 'offline', 15_000);
    console.log(`B's light went off on A's page ${ttl} ms after B's browser froze (presence TTL 3 s)`);
    assert.ok(ttl >= 1_000, `a frozen browser's socket stays open, so its light goes off by TTL, not at once (${ttl} ms)`);

    assert.equal(await A.page.evaluate(() => window.__noReload), true, "A's page was never reloaded");
  } finally {
    await frozen?.kill();
    await A.context.close();
    await B.context.close().catch(() => {});
  }
});

test('dial pad formats as you type, explains bad numbers and resolves who a number reaches', { timeout: 90_000 }, async () => {
  const m = await server.addMember('Dora Dialer', uniqueEmail('dora'));
  const { context, page } = await enroll(m);
  try {
    const input = page.getByLabel('Number to call');
    const card = page.locator('.dial-card');

    // Who has 2000 0000 0001, per the API (a demo member or agent).
    const want = await page.evaluate(() => fetch('/api/v1/numbers/200000000001').then((r) => r.json()));
    assert.ok(want.party?.name, `GET /numbers/200000000001 names a party: ${JSON.stringify(want)}`);

    await input.pressSequentially('200000000001');
    assert.equal(await input.inputValue(), '2000 0000 0001');
    await card.locator('.dial-party-name').getByText(want.party.name, { exact: true }).waitFor();
    assert.ok((await card.locator('.dial-party').innerText()).includes('2000 0000 0001'));
    const state = await card.locator('.dial-party .light-wrap').getAttribute('data-state');
    assert.match(state, /^(available|busy|away|push|offline)$/);

    // The Call button opens the call screen naming who is called. A store's
    // sales line puts the caller in the store's queue; anyone else rings (or
    // reaches their mailbox); either way the call is hung up again.
    await card.getByRole('button', { name: `Call ${want.party.name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: want.party.name }).waitFor();
    assert.ok((await dialog.innerText()).includes('2000 0000 0001'));
    if (want.party.type === 'queue') {
      // A store's sales number puts the caller in its queue.
      await dialog.getByText(/next sales agent/).first().waitFor();
    }
    await dialog.locator('.call-btn-hangup').click();
    if ((await page.getByRole('dialog').count()) > 0) await dialog.getByRole('button', { name: 'Close' }).click();
    await waitFor('the call screen to close', async () => (await page.getByRole('dialog').count()) === 0);

    // The first-digit rule.
    // Cleared again if the page refills it as the call screen's close
    // settles (seen once in a loaded CI run; noted, not yet explained).
    await waitFor('the dial pad to be empty', async () => {
      if ((await input.inputValue()) !== '') await input.fill('');
      return (await input.inputValue()) === '';
    });
    await input.pressSequentially('1234');
    assert.equal(await input.inputValue(), '1234');
    await card.getByText('A number starts with a digit from 2 to 9; this one starts with 1.').waitFor();
    assert.equal(await input.getAttribute('aria-invalid'), 'true');

    // Forgiving input: a pasted number with dots is grouped 4-4-4.
    await input.fill('2000.0000.0001');
    assert.equal(await input.inputValue(), '2000 0000 0001');
    await card.locator('.dial-party-name').getByText(want.party.name, { exact: true }).waitFor();

    // The keypad types too; an unknown number says nobody has it.
    await card.getByRole('button', { name: 'Clear' }).click();
    for (const d of '999999999999') await card.getByRole('button', { name: d, exact: true }).click();
    assert.equal(await input.inputValue(), '9999 9999 9999');
    await card.locator('.dial-message.field-error').getByText(/nobody has the number 9999 9999 9999/i).waitFor();
    assert.equal(await card.getByRole('button', { name: /^Call/ }).isDisabled(), true);

    // Too short says how many digits are missing.
    await card.getByRole('button', { name: 'Delete last digit' }).click();
    await card.getByText('1 more digit', { exact: true }).waitFor();
  } finally {
    await context.close();
  }
});

test('a vanity number chosen at sign-up is yours; the same one again is refused with suggestions', { timeout: 120_000 }, async () => {
  const vanity = '5000 1234 5678';
  {
    const { context, page } = await newPasskeyPage(browser);
    try {
      await page.goto(`${server.url}/phone/`);
      await page.getByLabel('Choose your number (optional)').pressSequentially('500012345678');
      assert.equal(await page.getByLabel('Choose your number (optional)').inputValue(), vanity);
      await signUp(page, { name: 'Vera Vanity', email: uniqueEmail('vera') });
      await page.getByText('Signed in as Vera Vanity').waitFor();
      const card = page.locator('.phone-card');
      await card.getByText(vanity, { exact: true }).waitFor();
      const me = await page.evaluate(() => fetch('/api/v1/directory/me').then((r) => r.json()));
      assert.ok(
        me.numbers.some((n) => n.number === '500012345678' && n.kind === 'vanity'),
        `GET /directory/me lists the vanity number: ${JSON.stringify(me.numbers)}`,
      );
    } finally {
      await context.close();
    }
  }
  {
    const { context, page } = await newPasskeyPage(browser);
    try {
      await page.goto(`${server.url}/phone/`);
      const field = page.getByLabel('Choose your number (optional)');
      await field.fill('5000-1234-5678');
      assert.equal(await field.inputValue(), vanity);
      await signUp(page, { name: 'Walt Second', email: uniqueEmail('walt') });
      const err = page.locator('.vanity-field .field-error');
      await err.waitFor();
      const text = await err.innerText();
      assert.match(text, /taken/i, `the field says the number is taken: ${text}`);
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(await meStatus(page), 401, 'no account was created');

      // The suggestions are chips; picking one and submitting again works.
      const chips = page.locator('.vanity-field .chip-number');
      await waitFor('suggested numbers as chips', async () => (await chips.count()) > 0);
      const pick = (await chips.first().innerText()).trim();
      assert.match(pick, /^[2-9]\d{3} \d{4} \d{4}$/);
      assert.notEqual(pick, vanity);
      await chips.first().click();
      assert.equal(await field.inputValue(), pick);
      await page.getByRole('button', { name: 'Create account', exact: true }).click();
      await page.getByText('Signed in as Walt Second').waitFor();
      await page.locator('.phone-card').getByText(pick, { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  }
});

/** mailTo waits for a mail to `to` in the server's outbox (DATA/outbox/*.eml) whose text matches re; returns the match. */
async function mailTo(to, re) {
  const dir = join(server.dataDir, 'outbox');
  return waitFor(`a mail to ${to} matching ${re}`, () => {
    if (!existsSync(dir)) return null;
    // Newest first: a resent link may replace the earlier one.
    const files = readdirSync(dir)
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
      .sort((x, y) => y.t - x.t)
      .map((x) => x.f);
    for (const f of files) {
      // Undo quoted-printable soft line breaks and escapes, if the mail uses them.
      const text = readFileSync(join(dir, f), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=3D/gi, '=');
      if (!text.includes(to)) continue;
      const m = re.exec(text);
      if (m) return m;
    }
    return null;
  });
}

test('the verification link verifies the email once; an invitation opens a welcome', { timeout: 120_000 }, async () => {
  const email = uniqueEmail('val');
  const { context, page } = await newPasskeyPage(browser);
  try {
    await page.goto(`${server.url}/phone/`);
    await signUp(page, { name: 'Val Verify', email });
    await page.getByText('Signed in as Val Verify').waitFor();
    const banner = page.getByRole('region', { name: 'Email not verified' });
    await banner.getByText('Unverified — check your mail.').waitFor();
    await banner.getByRole('button', { name: 'Resend the link' }).click();
    await banner.getByText('A new link is on its way.').waitFor();

    const [link] = await mailTo(email, /https?:\/\/\S+\/phone\/\?verify=[A-Za-z0-9_-]+/);
    await page.goto(link);
    await page.getByText('Your email address is verified.').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('verify'), null, 'the token leaves the address bar');
    await waitFor('the unverified banner to go', async () => (await banner.count()) === 0);
    // Verified members are listed: they find themselves in the directory.
    await page.locator('.directory-table tbody tr.is-me').getByText('Val Verify').waitFor();

    // The link works once.
    await page.goto(link);
    await page.getByText('That verification link did not work.').waitFor();
    await page.getByRole('alert').filter({ hasText: /unknown, expired or already used/ }).waitFor();

    // Invite a friend; the invitation's link opens a welcome for them.
    const friend = uniqueEmail('friend');
    const invite = page.locator('.invite-card');
    await invite.getByLabel('Friend’s email').fill(friend);
    await invite.getByLabel('Note (optional)').fill('Come and see the shops!');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText(`Invitation sent to ${friend}.`).waitFor();
    const [join_] = await mailTo(friend, /https?:\/\/\S+\/phone\/\?invite=1/);
    const other = await newPasskeyPage(browser);
    try {
      await other.page.goto(join_);
      await other.page.getByRole('heading', { name: 'You were invited — create your account.' }).waitFor();
      await other.page.getByRole('heading', { name: 'Create account' }).waitFor();
    } finally {
      await other.context.close();
    }
  } finally {
    await context.close();
  }
});
