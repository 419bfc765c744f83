// A new member signs up with a passkey on the phone and in the mall, signs out
// and signs back in without typing a username.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meStatus, newPasskeyPage, signUp, uniqueEmail, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

test('member signs up, out and back in on the phone, then in the mall', { timeout: 90_000 }, async () => {
  const { context, page, credentials } = await newPasskeyPage(browser);
  try {
    const name = 'Ada Lovelace';
    await page.goto(`${server.url}/phone/`);
    await page.getByRole('heading', { name: 'Create account' }).waitFor();
    assert.equal(await meStatus(page), 401, 'a fresh browser is signed out');

    await signUp(page, { name, email: uniqueEmail('ada') });
    await page.getByText(`Signed in as ${name}`).waitFor();
    await page.getByRole('heading', { name }).waitFor(); // the "Your phone" card
    assert.equal((await credentials()).length, 1, 'the authenticator holds one passkey');
    assert.equal(await meStatus(page), 200);

    // Sign out: the signed-out panel is back and the server agrees.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await page.getByRole('heading', { name: 'Create account' }).waitFor();
    assert.equal(await page.getByText('Signed in as').count(), 0);
    assert.equal(await meStatus(page), 401, 'GET /api/v1/me after sign-out');

    // Sign back in: usernameless, the authenticator offers the discoverable credential.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText(`Signed in as ${name}`).waitFor();
    assert.equal(await meStatus(page), 200);

    // The same session is signed in across apps: the mall's header shows the member.
    await page.goto(`${server.url}/`);
    const menu = page.getByRole('button', { name: `Account: ${name}` });
    await menu.waitFor();
    await menu.click();
    await page.getByRole('dialog', { name: 'Your account' }).getByText(`Signed in as ${name}`).waitFor();

    // Sign out and back in from the mall's header.
    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.equal(await meStatus(page), 401);
    const dialog = page.getByRole('dialog', { name: 'Your account' });
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: `Account: ${name}` }).waitFor();
    assert.equal(await meStatus(page), 200);
  } finally {
    await context.close();
  }
});

test('member signs up in the mall; a second sign-up with that email is refused', { timeout: 90_000 }, async () => {
  const email = uniqueEmail('grace');
  const name = 'Grace Hopper';
  {
    const { context, page } = await newPasskeyPage(browser);
    try {
      await page.goto(`${server.url}/`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Your account' });
      await signUp(dialog, { name, email });
      await dialog.getByText(`Signed in as ${name}`).waitFor();
      await page.getByRole('button', { name: `Account: ${name}` }).waitFor();
      assert.equal(await meStatus(page), 200);
    } finally {
      await context.close();
    }
  }
  {
    const { context, page } = await newPasskeyPage(browser);
    try {
      await page.goto(`${server.url}/phone/`);
      // Missing fields are caught before any passkey prompt.
      await page.getByRole('button', { name: 'Create account', exact: true }).click();
      await page.getByText('Enter your name.').waitFor();
      await page.getByText('Enter your postal address.').waitFor();

      await signUp(page, { name: 'Someone Else', email });
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.ok((await alert.innerText()).trim().length > 0, 'the API error message is shown');
      assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true', 'the email field is marked');
      assert.equal(await meStatus(page), 401);
    } finally {
      await context.close();
    }
  }
});
