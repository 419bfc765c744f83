// Staff enrollment: `livemall agent add` prints a one-time link; opening it
// registers a passkey and lands on the signed-in desk. `livemall account
// recover` prints a one-hour link that adds a passkey on a new device, once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meStatus, newPasskeyPage, startServer, uniqueEmail, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

test('agent enrolls by link and lands on the desk', { timeout: 90_000 }, async () => {
  const { stores } = await server.api('/stores');
  assert.ok(stores.length > 0, 'the demo seed has stores');
  const store = stores[0];
  const email = uniqueEmail('agent');
  const link = await server.addAgent(store.slug, email);
  const url = new URL(link);
  assert.equal(url.pathname, '/desk/');
  const token = url.searchParams.get('enroll');
  assert.ok(token, 'the link carries an enroll token');

  const enrollment = (await server.api(`/auth/enrollments/${encodeURIComponent(token)}`)).enrollment;
  assert.equal(enrollment.email, email);
  assert.equal(enrollment.store?.slug, store.slug);

  const { context, page, credentials } = await newPasskeyPage(browser);
  try {
    // The printed link uses the public URL, which is this server.
    await page.goto(link);
    await page.getByRole('heading', { name: `Welcome ${enrollment.name}` }).waitFor();
    await page.getByText(store.name).first().waitFor();
    await page.getByRole('button', { name: 'Register my passkey' }).click();

    const title = page.locator('#desk-title');
    await title.waitFor();
    assert.equal((await title.innerText()).trim(), enrollment.name);
    assert.equal(new URL(page.url()).pathname, '/desk/');
    assert.equal(new URL(page.url()).searchParams.get('enroll'), null, 'the spent token leaves the address bar');
    const header = page.locator('.desk-header');
    const text = await header.innerText();
    assert.match(text, /Sales agent|Supervisor|Administrator/);
    assert.ok(text.includes(store.name), `desk header names the store: ${text}`);
    assert.equal((await credentials()).length, 1);

    await page.reload();
    await page.locator('#desk-title').waitFor();
    assert.equal(await meStatus(page), 200, 'still signed in after a reload');
    await page.getByText('No shoppers waiting').waitFor();

    // The link is single-use: once the account has a passkey, it says so
    // and points to sign-in or a recovery link.
    const again = await context.newPage();
    await again.goto(link);
    await again.getByRole('heading', { name: 'This enrollment link was already used' }).waitFor();
    await again.getByText('Sign in with your passkey, or ask an admin for a recovery link.').waitFor();
    await again.close();
  } finally {
    await context.close();
  }
});

test('an agent who lost their passkey recovers with a one-time link', { timeout: 90_000 }, async () => {
  const { stores } = await server.api('/stores');
  const store = stores[0];
  const email = uniqueEmail('lost');
  const link = await server.addAgent(store.slug, email, { name: 'Lost Agent' });
  const first = await newPasskeyPage(browser);
  try {
    await first.page.goto(link);
    await first.page.getByRole('button', { name: 'Register my passkey' }).click();
    await first.page.locator('#desk-title').waitFor();
  } finally {
    await first.context.close();
  }

  const out = await server.cli('account', 'recover', '--email', email, '--by', 'Browser Test', '--data', server.dataDir, '--public-url', server.url);
  assert.match(out, /issued by Browser Test \(os user /);
  const recovery = /https?:\/\/\S*\?recover=\S+/.exec(out)?.[0];
  assert.ok(recovery?.startsWith(server.url + '/desk/?recover='), `account recover printed a desk link:\n${out}`);

  // A new device, with a new authenticator.
  const { context, page, credentials } = await newPasskeyPage(browser);
  try {
    await page.goto(recovery);
    await page.getByRole('heading', { name: `Lost Agent — add a new passkey for ${store.name}` }).waitFor();
    await page.getByRole('button', { name: 'Add my new passkey' }).click();
    await page.locator('#desk-title').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('recover'), null, 'the spent token leaves the address bar');
    assert.equal((await credentials()).length, 1);
    assert.equal(await meStatus(page), 200);

    // Once only; and the old enrollment link stays dead.
    const again = await context.newPage();
    await again.goto(recovery);
    await again.getByRole('heading', { name: 'This recovery link can no longer be used' }).waitFor();
    await again.goto(link);
    await again.getByRole('heading', { name: 'This enrollment link was already used' }).waitFor();
    await again.close();
  } finally {
    await context.close();
  }
});

test('desk tells signed-out visitors to sign in and offers no sign-up', { timeout: 60_000 }, async () => {
  const { context, page } = await newPasskeyPage(browser);
  try {
    await page.goto(`${server.url}/desk/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create account', exact: true }).count(), 0);
  } finally {
    await context.close();
  }
});

test('a demo agent enrolls with the link that serve --demo prints', { timeout: 90_000 }, async () => {
  const demo = await startServer({ demo: true });
  try {
    const line = demo
      .output()
      .split('\n')
      .find((l) => /^\s*agent\s/.test(l) && l.includes('enroll='));
    assert.ok(line, `serve --demo printed an agent's enrollment link:\n${demo.output()}`);
    const link = line.match(/https?:\/\/\S*enroll=\S+/)[0];
    assert.ok(link.startsWith(demo.url + '/desk/'), `link ${link} points at this server's desk`);
    const name = line.trim().split(/\s{2,}/)[1];

    const { context, page } = await newPasskeyPage(browser);
    try {
      await page.goto(link);
      await page.getByRole('button', { name: 'Register my passkey' }).click();
      const title = page.locator('#desk-title');
      await title.waitFor();
      assert.equal((await title.innerText()).trim(), name);
      assert.equal(await meStatus(page), 200);
      await page.getByText('No shoppers waiting').waitFor();
    } finally {
      await context.close();
    }
  } finally {
    await demo.stop();
  }
});
