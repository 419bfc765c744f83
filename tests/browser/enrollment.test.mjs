// Staff enrollment: `livemall agent add` prints a one-time link; opening it
// registers a passkey and lands on the signed-in desk.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, meStatus, newPasskeyPage, startServer, uniqueEmail } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
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

    // The link is single-use.
    const again = await context.newPage();
    await again.goto(link);
    await again.getByText('This enrollment link can no longer be used').waitFor();
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
