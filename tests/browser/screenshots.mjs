// Screenshots of every page in its main states, for looking at the UI by eye.
// Not a test: `LIVEMALL_BIN=/tmp/livemall node tests/browser/screenshots.mjs [outdir]`
// writes PNGs to outdir (default /tmp/shots).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPasskeyPage, signUp, startServer, uniqueEmail } from './server.mjs';

const out = process.argv[2] || '/tmp/shots';
mkdirSync(out, { recursive: true });

const server = await startServer({ serveArgs: ['--presence-ttl', '5s', '--heartbeat-interval', '2s'] });
const browser = await launchBrowser();
const shot = async (page, name, fullPage = true) => {
  if (fullPage) {
    // Lazy images load only near the viewport: walk down the page first.
    await page.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += 400) {
        window.scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 30));
      }
      window.scrollTo(0, 0);
    });
  }
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage });
  console.log(join(out, `${name}.png`));
};

try {
  const { stores } = await server.api('/stores');
  const store = stores[0];
  const { departments } = await server.api(`/stores/${store.slug}`);
  const product = departments.flatMap((d) => d.products)[0];

  {
    const { context, page } = await newPasskeyPage(browser);
    await page.goto(`${server.url}/`);
    await page.locator('svg.skyline a.building').first().waitFor();
    await shot(page, '01-mall-home');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await shot(page, '02-mall-account-popover', false);
    await page.keyboard.press('Escape');
    await page.locator(`svg.skyline a.building[data-slug="${store.slug}"]`).click();
    await page.locator('.product-card').first().waitFor();
    await shot(page, '03-mall-store');
    if (product) {
      await page.locator('.product-card').first().getByRole('button', { name: 'Talk to a sales agent' }).click();
      await shot(page, '04-mall-store-talk-note', false);
      await page.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
      await page.locator('.product-detail').waitFor();
      await shot(page, '05-mall-product');
    }
    // Find a product with add-ons and an age limit, if the seed has one.
    for (const s of stores) {
      const { departments: ds } = await server.api(`/stores/${s.slug}`);
      const adult = ds.flatMap((d) => d.products).find((p) => p.ageLimit > 0);
      if (adult) {
        await page.goto(`${server.url}/store/${s.slug}/product/${encodeURIComponent(adult.sku)}`);
        await page.locator('.product-detail').waitFor();
        await shot(page, '06-mall-product-age-limited');
        await page.goto(`${server.url}/store/${s.slug}`);
        await page.locator('.product-card').first().waitFor();
        await shot(page, '07-mall-store-with-age-limits');
        break;
      }
    }
    await page.goto(`${server.url}/store/no-such-store`);
    await page.locator('.error-card').waitFor();
    await shot(page, '08-mall-missing-store', false);
    await context.close();
  }

  {
    const { context, page } = await newPasskeyPage(browser);
    await page.goto(`${server.url}/phone/`);
    await page.getByRole('heading', { name: 'Create account' }).waitFor();
    await shot(page, '10-phone-signed-out');
    await page.getByRole('button', { name: 'Create account', exact: true }).click();
    await page.getByText('Enter your name.').waitFor();
    await shot(page, '11-phone-signup-errors');
    await page.getByLabel('Choose your number (optional)').pressSequentially('2000000000');
    await shot(page, '11b-phone-signup-vanity', false);
    await page.getByLabel('Choose your number (optional)').fill('');
    await signUp(page, { name: 'Ada Lovelace', email: uniqueEmail('ada') });
    await page.getByText('Signed in as Ada Lovelace').waitFor();
    await page.locator('ul.passkeys > li').first().waitFor();

    // Two members online elsewhere (one away), so the directory has lights on.
    const others = [];
    for (const [name, away] of [['Bea Turing', false], ['Cy Hopper', true]]) {
      const m = await server.addMember(name, uniqueEmail(name.split(' ')[0].toLowerCase()));
      const o = await newPasskeyPage(browser);
      await o.page.goto(m.link);
      await o.page.getByRole('button', { name: 'Register my passkey' }).click();
      await o.page.locator('#phone-title').waitFor();
      if (away) await o.page.getByRole('radio', { name: 'Away' }).click();
      others.push(o);
    }
    await page.reload();
    await page.locator('.directory-table tbody tr[data-state="away"]').first().waitFor();
    await shot(page, '12-phone-signed-in');
    // Element shots: keep the sticky top bar from covering the element.
    await page.addStyleTag({ content: '.topbar { position: static !important; }' });
    const dial = page.getByLabel('Number to call');
    await dial.pressSequentially('200000000021');
    await page.locator('.dial-party').waitFor();
    await page.locator('.dial-card').screenshot({ path: join(out, '13-phone-dial.png') });
    console.log(join(out, '13-phone-dial.png'));
    await page.locator('.dial-card').getByRole('button', { name: /^Call / }).click();
    await shot(page, '14-phone-calling', false);
    await page.locator('.call-screen .call-btn-hangup, .call-screen .call-close').first().click();
    if (await page.locator('.call-screen .call-close').count()) await page.locator('.call-screen .call-close').click();
    await dial.fill('1234');
    await page.locator('.dial-card').screenshot({ path: join(out, '15-phone-dial-invalid.png') });
    console.log(join(out, '15-phone-dial-invalid.png'));
    await page.getByRole('button', { name: 'Get another number' }).click();
    await page.getByLabel('Choose a number').pressSequentially('200000000021');
    await page.locator('.phone-card .chip-number').first().waitFor();
    await page.locator('.phone-card').screenshot({ path: join(out, '16-phone-card-get-number.png') });
    console.log(join(out, '16-phone-card-get-number.png'));
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, '33-mobile-phone-signed-in');
    await page.setViewportSize({ width: 1280, height: 860 });
    for (const o of others) await o.context.close();
    await page.goto(`${server.url}/desk/`);
    await page.locator('.members-note').waitFor();
    await shot(page, '22-desk-member');
    await page.goto(`${server.url}/`);
    await page.locator('svg.skyline a.building').first().waitFor();
    await page.getByRole('button', { name: 'Account: Ada Lovelace' }).click();
    await shot(page, '09-mall-signed-in-popover', false);
    await context.close();
  }

  {
    const { context, page } = await newPasskeyPage(browser);
    await page.goto(`${server.url}/desk/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await shot(page, '20-desk-signed-out');
    const link = await server.addAgent(store.slug, uniqueEmail('agent'), { name: 'Alex Berg' });
    await page.goto(link);
    await page.getByRole('button', { name: 'Register my passkey' }).waitFor();
    await shot(page, '21-desk-enroll');
    await page.getByRole('button', { name: 'Register my passkey' }).click();
    await page.locator('#desk-title').waitFor();
    await page.locator('ul.passkeys > li').first().waitFor();
    await shot(page, '23-desk-signed-in');
    await page.goto(link);
    await page.getByText('This enrollment link was already used').waitFor();
    await shot(page, '24-desk-enroll-spent', false);
    await context.close();
  }

  {
    const { context, page } = await newPasskeyPage(browser, { viewport: { width: 390, height: 844 } });
    await page.goto(`${server.url}/`);
    await page.locator('svg.skyline a.building').first().waitFor();
    await shot(page, '30-mobile-mall-home');
    await page.goto(`${server.url}/store/${store.slug}`);
    await page.locator('.product-card').first().waitFor();
    await shot(page, '31-mobile-store');
    await page.goto(`${server.url}/phone/`);
    await page.getByRole('heading', { name: 'Create account' }).waitFor();
    await shot(page, '32-mobile-phone');
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
