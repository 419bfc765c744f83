// Helpers for the browser tests: a real livemall server on a random port with
// demo data, Chromium from Debian's package, and a virtual passkey authenticator.
//
// LIVEMALL_BIN must name a built binary (with the web UI embedded: run
// `npx vite build` before `go build`). Nothing here is skipped: a missing binary
// or a missing Chromium fails the test with a message saying what to install.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const execFileP = promisify(execFile);

/** CHROMIUM is the browser the tests drive (Debian's chromium package). */
export const CHROMIUM = process.env.LIVEMALL_CHROMIUM || '/usr/lib/chromium/chromium';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

function binary() {
  const bin = process.env.LIVEMALL_BIN;
  if (!bin) {
    throw new Error(
      'LIVEMALL_BIN is not set. Build the UI and the server first:\n' +
        '  npx vite build && go build -o /tmp/livemall ./backend/cmd/livemall\n' +
        'then run: LIVEMALL_BIN=/tmp/livemall node --test tests/browser/',
    );
  }
  if (!existsSync(bin)) throw new Error(`LIVEMALL_BIN=${bin} does not exist; build it with go build.`);
  return bin;
}

/** freePort asks the kernel for a port nobody is listening on. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * waitFor polls check() until it returns a truthy value or the deadline passes;
 * the error names what was awaited and the last failure seen.
 */
export async function waitFor(what, check, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message ?? last}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * startServer seeds a temp data dir with the demo mall and serves it on a free
 * port. The returned object has url, dataDir, cli(...args) to run other
 * subcommands against the same data, addAgent(), addMember() and stop().
 * serveArgs are extra flags for `serve` (e.g. ['--presence-ttl', '3s']).
 */
export async function startServer({ demo = false, serveArgs = [] } = {}) {
  if (process.env.LIVEMALL_CLUSTER_DIR) return clusterServer();
  const bin = binary();
  const dataDir = mkdtempSync(join(tmpdir(), 'livemall-browser-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;

  const cli = async (...args) => {
    try {
      const { stdout, stderr } = await execFileP(bin, args, { timeout: 60_000 });
      return stdout + stderr;
    } catch (e) {
      throw new Error(`livemall ${args.join(' ')} failed (${e.code ?? e.signal}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  };

  // With demo, `serve --demo` seeds the empty database itself and prints the
  // demo staff's enrollment links, as `make run` does.
  if (!demo) await cli('seed', '--demo', '--data', dataDir);

  let output = '';
  const args = ['serve', '--addr', `:${port}`, '--data', dataDir, '--public-url', url, '--turn-addr', '127.0.0.1:0', '--metrics-addr', ''];
  // --demo implies offline test payments; without it they must be chosen.
  if (demo) args.push('--demo');
  else args.push('--payments', 'offline');
  args.push(...serveArgs);
  const proc = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  let exited = null;
  const exitedP = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );

  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exitedP;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `${url}/healthz to answer 200`,
      async () => {
        if (exited) throw new Error(`server exited early (${exited.code ?? exited.signal})`);
        const res = await fetch(`${url}/healthz`);
        return res.status === 200;
      },
      { timeout: 30_000, interval: 150 },
    );
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n--- livemall serve output ---\n${output}`);
  }

  return serverHandle({ url, port, dataDir, cli, output: () => output, stop });
}

/**
 * serverHandle is what startServer returns: the server's URL and CLI plus
 * helpers that add staff and members through the CLI and read the API.
 */
function serverHandle(server) {
  const { url, dataDir, cli } = server;
  return {
    ...server,
    /** addAgent runs `livemall agent add` and returns the enrollment link it prints. */
    async addAgent(store, email, { name } = {}) {
      const extra = name ? ['--name', name] : [];
      const out = await cli('agent', 'add', '--store', store, '--email', email, ...extra, '--data', dataDir, '--public-url', url);
      const m = /https?:\/\/\S*enroll=\S+/.exec(out);
      if (!m) throw new Error(`livemall agent add printed no enrollment link:\n${out}`);
      return m[0];
    },
    /**
     * addMember runs `livemall member add` and returns the number it printed
     * (display form and 12 digits) and the one-time enrollment link.
     */
    async addMember(name, email, { birthdate = '1990-04-12', vanity } = {}) {
      const extra = vanity ? ['--vanity', vanity] : [];
      const out = await cli('member', 'add', '--name', name, '--email', email, '--birthdate', birthdate, ...extra, '--data', dataDir, '--public-url', url);
      const link = /https?:\/\/\S*enroll=\S+/.exec(out)?.[0];
      const display = /number:\s*([2-9]\d{3} \d{4} \d{4})/.exec(out)?.[1];
      if (!link || !display) throw new Error(`livemall member add printed no number or enrollment link:\n${out}`);
      return { name, email, link, display, number: display.replace(/\s/g, ''), output: out };
    },
    /** api GETs a JSON endpoint without a session. */
    async api(path) {
      const res = await fetch(`${url}/api/v1${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

/**
 * clusterServer stands for a cluster started by `scripts/cluster.sh up`
 * (LIVEMALL_CLUSTER_DIR names its state directory, .cluster by default in
 * the script): the tests talk to the balancer, the CLI writes to the
 * cluster's PostgreSQL, and the demo staff links are those node-1 printed.
 * The cluster is left running. Only tests that need no serve flags of
 * their own make sense this way (e.g. engagement.test.mjs).
 */
function clusterServer() {
  const dir = process.env.LIVEMALL_CLUSTER_DIR;
  const read = (name) => readFileSync(join(dir, name), 'utf8');
  const env = Object.fromEntries(
    read('env')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'(.*)'$/, '$1')]),
  );
  const url = env.PUBLIC_URL;
  const bin = env.BIN;
  const databaseURL = read('database-url').trim();
  if (!url || !bin || !databaseURL) throw new Error(`${dir} is not the state of a running scripts/cluster.sh`);
  const cli = async (...args) => {
    const i = args.indexOf('--data');
    if (i >= 0) args.splice(i, 2, '--database-url', databaseURL);
    try {
      const { stdout, stderr } = await execFileP(bin, args, { timeout: 60_000 });
      return stdout + stderr;
    } catch (e) {
      throw new Error(`livemall ${args.join(' ')} failed (${e.code ?? e.signal}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  };
  return serverHandle({ url, port: Number(new URL(url).port), dataDir: dir, cli, output: () => read('node-1.out'), stop: async () => {} });
}

/** launchBrowser starts headless Chromium, failing loudly when it is not installed. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install it with ` +
        '`apt-get install -y chromium` (or set LIVEMALL_CHROMIUM). Browser tests are never skipped.',
    );
  }
  return watchPeerConnections(await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs }));
}

/**
 * watchPeerConnections makes every context of browser note the peer
 * connections its pages open, so callStats can read the current call's
 * without the apps exposing their call client: the test's init script wraps
 * RTCPeerConnection and keeps each one it makes on window.__testPeerConnections.
 */
function watchPeerConnections(browser) {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    await notePeerConnections(context);
    return context;
  };
  return browser;
}

/** notePeerConnections adds watchPeerConnections' init script to one context. */
function notePeerConnections(context) {
  return context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    if (!Native || window.__testPeerConnections) return;
    const seen = [];
    Object.defineProperty(window, '__testPeerConnections', { value: seen });
    window.RTCPeerConnection = class extends Native {
      constructor(...a) {
        super(...a);
        seen.push(this);
      }
    };
  });
}

/**
 * launchProfile starts Chromium with a profile on disk (a persistent
 * context in a fresh temp dir), for what incognito contexts cannot do:
 * Chromium refuses push subscriptions and reports "in-incognito" to the
 * installability check there. It grants the camera, microphone and
 * notifications; close() closes it and removes the profile.
 */
export async function launchProfile({ viewport = { width: 1280, height: 860 } } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}.`);
  const dir = mkdtempSync(join(tmpdir(), 'livemall-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs,
    viewport,
    permissions: ['camera', 'microphone', 'notifications'],
  });
  await notePeerConnections(context);
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return context;
}

/**
 * peerState is the connection state of the page's current call (the last
 * peer connection it opened), or 'none'.
 */
export function peerState(page) {
  return page.evaluate(() => window.__testPeerConnections?.at(-1)?.connectionState ?? 'none');
}

/**
 * launchBrowserProcess starts a Chromium of its own and returns it with its
 * process id, so a test can freeze it (SIGSTOP to the process group) to play
 * a device that vanishes without closing its sockets.
 */
export async function launchBrowserProcess() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}.`);
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: chromiumArgs });
  const browser = watchPeerConnections(await chromium.connect(server.wsEndpoint()));
  const pid = server.process().pid;
  return {
    browser,
    pid,
    /** signal sends sig to the whole browser (Playwright makes it a process group leader). */
    signal(sig) {
      process.kill(-pid, sig);
    },
    async kill() {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await server.close().catch(() => {});
    },
  };
}

/**
 * newPasskeyPage opens a fresh context and page with a virtual platform
 * authenticator that holds discoverable credentials and verifies the user.
 */
export async function newPasskeyPage(browser, { viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport, permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const addAuthenticator = async () => {
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        ctap2Version: 'ctap2_1',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return authenticatorId;
  };
  const authenticatorId = await addAuthenticator();
  return {
    context,
    page,
    cdp,
    authenticatorId,
    addAuthenticator,
    /** credentials lists what an authenticator holds. */
    async credentials(id = authenticatorId) {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials;
    },
    async removeAuthenticator(id) {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: id });
    },
  };
}

/** uniqueEmail makes an address no other test uses. */
export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@example.com`;
}

/** meStatus asks the server from inside the page who is signed in, returning the HTTP status. */
export function meStatus(page) {
  return page.evaluate(() => fetch('/api/v1/me', { credentials: 'same-origin' }).then((r) => r.status));
}

/** signUp fills the "Create account" form inside root and submits it. */
export async function signUp(root, { name, email, birthDate = '1990-04-12', address = 'Keizersgracht 1\n1015 CC Amsterdam' }) {
  await root.getByLabel('Full name').fill(name);
  await root.getByLabel('Email').fill(email);
  await root.getByLabel('Birth date').fill(birthDate);
  await root.getByLabel('Postal address').fill(address);
  await root.getByRole('button', { name: 'Create account', exact: true }).click();
}

/**
 * enrollMember opens a member's one-time enrollment link (from addMember) in
 * a fresh context, registers a passkey and waits for their phone to open.
 */
export async function enrollMember(browser, member, opts) {
  const p = await newPasskeyPage(browser, opts);
  await p.page.goto(member.link);
  await p.page.getByRole('button', { name: 'Register my passkey' }).click();
  await p.page.locator('#phone-title').getByText(member.name).waitFor();
  return p;
}

/**
 * callStats reads the page's current call (the last peer connection it
 * opened, see watchPeerConnections) and sums the
 * bytes received and sent per kind from its inbound-rtp / outbound-rtp
 * stats; null when there is no peer connection.
 */
export function callStats(page) {
  return page.evaluate(async () => {
    const pc = window.__testPeerConnections?.at(-1);
    if (!pc) return null;
    const out = { audioIn: 0, videoIn: 0, audioOut: 0, videoOut: 0, framesDecoded: 0, state: pc.connectionState };
    (await pc.getStats()).forEach((s) => {
      const kind = s.kind ?? s.mediaType;
      if (s.type === 'inbound-rtp') out[kind === 'video' ? 'videoIn' : 'audioIn'] += s.bytesReceived ?? 0;
      if (s.type === 'inbound-rtp' && kind === 'video') out.framesDecoded += s.framesDecoded ?? 0;
      if (s.type === 'outbound-rtp') out[kind === 'video' ? 'videoOut' : 'audioOut'] += s.bytesSent ?? 0;
    });
    return out;
  });
}

/**
 * mediaFlows waits until the page's call receives audio and video bytes and
 * both are still growing a second later; it logs and returns the stats.
 */
export async function mediaFlows(page, who) {
  let first;
  let second;
  await waitFor(
    `${who} to receive audio and video`,
    async () => {
      first = await callStats(page);
      if (!first || first.audioIn <= 0 || first.videoIn <= 0) return false;
      await new Promise((r) => setTimeout(r, 1_000));
      second = await callStats(page);
      return second && second.audioIn > first.audioIn && second.videoIn > first.videoIn;
    },
    { timeout: 20_000, interval: 250 },
  ).catch((e) => {
    throw new Error(`${e.message}; last stats ${JSON.stringify(first)} -> ${JSON.stringify(second)}`);
  });
  console.log(
    `${who}: inbound audio ${first.audioIn} -> ${second.audioIn} bytes, video ${first.videoIn} -> ${second.videoIn} bytes (1 s apart); sent audio ${second.audioOut}, video ${second.videoOut}`,
  );
  return second;
}

/**
 * demoStaff lists the demo staff whose enrollment links `serve --demo`
 * printed: [{role, name, store, link}] (store is the store's name).
 */
export function demoStaff(server) {
  const out = [];
  for (const line of server.output().split('\n')) {
    const m = /^\s*(agent|supervisor|admin)\s+(.+?)\s{2,}(.+?)\s{2,}(https?:\/\/\S*enroll=\S+)/.exec(line);
    if (m) out.push({ role: m[1], name: m[2], store: m[3], link: m[4] });
  }
  if (out.length === 0) throw new Error(`serve --demo printed no staff enrollment links:\n${server.output()}`);
  return out;
}

/** enrollStaff opens a staff enrollment link in a fresh context, registers a passkey and waits for the desk. */
export async function enrollStaff(browser, link, opts) {
  const p = await newPasskeyPage(browser, opts);
  await p.page.goto(link);
  await p.page.getByRole('button', { name: 'Register my passkey' }).click();
  await p.page.locator('#desk-title').waitFor();
  return p;
}

/**
 * serverAndBrowser starts a server (with startServer's options) and Chromium
 * before a test file's tests, hands both to ready(server, browser), and
 * closes them after the file's tests.
 */
export function serverAndBrowser(opts, ready) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(opts);
    browser = await launchBrowser();
    ready(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

/** shotsDir is where screenshots go: $LIVEMALL_SHOTS (default /tmp/shots), created. */
export function shotsDir() {
  const dir = process.env.LIVEMALL_SHOTS || '/tmp/shots';
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * callFromProduct has the shopper (S) put a product of the store in the cart
 * from its page and talk to a sales agent; the agent (A) answers the ring on
 * the desk, and both see the call active. It returns the ring's queue entry id.
 */
export async function callFromProduct(server, A, S, store, sku) {
  await S.page.goto(`${server.url}/store/${store}/product/${encodeURIComponent(sku)}`);
  const detail = S.page.locator('.product-detail');
  await detail.waitFor();
  await detail.locator('.btn-add-lg').click();
  await waitFor(`${sku} in the cart`, () =>
    S.page.evaluate((sku) => fetch('/api/v1/cart').then((r) => r.json()).then((b) => b.cart.items.some((i) => i.sku === sku)), sku),
  );
  await detail.getByRole('button', { name: 'Talk to a sales agent' }).first().click();
  await S.page.locator('[data-testid=talk-call]').click();

  const ring = A.page.locator('[data-testid=incoming-call]');
  await ring.waitFor({ timeout: 20_000 });
  const entryId = await ring.getAttribute('data-entry-id');
  assert.match(entryId ?? '', /^qe_/);
  await ring.locator('[data-testid=answer]').click();
  await A.page.locator('.desk-call[data-phase=active]').waitFor({ timeout: 15_000 });
  await S.page.locator('[data-testid=talk-panel][data-phase=active]').waitFor({ timeout: 15_000 });
  return entryId;
}
