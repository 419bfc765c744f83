// Co-browse privacy in the browser, over a real engagement: a member on a
// product page calls the store, its agent answers on the desk, and the
// member's page is shared with the agent (rrweb, mall/ui/cobrowse.ts).
//
// - Sentinel values typed into a password field, a hidden input, a field
//   whose value attribute changes, a show-password toggle (password → text),
//   a textarea and a payment block never appear in anything the shopper's
//   page sends nor in anything the server relays to the agent's socket.
// - Crafted events with <script>, onerror= and javascript: URLs, sent
//   straight over the shopper's socket, reach the agent sanitized, and the
//   desk's replay (rrweb's iframe, sandbox without allow-scripts) runs
//   nothing: window.__pwned stays undefined on the desk and in the replay.
// - Consent first: the desk asks, the shopper sees "<agent> would like to
//   see your screen — Allow / Not now" and nothing is recorded or sent (and
//   anything sent anyway is refused by the server) before Allow; the desk
//   shows "Waiting for the shopper to allow", then "said not now" with a
//   way to ask again.
// - Checkbox and radio state, <select> choices, contenteditable text and
//   data-* values never leave the shopper's page, and a mask does not reveal
//   the length of what it hides.
// - Crafted events that would make the agent's browser fetch from another
//   origin (external stylesheet, CSS url(), @import, meta refresh, form
//   action, SVG animation to javascript:, images) fetch nothing: a sentinel
//   HTTP server on another port counts no hit and the desk requests nothing
//   of it; the replay frame's own CSP blocks even the server's other URLs.
// - The agent points (a dot on the shopper's screen) and opens a page for the
//   shopper; the shopper stops sharing and the desk says so.
//
// Screenshots go to $LIVEMALL_SHOTS (default /tmp/shots).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { demoStaff, enrollMember, enrollStaff, launchBrowser, startServer, uniqueEmail, waitFor, shotsDir } from './server.mjs';

const shots = shotsDir();

let server;
let browser;
/** sentinel is an HTTP server of another origin that counts every request it gets. */
let sentinel;

before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  const hits = [];
  const http = createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'Content-Type': req.url.endsWith('.css') ? 'text/css' : 'image/svg+xml', 'Access-Control-Allow-Origin': '*' });
    res.end(req.url.endsWith('.css') ? 'body{outline:9px solid red}' : '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  sentinel = { http, hits, origin: `http://127.0.0.1:${http.address().port}` };
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (sentinel ? sentinel.http.close(r) : r()));
});

/** MASK is what every hidden value looks like, whatever its length. */
const MASK = '******';

/** The strings the shopper types or the page holds that must never leave it. */
const SENTINELS = {
  password: 'PW-SENTINEL-4711',
  hidden: 'HIDDEN-SENTINEL-0815',
  attribute: 'ATTR-SENTINEL-2342',
  toggled: 'TOGGLE-SENTINEL-1337',
  textarea: 'NOTE-SENTINEL-9000',
  card: '4242-CARD-SENTINEL',
  cardText: 'CARDHOLDER-SENTINEL',
  radio: 'RADIO-SENTINEL-3141',
  select: 'SELECT-SENTINEL-2718',
  editable: 'EDITABLE-SENTINEL-1618',
  data: 'DATA-SENTINEL-1414',
  long: 'LONG-SENTINEL-VALUE-THAT-IS-MUCH-LONGER-THAN-A-MASK',
};

/** frames collects the text frames a page's signaling socket received (in) and sent (out). */
function watchFrames(page) {
  const frames = { in: [], out: [] };
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/api/v1/ws')) return;
    ws.on('framereceived', (f) => typeof f.payload === 'string' && frames.in.push(f.payload));
    ws.on('framesent', (f) => typeof f.payload === 'string' && frames.out.push(f.payload));
  });
  return frames;
}

/** cobrowseEvents returns the data of the cobrowse.events messages among frames. */
function cobrowseEvents(frames) {
  return frames
    .map((f) => JSON.parse(f))
    .filter((m) => m.type === 'cobrowse.events')
    .map((m) => m.data);
}

test('the shopper’s page reaches the desk with nothing typed, nothing scriptable', { timeout: 480_000 }, async () => {
  const staff = demoStaff(server);
  const agent = staff.find((s) => s.role === 'agent');
  const { stores } = await server.api('/stores');
  const store = stores.find((s) => s.name === agent.store);
  const { departments } = await server.api(`/stores/${store.slug}`);
  const products = departments.flatMap((d) => d.products).filter((p) => p.ageLimit === 0 && p.stock > 0);
  const [product, other] = products;
  assert.ok(product && other, `${store.name} sells two products without an age limit`);

  const A = await enrollStaff(browser, agent.link);
  const member = await server.addMember('Noor Visser', uniqueEmail('noor'), { birthdate: '1988-09-30' });
  const S = await enrollMember(browser, member);
  try {
    await A.page.emulateMedia({ reducedMotion: 'reduce' });
    await S.page.emulateMedia({ reducedMotion: 'reduce' });

    // What the agent's socket receives, from the first frame on, what the
    // desk requests, and any CSP violation on either page.
    const agentFrames = watchFrames(A.page);
    // (Chromium reports a request a policy blocked as a request that failed
    // with "csp"; only finished ones reached the network.)
    const deskFinished = [];
    const deskBlocked = [];
    A.page.on('requestfinished', (r) => deskFinished.push(r.url()));
    A.page.on('requestfailed', (r) => /csp/i.test(r.failure()?.errorText ?? '') && deskBlocked.push(r.url()));
    const violations = [];
    for (const p of [A.page, S.page]) p.on('console', (m) => m.type() === 'error' && /Content.Security.Policy/i.test(m.text()) && violations.push(m.text()));
    await A.page.reload();
    const availability = A.page.locator('[data-testid=agent-state]');
    await availability.locator('button[value=available]:not([disabled])').waitFor({ timeout: 15_000 });
    await availability.locator('button[value=available]').click();
    await A.page.locator('.agent-pill[data-state=available]').waitFor();

    // The shopper's socket goes through a route that forwards everything
    // and lets the test inject messages of its own, as a hostile page could.
    const shopperSent = [];
    const shopperGot = [];
    let toServer = null;
    await S.page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
      const server = ws.connectToServer();
      toServer = server;
      ws.onMessage((m) => {
        shopperSent.push(String(m));
        server.send(m);
      });
      server.onMessage((m) => {
        shopperGot.push(String(m));
        ws.send(m);
      });
    });

    await S.page.goto(`${server.url}/store/${store.slug}/product/${encodeURIComponent(product.sku)}`);
    await S.page.locator('.product-detail').waitFor();
    await S.page.locator('.product-detail').getByRole('button', { name: 'Talk to a sales agent' }).first().click();
    await S.page.locator('[data-testid=talk-call]').click();
    const ring = A.page.locator('[data-testid=incoming-call]');
    await ring.waitFor({ timeout: 20_000 });
    const entryId = await ring.getAttribute('data-entry-id');
    await ring.locator('[data-testid=answer]').click();
    await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });

    // --- Consent: the desk asks, the shopper decides; nothing is sent before Allow.
    const view = A.page.locator('.cobrowse');
    const consent = S.page.locator('[data-testid=cobrowse-consent]');
    const agentFirst = agent.name.split(' ')[0];
    await consent.waitFor({ timeout: 15_000 });
    await consent.getByText(`${agentFirst} would like to see your screen`).waitFor();
    await view.getByText('Waiting for the shopper to allow').first().waitFor({ timeout: 10_000 });
    const sentBeforeAllow = () => shopperSent.map((f) => JSON.parse(f).type).filter((t) => t.startsWith('cobrowse.') && t !== 'cobrowse.stop');
    assert.deepEqual(sentBeforeAllow(), [], 'the shopper\'s page sent nothing before Allow');
    for (const size of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await S.page.setViewportSize(size);
      await consent.getByRole('button', { name: 'Allow' }).waitFor();
      await S.page.screenshot({ path: join(shots, `cobrowse-consent-${size.width}x${size.height}.png`), timeout: 60_000 });
    }
    await S.page.setViewportSize({ width: 1280, height: 800 });
    await view.screenshot({ path: join(shots, 'cobrowse-desk-waiting.png'), timeout: 60_000 });
    // A page that sends events anyway (as a hostile page could) is refused.
    toServer.send(JSON.stringify({ type: 'cobrowse.events', v: 1, data: { entryId, events: [{ type: 4, timestamp: Date.now(), data: { href: `${server.url}/`, width: 800, height: 600 } }] } }));
    await waitFor('the server to refuse events before Allow', () => shopperGot.some((f) => f.includes('"type":"error"') && f.includes('has not allowed')));
    assert.ok(!agentFrames.in.some((f) => f.includes('"cobrowse.events"') || f.includes('"cobrowse.start"')), 'nothing reached the agent before Allow');

    // "Not now": the desk says so and may ask again.
    await consent.getByRole('button', { name: 'Not now' }).click();
    await consent.waitFor({ state: 'detached' });
    await view.getByText('The shopper said not now').first().waitFor({ timeout: 10_000 });
    await view.screenshot({ path: join(shots, 'cobrowse-desk-declined.png'), timeout: 60_000 });
    assert.deepEqual(sentBeforeAllow(), [], 'nothing was recorded after Not now');
    await view.getByRole('button', { name: 'Ask again' }).click();
    await consent.waitFor({ timeout: 10_000 });
    await view.getByText('Waiting for the shopper to allow').first().waitFor();
    const allowedAt = shopperGot.length;
    await consent.getByRole('button', { name: 'Allow' }).click();

    // --- Sharing starts after Allow: the shopper sees the banner, the desk the page.
    const banner = S.page.locator('.cobrowse-banner');
    await banner.getByText('Sharing your screen with').waitFor({ timeout: 45_000 });
    await view.locator('.cobrowse-phase.is-live').waitFor({ timeout: 45_000 });
    const sandbox = await view.locator('iframe').getAttribute('sandbox');
    assert.equal(sandbox, 'allow-same-origin', `the replay frame may not run scripts: sandbox="${sandbox}"`);
    const path = `/store/${store.slug}/product/${product.sku}`;
    await view.locator('.cobrowse-phase code').getByText(path).waitFor({ timeout: 10_000 });

    // --- Sentinels on the shopper's page, typed the way a person types.
    await S.page.evaluate((s) => {
      const box = document.createElement('section');
      box.id = 'sentinels';
      box.innerHTML = `
        <label>Password <input id="s-password" type="password" autocomplete="off"></label>
        <input id="s-hidden" type="hidden" value="${s.hidden}">
        <label>Coupon <input id="s-attribute" type="text"></label>
        <label>Secret <input id="s-toggle" type="password"></label>
        <button type="button" id="s-show">Show password</button>
        <label>Note <textarea id="s-note"></textarea></label>
        <div data-payment><p>${s.cardText}</p><label>Card <input id="s-card" inputmode="numeric"></label></div>
        <label><input id="s-check" type="checkbox" name="gift"> Gift wrap</label>
        <label><input id="s-radio-a" type="radio" name="ship" value="standard"> Standard</label>
        <label><input id="s-radio-b" type="radio" name="ship" value="${s.radio}"> Express</label>
        <label>Size <select id="s-select"><option value="opt-s">Small</option><option value="opt-m">Medium</option><option value="${s.select}">Large</option></select></label>
        <div id="s-editable" contenteditable="true" style="min-height:1.5em;border:1px solid #ccc"></div>
        <p id="s-data" data-customer="${s.data}">Data attribute</p>
        <label>Short <input id="s-short" type="text"></label>
        <label>Long <input id="s-long" type="text"></label>`;
      document.querySelector('main').prepend(box);
      document.getElementById('s-show').onclick = () => (document.getElementById('s-toggle').type = 'text');
    }, SENTINELS);
    await S.page.locator('#s-password').pressSequentially(SENTINELS.password);
    await S.page.locator('#s-attribute').evaluate((el, v) => el.setAttribute('value', v), SENTINELS.attribute);
    await S.page.locator('#s-toggle').pressSequentially(SENTINELS.toggled);
    await S.page.locator('#s-show').click();
    await S.page.locator('#s-toggle').pressSequentially('-MORE');
    await S.page.locator('#s-note').pressSequentially(SENTINELS.textarea);
    await S.page.locator('#s-card').pressSequentially(SENTINELS.card);
    await S.page.locator('#s-check').check();
    await S.page.locator('#s-radio-b').check();
    await S.page.locator('#s-select').selectOption(SENTINELS.select);
    await S.page.locator('#s-editable').click();
    await S.page.keyboard.type(SENTINELS.editable);
    await S.page.locator('#s-data').evaluate((el, v) => el.setAttribute('data-customer', `${v}-changed`), SENTINELS.data);
    await S.page.locator('#s-short').pressSequentially('x');
    await S.page.locator('#s-long').pressSequentially(SENTINELS.long);
    // The recorder samples inputs 'last': a field's (masked) value is sent
    // when the shopper leaves it (rrweb listens to 'change'), so leave it as
    // a shopper would. Before, the test relied on focus moving by chance.
    await S.page.locator('#s-long').blur();
    await S.page.evaluate(() => document.getElementById('sentinels').setAttribute('title', 'sentinels-typed'));

    // Events keep their order: once the last marker reached the desk, so did everything typed before it.
    await waitFor('the sentinel section to reach the desk', () => agentFrames.in.some((f) => f.includes('sentinels-typed')), { timeout: 15_000 });
    await view.screenshot({ path: join(shots, 'cobrowse-desk-live.png') });
    await S.page.screenshot({ path: join(shots, 'cobrowse-shopper-sharing.png') });

    const relayed = agentFrames.in.join('\n');
    const sent = shopperSent.join('\n');
    for (const [what, value] of Object.entries(SENTINELS)) {
      assert.ok(!sent.includes(value), `the shopper's page sent the ${what} sentinel`);
      assert.ok(!relayed.includes(value), `the server relayed the ${what} sentinel to the agent`);
    }
    // The fields themselves did arrive, masked: the test looks at the right stream.
    assert.ok(relayed.includes('s-password') && relayed.includes(MASK), 'the password field arrived, masked');
    assert.ok(relayed.includes('s-check') && relayed.includes('s-editable') && relayed.includes('s-data'), 'the choice fields arrived');
    assert.ok(!/"isChecked":true/.test(relayed + sent) && !/"(checked|selected)":(true|"")/.test(relayed + sent), 'no ticked or chosen state left the page');
    const events = cobrowseEvents(agentFrames.in);
    assert.ok(events.length > 0 && events.every((d) => d.entryId === entryId), 'every relayed batch names the engagement');
    // The replay shows the masked field.
    const readReplay = () => view.locator('iframe').evaluate((f) => {
      const d = f.contentDocument;
      const v = (id) => d?.getElementById(id)?.value ?? null;
      return {
        password: v('s-password'),
        short: v('s-short'),
        long: v('s-long'),
        checked: d?.getElementById('s-check')?.checked ?? null,
        radio: d?.getElementById('s-radio-b')?.checked ?? null,
        selected: d?.getElementById('s-select')?.selectedIndex ?? null,
        editable: d?.getElementById('s-editable')?.textContent ?? null,
        data: d?.getElementById('s-data')?.getAttribute('data-customer') ?? null,
      };
    });
    // The live replay runs a little behind the stream: wait for the last field typed.
    await waitFor('the last typed field in the replay', async () => (await readReplay()).long === MASK);
    const replayed = await readReplay();
    const { selected, ...values } = replayed;
    assert.deepEqual(values, { password: MASK, short: MASK, long: MASK, checked: false, radio: false, editable: MASK, data: MASK }, 'the desk shows every value masked alike and no box ticked');
    assert.notEqual(selected, 2, 'the desk does not show the option the shopper chose');
    const deskText = await view.locator('iframe').evaluate((f) => f.contentDocument.documentElement.outerHTML);
    for (const [what, value] of Object.entries(SENTINELS)) assert.ok(!deskText.includes(value), `the desk's replay shows the ${what} sentinel`);

    // --- The agent points: a dot on the shopper's screen.
    await view.locator('.cobrowse-glass').click({ position: { x: 60, y: 40 } });
    await S.page.locator('.cobrowse-pointer').waitFor({ timeout: 10_000 });
    await S.page.screenshot({ path: join(shots, 'cobrowse-shopper-pointer.png') });

    // --- The agent sends the shopper to another product; a foreign address is refused on the desk.
    const input = view.getByLabel('Send to page');
    await input.fill('https://evil.example/');
    await view.getByRole('button', { name: 'Open' }).click();
    await view.getByText('Only a page of the mall can be opened').waitFor();
    const otherPath = `/store/${store.slug}/product/${encodeURIComponent(other.sku)}`;
    await input.fill(otherPath);
    await view.getByRole('button', { name: 'Open' }).click();
    await S.page.waitForURL((u) => u.pathname === otherPath, { timeout: 10_000 });
    await view.locator('.cobrowse-phase code').getByText(`/store/${store.slug}/product/${other.sku}`).waitFor({ timeout: 10_000 });

    // --- Downtown is a large page (the skyline): it reaches the desk in parts, whole.
    await input.fill('/');
    await view.getByRole('button', { name: 'Open' }).click();
    await S.page.waitForURL((u) => u.pathname === '/', { timeout: 10_000 });
    await S.page.locator('.skyline .building').first().waitFor({ timeout: 10_000 });
    const buildings = await S.page.locator('.skyline .building').count();
    assert.ok(buildings > 0, 'the mall shows its skyline');
    await waitFor('the skyline on the desk', () =>
      view.locator('iframe').evaluate((f, n) => f.contentDocument?.querySelectorAll('.skyline .building').length === n, buildings),
    );
    // The recorder takes a fresh full snapshot every 20 s; downtown's is
    // too large for one message, so it comes as a skeleton plus parts.
    await view.locator('iframe').evaluate((f) => f.contentDocument.querySelector('.skyline').setAttribute('data-before-checkout', ''));
    const mark = agentFrames.in.length;
    await waitFor('a fresh full snapshot of downtown on the desk', () => agentFrames.in.slice(mark).some((f) => f.includes('"type":2}')), { timeout: 30_000 });
    await waitFor('the skyline rebuilt from the parts', () =>
      view.locator('iframe').evaluate((f, n) => f.contentDocument?.querySelectorAll('.skyline:not([data-before-checkout]) .building').length === n, buildings),
    );
    await view.screenshot({ path: join(shots, 'cobrowse-desk-downtown.png') });
    // The mall and the desk work under their Content-Security-Policy, the
    // live replay under its own: nothing of theirs was refused.
    // (Offline, the mall does not even ask for Stripe.js.)
    assert.deepEqual(
      violations,
      [],
      'the pages ran into no CSP violation',
    );
    const refused = shopperGot.slice(allowedAt).filter((f) => f.includes('"type":"error"'));
    assert.deepEqual(refused, [], 'the server refused none of the shopper\'s co-browse messages');

    // --- Crafted events straight over the shopper's socket.
    const node = (id, tagName, attributes, childNodes = []) => ({ type: 2, id, tagName, attributes, childNodes });
    const text = (id, textContent) => ({ type: 3, id, textContent });
    const svg = (id, tagName, attributes, childNodes = []) => ({ ...node(id, tagName, attributes, childNodes), isSVG: true });
    const now = Date.now();
    const crafted = [
      { type: 4, timestamp: now, data: { href: `${server.url}/`, width: 1024, height: 700 } },
      {
        type: 2,
        timestamp: now + 1,
        data: {
          initialOffset: { left: 0, top: 0 },
          node: {
            type: 0,
            id: 9001,
            childNodes: [
              node(9002, 'html', {}, [
                node(9003, 'head', {}, []),
                node(9004, 'body', {}, [
                  node(9005, 'h1', { id: 'crafted' }, [text(9006, 'crafted-page-rendered')]),
                  node(9007, 'script', {}, [text(9008, 'window.__pwned = "script"; parent.__pwned = "script"')]),
                  node(9009, 'img', { src: '/nope.png', onerror: 'window.__pwned = "onerror"; parent.__pwned = "onerror"' }),
                  node(9010, 'a', { id: 'js-link', href: 'javascript:parent.__pwned="link"' }, [text(9011, 'link')]),
                  node(9012, 'iframe', { srcdoc: '<script>parent.parent.__pwned="srcdoc"</script>' }),
                  node(9013, 'svg', { onload: 'parent.__pwned="svg"' }, [node(9014, 'script', {}, [text(9015, 'parent.__pwned="svg-script"')])]),
                  node(9016, 'form', { action: ' JaVaScRiPt:parent.__pwned="form"' }, [node(9017, 'button', { formaction: 'javascript:parent.__pwned="formaction"' })]),
                  node(9018, 'object', { data: 'data:text/html,<script>parent.__pwned="object"</script>' }),
                  // Leaks to another origin: each would make the desk fetch from the sentinel.
                  node(9030, 'link', { rel: 'stylesheet', href: `${sentinel.origin}/external.css` }),
                  node(9031, 'link', { rel: 'prefetch', href: `${sentinel.origin}/prefetch.css` }),
                  node(9032, 'div', { id: 'leak-style', style: `background-image: url(${sentinel.origin}/style-url.svg); width: 50px; height: 50px` }),
                  node(9033, 'style', {}, [text(9034, `@import "${sentinel.origin}/import.css"; #crafted { background: url('${sentinel.origin}/rule-url.svg') }`)]),
                  node(9035, 'meta', { 'http-equiv': 'refresh', content: `0;url=${sentinel.origin}/refresh` }),
                  node(9036, 'form', { id: 'leak-form', action: `${sentinel.origin}/form-action`, method: 'post' }, [node(9037, 'button', { formaction: `${sentinel.origin}/formaction` }, [text(9038, 'go')])]),
                  svg(9039, 'svg', { width: '20', height: '20' }, [
                    svg(9040, 'a', { id: 'leak-svg-a', href: '#ok' }, [
                      svg(9041, 'animate', { attributeName: 'href', values: 'javascript:parent.__pwned="animate"', dur: '0.1s', fill: 'freeze' }),
                      svg(9042, 'set', { attributeName: 'href', to: 'javascript:parent.__pwned="set"' }),
                    ]),
                    svg(9043, 'image', { href: `${sentinel.origin}/svg-image.svg`, width: '10', height: '10' }),
                  ]),
                  node(9044, 'img', { src: `${sentinel.origin}/img.svg`, srcset: `${sentinel.origin}/srcset.svg 2x` }),
                  node(9045, 'video', { poster: `${sentinel.origin}/poster.svg` }),
                ]),
              ]),
            ],
          },
        },
      },
      {
        type: 3,
        timestamp: now + 2,
        data: {
          source: 0,
          texts: [],
          attributes: [{ id: 9005, attributes: { onclick: 'parent.__pwned="click"', class: 'crafted-mutated' } }],
          removes: [],
          adds: [
            { parentId: 9004, nextId: null, node: node(9020, 'script', { src: '/evil.js' }) },
            { parentId: 9004, nextId: null, node: node(9021, 'img', { src: '/nope2.png', onerror: 'parent.__pwned="added"' }) },
          ],
        },
      },
    ];
    const before = agentFrames.in.length;
    assert.ok(toServer, 'the shopper socket is routed');
    toServer.send(JSON.stringify({ type: 'cobrowse.events', v: 1, data: { entryId, events: crafted } }));
    await waitFor('the crafted page on the desk', () => agentFrames.in.slice(before).some((f) => f.includes('crafted-page-rendered')), { timeout: 10_000 });
    const craftedRelay = agentFrames.in.slice(before).find((f) => f.includes('crafted-page-rendered'));
    for (const bad of ['__pwned', 'script', 'onerror', 'onload', 'javascript', 'JaVaScRiPt', 'srcdoc', 'iframe', 'object', 'evil.js', 'data:text/html', sentinel.origin, 'http-equiv', 'action']) {
      assert.ok(!craftedRelay.includes(bad), `the server relayed ${bad}: ${craftedRelay}`);
    }
    // A handler set by an attribute change goes out as a removal, never with its code.
    assert.ok(!/"on[a-z]+":"/i.test(craftedRelay) && craftedRelay.includes('"onclick":null'), `handlers relayed: ${craftedRelay}`);
    assert.ok(craftedRelay.includes('crafted-mutated') && craftedRelay.includes('/nope2.png'), 'the harmless parts were relayed');

    const frame = view.locator('iframe');
    await waitFor('the desk to replay the crafted page', () =>
      frame.evaluate((f) => f.contentDocument?.getElementById('crafted')?.textContent === 'crafted-page-rendered'),
    );
    // The broken images have failed to load by now: an onerror had its chance.
    await waitFor('the replay’s images to settle', () =>
      frame.evaluate((f) => [...(f.contentDocument?.images ?? [])].every((i) => i.complete) && f.contentDocument.images.length >= 2),
    );
    const pwned = await A.page.evaluate(() => {
      const f = document.querySelector('.cobrowse iframe');
      return { desk: window.__pwned, replay: f?.contentWindow?.__pwned, scripts: f?.contentDocument?.querySelectorAll('script').length };
    });
    assert.deepEqual(pwned, { desk: undefined, replay: undefined, scripts: 0 }, 'nothing ran on the desk');
    await view.screenshot({ path: join(shots, 'cobrowse-desk-crafted.png') });

    // --- The replay frame has a policy of its own: even what slipped past the
    // server could fetch nothing, not from the sentinel, not from the server's
    // API. In the desk's own page the same image of the server loads: the
    // frame's policy is what stops it there.
    const probe = await frame.evaluate(async (f, origin) => {
      const d = f.contentDocument;
      const load = (el) =>
        new Promise((resolve) => {
          el.onload = () => resolve('loaded');
          el.onerror = () => resolve('blocked');
          setTimeout(() => resolve('timeout'), 3000);
        });
      const foreign = d.createElement('img');
      foreign.src = `${origin}/frame-probe.svg`;
      const own = d.createElement('img');
      own.src = '/api/v1/csrf?frame-csp-probe';
      const sheet = d.createElement('link');
      sheet.rel = 'stylesheet';
      sheet.href = `${origin}/frame-probe.css`;
      d.body.append(foreign, own);
      d.head.append(sheet);
      const desk = new Image();
      desk.src = '/api/v1/csrf?desk-probe';
      const deskForeign = new Image();
      deskForeign.src = `${origin}/desk-probe.svg`;
      const [a, b, c] = await Promise.all([load(foreign), load(own), load(sheet)]);
      await Promise.all([load(desk), load(deskForeign)]);
      return { foreign: a, own: b, sheet: c };
    }, sentinel.origin);
    assert.deepEqual(probe, { foreign: 'blocked', own: 'blocked', sheet: 'blocked' }, 'the replay frame loads nothing outside /assets/ and product images');
    await waitFor('the desk’s own probe request', () => deskFinished.some((u) => u.includes('desk-probe')));
    await waitFor('the replay frame’s probe of the API to be blocked', () => deskBlocked.some((u) => u.includes('frame-csp-probe')));
    assert.ok(!deskFinished.some((u) => u.includes('frame-csp-probe')), 'the replay frame fetched the server’s API');
    assert.ok(deskBlocked.some((u) => u.includes('frame-probe.svg')) && deskBlocked.some((u) => u.includes('desk-probe.svg')), 'the foreign probes were blocked by policy');
    assert.deepEqual(
      deskFinished.filter((u) => u.startsWith(sentinel.origin)),
      [],
      'the desk fetched nothing of the other origin',
    );
    assert.deepEqual(sentinel.hits, [], 'the sentinel server of another origin got no request');
    const leaks = await frame.evaluate((f) => {
      const d = f.contentDocument;
      return {
        links: d.querySelectorAll('link:not([href*="/assets/"]):not([href*="frame-probe"])').length,
        metas: d.querySelectorAll('meta[http-equiv]').length,
        action: d.getElementById('leak-form')?.getAttribute('action') ?? null,
        svgHref: d.getElementById('leak-svg-a')?.getAttribute('href') ?? null,
      };
    });
    assert.deepEqual(leaks, { links: 0, metas: 0, action: null, svgHref: '#ok' }, 'the replay keeps no foreign link, meta, form action or script URL');

    // --- The shopper stops sharing; the desk says so.
    await banner.getByRole('button', { name: 'Stop sharing' }).click();
    await S.page.getByText('You stopped sharing your screen.').waitFor();
    await view.getByText('The shopper stopped sharing').first().waitFor({ timeout: 10_000 });
    await view.screenshot({ path: join(shots, 'cobrowse-desk-stopped.png') });
    const afterStop = agentFrames.in.length;
    await S.page.locator('body').click({ position: { x: 5, y: 300 } });
    await S.page.waitForTimeout(600); // longer than a batch (150 ms): any event would have been sent
    assert.ok(!cobrowseEvents(agentFrames.in.slice(afterStop)).length, 'no events after the shopper stopped');
  } finally {
    await A.context.close();
    await S.context.close();
  }
});
