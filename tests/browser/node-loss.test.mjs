// Losing a node in a call: two livemall nodes on one database (SQLite in a
// shared data dir) and one external NATS server, a phone on each; A calls B,
// so the call's room lives on A's node, media flows both ways, then A's node
// is killed with SIGKILL. Within 10 s both phones end the call with
// "Connection lost" and a "Call back" button: A's phone lost its socket and
// its media, B's phone (its node alive) lost its media. Once A's node is
// back, B's "Call back" rings A again.
//
// The 10 s is the product's promise, not a speed measurement: each wait
// polls with that deadline. Screenshots go to $LIVEMALL_SHOTS (/tmp/shots)
// at desktop and phone size.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { enrollMember, freePort, launchBrowser, mediaFlows, shotsDir, uniqueEmail, waitFor } from './server.mjs';

const shots = shotsDir();
const natsBin = process.env.LIVEMALL_NATS_SERVER || fileURLToPath(new URL('../../.bin/nats-server', import.meta.url));

/** spawnLogged starts a process and collects what it prints. */
function spawnLogged(bin, args) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { proc, output: '', exited: null };
  proc.stdout.on('data', (d) => (p.output += d));
  proc.stderr.on('data', (d) => (p.output += d));
  p.exit = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      p.exited = { code, signal };
      resolve(p.exited);
    }),
  );
  return p;
}

/** stopProcess ends one process this test started (SIGTERM, then SIGKILL). */
async function stopProcess(p) {
  if (!p || p.exited) return;
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 5_000);
  await p.exit;
  clearTimeout(t);
}

/** startNATS runs an external nats-server with JetStream on a free loopback port. */
async function startNATS(dir) {
  if (!existsSync(natsBin)) throw new Error(`${natsBin} is missing: scripts/deps.sh installs nats-server into .bin/`);
  const port = await freePort();
  const p = spawnLogged(natsBin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats')]);
  await waitFor('nats-server to be ready', () => {
    if (p.exited) throw new Error(`nats-server exited: ${p.output}`);
    return /Server is ready/.test(p.output);
  }, { timeout: 20_000 });
  p.url = `nats://127.0.0.1:${port}`;
  return p;
}

/**
 * startNode runs `livemall serve` as node name on port, on the shared data
 * dir and NATS; it resolves once /healthz answers.
 */
async function startNode(bin, { name, port, dataDir, natsURL }) {
  const url = `http://localhost:${port}`;
  const p = spawnLogged(bin, [
    'serve', '--addr', `:${port}`, '--data', dataDir, '--public-url', url, '--node', name, '--nats-url', natsURL,
    '--turn-addr', '127.0.0.1:0', '--turn-secret', 'node-loss-test-secret', '--metrics-addr', '', '--payments', 'offline',
    '--ring-timeout', '30s',
  ]);
  p.url = url;
  await waitFor(`${name} at ${url}/healthz`, async () => {
    if (p.exited) throw new Error(`${name} exited (${p.exited.code ?? p.exited.signal}): ${p.output}`);
    return (await fetch(`${url}/healthz`)).status === 200;
  }, { timeout: 30_000, interval: 150 });
  return p;
}

/** livemall runs a livemall subcommand to its end and returns what it printed. */
async function livemall(bin, ...args) {
  const p = spawnLogged(bin, args);
  const { code } = await p.exit;
  if (code !== 0) throw new Error(`livemall ${args.join(' ')} failed (${code}):\n${p.output}`);
  return p.output;
}

/** addMember creates a member whose enrollment link points at url (their node). */
async function addMember(bin, dataDir, url, name) {
  const out = await livemall(bin, 'member', 'add', '--name', name, '--email', uniqueEmail(name.split(' ')[0].toLowerCase()), '--birthdate', '1990-04-12', '--data', dataDir, '--public-url', url);
  const link = /https?:\/\/\S*enroll=\S+/.exec(out)?.[0];
  const display = /number:\s*([2-9]\d{3} \d{4} \d{4})/.exec(out)?.[1];
  if (!link || !display) throw new Error(`member add printed no number or link:\n${out}`);
  return { name, link, display, number: display.replace(/\s/g, '') };
}

/** dial calls member from the phone's dial card. */
async function dial(page, member) {
  const card = page.locator('.dial-card');
  await page.getByLabel('Number to call').fill(member.number);
  await card.locator('.dial-party-name').getByText(member.name, { exact: true }).waitFor({ timeout: 15_000 });
  await card.getByRole('button', { name: `Call ${member.name}` }).click();
}

/** phaseOf reads the call screen's phase ('' without one). */
function phaseOf(page) {
  return page.locator('.call-screen').getAttribute('data-phase', { timeout: 500 }).catch(() => '');
}

let bin;
let dir;
let nats;
let nodeA;
let nodeB;
let browser;

before(async () => {
  bin = process.env.LIVEMALL_BIN;
  if (!bin || !existsSync(bin)) throw new Error('LIVEMALL_BIN must name a built livemall binary (npx vite build && go build -o /tmp/livemall ./backend/cmd/livemall)');
  dir = mkdtempSync(join(tmpdir(), 'livemall-node-loss-'));
  nats = await startNATS(dir);
  await livemall(bin, 'seed', '--demo', '--data', dir);
  const [portA, portB] = [await freePort(), await freePort()];
  nodeA = await startNode(bin, { name: 'node-a', port: portA, dataDir: dir, natsURL: nats.url });
  nodeA.port = portA;
  nodeB = await startNode(bin, { name: 'node-b', port: portB, dataDir: dir, natsURL: nats.url });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopProcess(nodeA);
  await stopProcess(nodeB);
  await stopProcess(nats);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a call whose room was on a node killed with SIGKILL ends on both phones with "Connection lost" and "Call back"', { timeout: 240_000 }, async () => {
  const a = await addMember(bin, dir, nodeA.url, 'Ada Doomed');
  const b = await addMember(bin, dir, nodeB.url, 'Bea Survivor');
  const A = await enrollMember(browser, a);
  const B = await enrollMember(browser, b);
  try {
    for (const p of [A.page, B.page]) {
      await p.emulateMedia({ reducedMotion: 'reduce' });
      await p.getByText('Live', { exact: true }).waitFor();
    }
    // A (on node A) calls B (on node B): the room is on the caller's node.
    await dial(A.page, b);
    const ring = B.page.getByRole('alertdialog', { name: a.name });
    await ring.waitFor({ timeout: 15_000 });
    await ring.getByRole('button', { name: 'Answer with video' }).click();
    await waitFor('both call screens active', async () => (await phaseOf(A.page)) === 'active' && (await phaseOf(B.page)) === 'active', { timeout: 15_000 });
    await mediaFlows(A.page, 'A (caller, room on its node)');
    await mediaFlows(B.page, 'B (callee, on the other node)');
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      await waitFor(`${who}'s remote video to play frames`, () => p.locator('.remote-video').evaluate((v) => v.videoWidth > 0 && v.currentTime > 0));
    }

    // Each page notes when its media changes state, for the log.
    for (const p of [A.page, B.page]) {
      await p.evaluate(() => {
        const pc = window.__testPeerConnections.at(-1);
        window.__testMediaStates = [];
        const note = () => window.__testMediaStates.push(`${pc.connectionState}/${pc.iceConnectionState}@${Date.now()}`);
        pc.addEventListener('connectionstatechange', note);
        pc.addEventListener('iceconnectionstatechange', note);
      });
    }
    // Node A dies.
    const killedAt = Date.now();
    nodeA.proc.kill('SIGKILL');
    await nodeA.exit;

    // Within 10 s of the kill both phones say so and offer to call back.
    const took = {};
    const diagnose = async (e) => {
      for (const [p, who] of [
        [A.page, 'A'],
        [B.page, 'B'],
      ]) {
        const st = await p.evaluate(() => {
          const pc = window.__testPeerConnections?.at(-1);
          return { connection: pc?.connectionState, ice: pc?.iceConnectionState };
        });
        const states = (await p.evaluate(() => window.__testMediaStates)).map((x) => x.replace(/@(\d+)$/, (_, t) => ` +${Number(t) - killedAt} ms`));
        console.log(`${who}: phase ${await phaseOf(p)}, peer connection ${JSON.stringify(st)}, status "${await p.locator('#call-status').innerText().catch(() => '')}", media states since the kill: ${states.join(', ')}`);
      }
      throw e;
    };
    await Promise.all(
      [
        [A.page, 'A'],
        [B.page, 'B'],
      ].map(async ([p, who]) => {
        const screen = p.locator('.call-screen[data-phase=ended]');
        const left = () => Math.max(1, 10_000 - (Date.now() - killedAt));
        await screen.getByText('Connection lost').first().waitFor({ state: 'visible', timeout: left() });
        await screen.getByRole('button', { name: 'Call back' }).waitFor({ state: 'visible', timeout: left() });
        took[who] = Date.now() - killedAt;
      }),
    ).catch(diagnose);
    console.log(`"Connection lost" with "Call back" after the SIGKILL: A (its node killed) ${took.A} ms, B (media lost) ${took.B} ms`);
    for (const [p, who] of [
      [A.page, 'A'],
      [B.page, 'B'],
    ]) {
      const screen = p.locator('.call-screen');
      assert.match(await screen.locator('#call-status').innerText(), /Connection lost/, `${who}'s status line says the connection was lost`);
      assert.equal(await screen.getByRole('button', { name: 'Close' }).count(), 1, `${who} can close the screen`);
      assert.equal(await screen.getByRole('button', { name: 'Hang up' }).count(), 0, `${who} has nothing left to hang up`);
      assert.equal(await p.evaluate(() => window.__testPeerConnections.at(-1).connectionState), 'closed', `${who}'s media is released`);
    }
    await A.page.screenshot({ path: join(shots, 'node-loss-caller-desktop.png') });
    await B.page.screenshot({ path: join(shots, 'node-loss-callee-desktop.png') });
    for (const [p, file] of [
      [A.page, 'node-loss-caller-phone.png'],
      [B.page, 'node-loss-callee-phone.png'],
    ]) {
      await p.setViewportSize({ width: 390, height: 844 });
      await p.screenshot({ path: join(shots, file) });
    }
    // The screen stays until the person acts on it.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal(await phaseOf(B.page), 'ended', "B's lost call stays on screen with its Call back");

    // A's node comes back on the same port; A's phone reconnects, and B
    // calls back from the lost call's screen: A's phone rings.
    nodeA = Object.assign(await startNode(bin, { name: 'node-a', port: nodeA.port, dataDir: dir, natsURL: nats.url }), { port: nodeA.port });
    await A.page.getByText('Live', { exact: true }).waitFor({ timeout: 30_000 });
    await A.page.locator('.call-screen').getByRole('button', { name: 'Close' }).click();
    await B.page.locator('.call-screen').getByRole('button', { name: 'Call back' }).click();
    await waitFor("B's call back to ring", async () => ['dialing', 'ringing'].includes(await phaseOf(B.page)), { timeout: 10_000 });
    const again = A.page.getByRole('alertdialog', { name: b.name });
    await again.waitFor({ timeout: 20_000 });
    await again.getByRole('button', { name: 'Answer with video' }).click();
    await waitFor('the call back to connect', async () => (await phaseOf(A.page)) === 'active' && (await phaseOf(B.page)) === 'active', { timeout: 15_000 });
    await mediaFlows(A.page, 'A (called back)');
    await B.page.locator('.call-screen').getByRole('button', { name: 'Hang up' }).click();
    await waitFor("A's call back to end", async () => (await phaseOf(A.page)) === 'ended' || (await phaseOf(A.page)) === '');
  } finally {
    await A.context.close();
    await B.context.close();
  }
});
