// A signed-in member adds a second passkey (another device) and can sign in with it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meStatus, newPasskeyPage, signUp, uniqueEmail, waitFor, serverAndBrowser } from './server.mjs';

let server;
let browser;

serverAndBrowser({}, (s, b) => {
  server = s;
  browser = b;
});

test('member adds a second passkey and signs in with it', { timeout: 90_000 }, async () => {
  const { context, page, authenticatorId, addAuthenticator, removeAuthenticator, credentials } =
    await newPasskeyPage(browser);
  try {
    const name = 'Katherine Johnson';
    await page.goto(`${server.url}/phone/`);
    await signUp(page, { name, email: uniqueEmail('kj') });
    await page.getByText(`Signed in as ${name}`).waitFor();
    const keys = page.locator('ul.passkeys > li');
    await waitFor('one passkey listed', async () => (await keys.count()) === 1);

    // The second passkey lives on another authenticator (a second device):
    // the first one already holds a credential for this account.
    await removeAuthenticator(authenticatorId);
    const second = await addAuthenticator();
    await page.getByRole('button', { name: 'Add another passkey' }).click();
    await page.getByText('Passkey added').waitFor();
    await waitFor('two passkeys listed', async () => (await keys.count()) === 2);
    assert.equal((await credentials(second)).length, 1);
    const viaApi = await page.evaluate(() => fetch('/api/v1/auth/passkeys').then((r) => r.json()));
    assert.equal(viaApi.passkeys.length, 2);

    // Only the new authenticator is present now; signing in proves its passkey works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText(`Signed in as ${name}`).waitFor();
    assert.equal(await meStatus(page), 200);
  } finally {
    await context.close();
  }
});
